package api_test

// Requests that cannot be understood: malformed percent-escapes in the path
// and the query, odd headers, JSON with repeated or differently cased keys.
// Each gets a 4xx in the contract's shape and changes nothing stored. The
// raw requests are built as the worker builds them (httpx.NewRequest on the
// URL as it arrived), since net/http would not parse them.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/httpx"
)

// raw serves a request for target (a path and query, sent as is) the way
// the worker does, with headers as name, value pairs.
func (e *env) raw(method, target string, body string, headers ...string) resp {
	e.t.Helper()
	var rd *bytes.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	var r *httpx.Request
	if rd != nil {
		r = httpx.NewRequest(context.Background(), method, "http://127.0.0.1:8787"+target, rd)
		r.ContentLength = int64(len(body))
	} else {
		r = httpx.NewRequest(context.Background(), method, "http://127.0.0.1:8787"+target, nil)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	w := httpx.NewRecorder()
	e.h.(*api.API).Serve(w, r)
	out := resp{Status: w.StatusOrOK(), Header: http.Header(w.HeaderMap), Raw: w.Body.String()}
	_ = json.Unmarshal(w.Body.Bytes(), &out.Body)
	if out.Status >= 500 {
		e.t.Errorf("%s %q: %d %s", method, target, out.Status, out.Raw)
	}
	return out
}

func TestMalformedPaths(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("A", originA)
	tok := e.contact(o, device1)
	sid := e.newSession(o, tok, nil)["id"].(string)
	server := []string{"Authorization", "Bearer " + o.SK}
	widget := []string{"X-Widget-Token", o.PK, "Authorization", "Bearer " + tok, "Origin", originA}
	long := strings.Repeat("a", 16<<10)
	tests := []struct {
		name, method, target string
		headers              []string
		status               int
		code, names          string
	}{
		// The three, on no route, with and without credentials.
		{"percent", "GET", "/%", nil, 404, "not_found", ""},
		{"percent", "OPTIONS", "/%", nil, 404, "not_found", ""},
		{"bad hex", "GET", "/%zz", server, 404, "not_found", ""},
		{"cut utf-8", "GET", "/%E0%A4%A", nil, 404, "not_found", ""},
		{"cut utf-8", "POST", "/%E0%A4%A", server, 404, "not_found", ""},
		// In a literal segment: no route.
		{"literal", "GET", "/v1/se%zzions", server, 404, "not_found", ""},
		{"literal", "POST", "/v1/users/%", server, 404, "not_found", ""},
		{"literal", "GET", "/v1/widget/%zz", widget, 404, "not_found", ""},
		// In a {param}: the route matched, its parameter cannot be read.
		{"param", "GET", "/v1/sessions/%zz", nil, 400, "invalid_request", "id"},
		{"param", "GET", "/v1/sessions/%zz", server, 400, "invalid_request", "id"},
		{"param", "GET", "/v1/sessions/%", server, 400, "invalid_request", "id"},
		{"param", "GET", "/v1/sessions/%E0%A4%A", server, 400, "invalid_request", "id"},
		{"param", "POST", "/v1/sessions/%zz/messages", server, 400, "invalid_request", "id"},
		{"param", "GET", "/v1/widget/sessions/%zz", widget, 400, "invalid_request", "id"},
		{"param", "POST", "/v1/widget/sessions/%/messages", widget, 400, "invalid_request", "id"},
		{"param", "DELETE", "/v1/admin/orgs/%zz/api-keys/" + o.KeyID, []string{"Authorization", "Bearer " + adminToken}, 400, "invalid_request", "org_id"},
		{"param", "DELETE", "/v1/admin/orgs/" + o.ID + "/api-keys/%E0%A4%A", []string{"Authorization", "Bearer " + adminToken}, 400, "invalid_request", "key_id"},
		{"param", "POST", "/v1/admin/orgs/%/api-keys", nil, 400, "invalid_request", "org_id"},
		// The path matched, not the method: as for any other id.
		{"method", "POST", "/v1/sessions/%zz", server, 405, "method_not_allowed", ""},
		{"method", "OPTIONS", "/v1/sessions/%zz", nil, 405, "method_not_allowed", ""},
		// Valid escapes that decode to odd ids: nothing by that id.
		{"nul", "GET", "/v1/sessions/%00", server, 404, "not_found", ""},
		{"overlong", "GET", "/v1/sessions/%C0%AF", server, 404, "not_found", ""},
		{"overlong", "GET", "/v1/widget/sessions/%E0%80%AF", widget, 404, "not_found", ""},
		{"dotdot", "GET", "/v1/sessions/..", server, 404, "not_found", ""},
		{"dotdot", "GET", "/v1/sessions/%2e%2e", server, 404, "not_found", ""},
		{"dotdot", "GET", "/v1/widget/../sessions", server, 404, "not_found", ""},
		{"dotdot", "GET", "/v1/widget/sessions/../../sessions/" + sid, widget, 404, "not_found", ""},
		{"slashes", "GET", "//v1/sessions", server, 404, "not_found", ""},
		{"slashes", "GET", "/v1//sessions", server, 404, "not_found", ""},
		{"encoded slash", "GET", "/v1/sessions/x%2F..%2F" + sid, server, 404, "not_found", ""},
		{"encoded slash", "GET", "/v1%2Fsessions", server, 404, "not_found", ""},
		{"long", "GET", "/" + long, nil, 404, "not_found", ""},
		{"long", "GET", "/v1/sessions/" + long, server, 404, "not_found", ""},
		{"long", "GET", "/v1/sessions/" + long + "%", server, 400, "invalid_request", "id"},
		{"control", "GET", "/v1/sessions/\x7f\x01", server, 404, "not_found", ""},
		{"space", "GET", "/v1/ses sions", server, 404, "not_found", ""},
		// Queries.
		{"query", "GET", "/v1/sessions?limit=%zz", server, 400, "invalid_request", "limit"},
		{"query", "GET", "/v1/sessions?cursor=%", server, 400, "invalid_request", "cursor"},
		{"query", "GET", "/v1/sessions?email=%E0%A4%A", nil, 400, "invalid_request", "email"},
		{"query", "GET", "/v1/sessions?%zz=1", server, 400, "invalid_request", "query"},
		{"query", "GET", "/v1/sessions?limit=1;cursor=x", server, 400, "invalid_request", "query"},
		{"query", "GET", "/v1/sessions/" + sid + "?after=%", server, 400, "invalid_request", "after"},
		{"query", "GET", "/v1/widget/sessions?cursor=%zz", widget, 400, "invalid_request", "cursor"},
		{"query", "POST", "/v1/users/authenticate?x=%", server, 400, "invalid_request", "query"},
		{"query", "GET", "/%?limit=%zz", nil, 404, "not_found", ""},
		{"query", "GET", "/v1/sessions?" + o.SK + "=%zz", server, 400, "invalid_request", "query"},
	}
	for _, tt := range tests {
		r := e.unchanged(t, func() resp { return e.raw(tt.method, tt.target, "", tt.headers...) })
		if tt.names != "" {
			checkErrorNames(t, r, tt.status, tt.code, tt.names)
		} else {
			checkError(t, r, tt.status, tt.code)
		}
		if strings.Contains(r.Raw, o.SK) || strings.Contains(r.Raw, "%zz") {
			t.Errorf("%s %q: the answer repeats the request: %s", tt.method, tt.target, r.Raw)
		}
		widgetRoute := strings.HasPrefix(tt.target, "/v1/widget/") && tt.status == 400
		if got := r.Header.Get("Access-Control-Allow-Origin"); widgetRoute && got != originA {
			t.Errorf("%s %s (%s): a widget route's refusal without CORS (%q)", tt.method, tt.target, tt.name, got)
		}
		if !strings.HasPrefix(tt.target, "/v1/widget/") && len(hasCORS(r.Header)) > 0 {
			t.Errorf("%s %s: CORS outside the widget routes", tt.method, tt.target)
		}
	}
	// A preflight of a widget route answers by origin alone, whatever its id.
	r := e.raw("OPTIONS", "/v1/widget/sessions/%zz/messages", "", "Origin", originA, "Access-Control-Request-Method", "POST")
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != originA {
		t.Errorf("preflight: %d %v", r.Status, r.Header)
	}
	// Valid escapes still work: %32 is 2, an id may be escaped.
	if r := e.raw("GET", "/v1/sessions?limit=%32", "", server...); r.Status != 200 {
		t.Errorf("limit=%%32: %d %s", r.Status, r.Raw)
	}
	if r := e.raw("GET", "/v1/sessions/"+strings.ReplaceAll(sid, "_", "%5F"), "", server...); r.Status != 200 {
		t.Errorf("escaped id: %d %s", r.Status, r.Raw)
	}
}

// A query that gives one of the routes' parameters twice is refused, as a
// body that repeats a key is: the worker would read the first value where
// another reader (a proxy, a log) reads the last, and a token bound to ws-1
// listing ?external_id=ws-1&external_id=ws-2 names another external id.
func TestRepeatedQueryParameters(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("A", originA)
	bound := e.verified(o, map[string]any{"user_id": "u1", "external_id": "ws-1"})
	sid := e.newSession(o, bound, nil)["id"].(string)
	srv := []string{"Authorization", "Bearer " + o.SK}
	wid := []string{"X-Widget-Token", o.PK, "Authorization", "Bearer " + bound, "Origin", originA}
	for _, c := range []struct {
		target, field string
		headers       []string
	}{
		{"/v1/widget/sessions?external_id=ws-1&external_id=ws-2", "external_id", wid},
		{"/v1/widget/sessions?external_id=ws-1&external%5Fid=ws-2", "external_id", wid},
		{"/v1/widget/sessions?external_id=ws-1&external_id=", "external_id", wid},
		{"/v1/widget/sessions?limit=1&limit=100", "limit", wid},
		{"/v1/widget/sessions?cursor=a&cursor=b", "cursor", wid},
		{"/v1/widget/sessions/" + sid + "?after=a&after=b", "after", wid},
		{"/v1/sessions?user_id=u1&user_id=u2", "user_id", srv},
		{"/v1/sessions?email=a@example.com&email=b@example.com", "email", srv},
		{"/v1/sessions?verified=true&verified=false", "verified", srv},
		{"/v1/sessions?external_id=ws-1&external_id=ws-2", "external_id", srv},
		{"/v1/users/export?user_id=u1&user_id=u2", "user_id", srv},
		{"/v1/sessions/" + sid + "?after=a&after=b", "after", srv},
	} {
		r := e.unchanged(t, func() resp { return e.raw("GET", c.target, "", c.headers...) })
		checkErrorNames(t, r, 400, "invalid_request", c.field)
	}
	// DELETE /v1/users with two identities erases neither.
	r := e.unchanged(t, func() resp { return e.raw("DELETE", "/v1/users?user_id=u1&user_id=u2", "", srv...) })
	checkErrorNames(t, r, 400, "invalid_request", "user_id")
	// Parameters given once each, and unknown ones repeated, still work.
	for _, target := range []string{"/v1/widget/sessions?external_id=ws-1&limit=5", "/v1/widget/sessions?x=1&x=2"} {
		if r := e.raw("GET", target, "", wid...); r.Status != 200 {
			t.Errorf("GET %s: %d %s", target, r.Status, r.Raw)
		}
	}
}

func TestOddHeaders(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("A", originA)
	tok := e.contact(o, device1)
	long := strings.Repeat("x", 64<<10)
	tests := []struct {
		method, target string
		headers        []string
		status         int
		code           string
	}{
		{"GET", "/v1/sessions", []string{"Authorization", "Bearer \xff\xfe"}, 401, "unauthorized"},
		{"GET", "/v1/sessions", []string{"Authorization", "Bearer " + long}, 401, "unauthorized"},
		{"GET", "/v1/sessions", []string{"Authorization", long}, 401, "unauthorized"},
		{"GET", "/v1/widget/me", []string{"X-Widget-Token", "\xc0\xaf"}, 401, "unauthorized"},
		{"GET", "/v1/widget/me", []string{"X-Widget-Token", long}, 401, "unauthorized"},
		{"GET", "/v1/widget/me", []string{"X-Widget-Token", o.PK, "Authorization", "Bearer " + tok + "\xff"}, 401, "invalid_token"},
		{"GET", "/v1/widget/me", []string{"X-Widget-Token", o.PK, "Origin", "https://shop.example\xff"}, 403, "origin_not_allowed"},
		{"OPTIONS", "/v1/widget/me", []string{"Origin", long}, 403, "origin_not_allowed"},
		{"OPTIONS", "/v1/widget/me", []string{"Origin", "\xff"}, 403, "origin_not_allowed"},
		{"POST", "/v1/widget/sessions", []string{"X-Widget-Token", o.PK, "Authorization", "Bearer " + tok, "Idempotency-Key", long}, 400, "invalid_request"},
		{"POST", "/v1/widget/sessions", []string{"X-Widget-Token", o.PK, "Authorization", "Bearer " + tok, "Idempotency-Key", "\xff"}, 400, "invalid_request"},
		{"POST", "/v1/users/authenticate", []string{"Authorization", "Bearer " + o.SK, "Content-Length", "-1"}, 400, "invalid_json"},
		{"POST", "/v1/users/authenticate", []string{"Authorization", "Bearer " + o.SK, "Content-Type", "\xff" + long}, 400, "invalid_json"},
	}
	for _, tt := range tests {
		r := e.unchanged(t, func() resp { return e.raw(tt.method, tt.target, "", tt.headers...) })
		checkError(t, r, tt.status, tt.code)
	}
}

func TestExactUniqueJSONKeys(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("A", originA)
	tok := e.contact(o, device2)
	sid := e.newSession(o, tok, nil)["id"].(string)
	srv := func(path, body string) resp {
		return e.raw("POST", path, body, "Authorization", "Bearer "+o.SK, "Content-Type", "application/json")
	}
	wid := func(path, body string) resp {
		return e.raw("POST", path, body, "X-Widget-Token", o.PK, "Authorization", "Bearer "+tok, "Origin", originA)
	}
	adm := func(path, body string) resp {
		return e.raw("POST", path, body, "Authorization", "Bearer "+adminToken)
	}
	// Repeated keys, at the top and nested: invalid_json, nothing stored.
	for _, c := range []struct {
		send func(path, body string) resp
		path string
		body string
	}{
		{srv, "/v1/users/authenticate", `{"user_id":"a","user_id":"b"}`},
		{srv, "/v1/users/authenticate", `{"user_id":"a","user\u005fid":"b"}`},
		{srv, "/v1/users/authenticate", `{"email":"a@x.co","user_id":"a","email":"b@x.co"}`},
		{srv, "/v1/users/authenticate", `{"user_id":"a","custom_data":{"plan":"free","plan":"pro"}}`},
		{srv, "/v1/users/authenticate", `{"user_id":"a","custom_data":{"x":{"y":{"k":1,"k":2}}}}`},
		{srv, "/v1/users/authenticate", `{"user_id":"a","custom_data":{"x":[{"k":1,"k":2}]}}`},
		{srv, "/v1/users/authenticate", `{"user_id":"a","extra":{"k":1,"k":2}}`},
		{srv, "/v1/users/revoke", `{"user_id":"a","user_id":"b"}`},
		{srv, "/v1/sessions/" + sid + "/messages", `{"content":"a","content":"b"}`},
		{wid, "/v1/widget/contacts", `{"device_id":"` + device1 + `","device_id":"` + device2 + `"}`},
		{wid, "/v1/widget/sessions", `{"external_id":"a","external_id":"b"}`},
		{wid, "/v1/widget/sessions", `{"custom_data":{"a":1,"a":2}}`},
		{wid, "/v1/widget/sessions/" + sid + "/messages", `{"content":"a","content":"b"}`},
		{adm, "/v1/admin/orgs", `{"name":"A","name":"B","allowed_origins":["https://a.example"]}`},
	} {
		r := e.refused(t, 400, "invalid_json", func() resp { return c.send(c.path, c.body) })
		if strings.HasPrefix(c.path, "/v1/widget/") && r.Header.Get("Access-Control-Allow-Origin") != originA {
			t.Errorf("%s: widget refusal without CORS", c.path)
		}
	}
	// Keys that match only when case or Unicode is folded are unknown
	// fields: ignored, so a required field is missing.
	for _, body := range []string{`{"USER_ID":"x"}`, `{"User_Id":"x"}`, `{"u\u017fer_id":"x"}`, `{"Email":"x@example.com"}`, `{"EMAIL":"x@example.com"}`} {
		r := e.unchanged(t, func() resp { return srv("/v1/users/authenticate", body) })
		checkErrorNames(t, r, 400, "invalid_request", "user_id")
	}
	r := e.unchanged(t, func() resp { return srv("/v1/sessions/"+sid+"/messages", `{"Content":"hi"}`) })
	checkErrorNames(t, r, 400, "invalid_request", "content")
	r = e.unchanged(t, func() resp { return wid("/v1/widget/contacts", `{"Device_Id":"`+device1+`"}`) })
	checkError(t, r, 400, "invalid_device_id")
	// Beside the exact key, a variant changes nothing: the exact one counts,
	// whichever comes last.
	for _, body := range []string{`{"user_id":"a","USER_ID":"b"}`, `{"USER_ID":"b","user_id":"a"}`} {
		r := srv("/v1/users/authenticate", body)
		user, _ := r.Body["user"].(map[string]any)
		if r.Status != 200 || user["user_id"] != "a" {
			t.Errorf("%s: %d %s, want user a", body, r.Status, r.Raw)
		}
	}
	// External_Id is not external_id: the token is for no workspace.
	r = srv("/v1/users/authenticate", `{"user_id":"c","External_Id":"ws-9","EXTERNAL_ID":"ws-8"}`)
	if r.Status != 200 {
		t.Fatalf("authenticate: %d %s", r.Status, r.Raw)
	}
	vt := r.Body["token"].(string)
	me := e.raw("GET", "/v1/widget/me", "", "X-Widget-Token", o.PK, "Authorization", "Bearer "+vt)
	if me.Status != 200 || strings.Contains(me.Raw, "ws-9") || strings.Contains(me.Raw, "ws-8") {
		t.Errorf("me: %d %s, want no external id", me.Status, me.Raw)
	}
	// custom_data keeps keys that differ in case: they are its own keys.
	r = srv("/v1/users/authenticate", `{"user_id":"d","custom_data":{"Plan":"a","plan":"b"}}`)
	if cd, _ := r.Body["user"].(map[string]any)["custom_data"].(map[string]any); r.Status != 200 || cd["Plan"] != "a" || cd["plan"] != "b" {
		t.Errorf("custom_data with case-variant keys: %d %s", r.Status, r.Raw)
	}
}
