package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/identity"
)

// world is two orgs, a contact of each, a verified user of org A, and a
// session of org A's contact: enough for every route to have a valid call.
type world struct {
	*env
	a, b        orgInfo
	contactA    string // contact token, org A, device1
	contactB    string // contact token, org B, device1
	verifiedA   string // verified token, org A, ann@example.com
	sessionA    string // session of contactA
	sessionVerA string // session of verifiedA
	spareKeyA   string // id of a second api key of org A, for routes that delete one
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := newEnv(t)
	w := &world{env: e}
	w.a = e.newOrg("Shop A", originA)
	w.b = e.newOrg("Shop B", originB)
	w.contactA = e.contact(w.a, device1)
	w.contactB = e.contact(w.b, device1)
	w.verifiedA = e.verified(w.a, map[string]any{"email": "ann@example.com"})
	w.sessionA = e.newSession(w.a, w.contactA, nil)["id"].(string)
	w.sessionVerA = e.newSession(w.a, w.verifiedA, nil)["id"].(string)
	r := e.admin("POST", "/v1/admin/orgs/"+w.a.ID+"/api-keys", nil)
	if r.Status != 201 {
		t.Fatalf("api key: %d %s", r.Status, r.Raw)
	}
	w.spareKeyA = r.Body["api_key"].(map[string]any)["id"].(string)
	return w
}

// route is one route called with valid credentials.
type route struct {
	name    string
	method  string
	path    string
	headers []string
	valid   string // a body the route accepts ("" for routes without one)
}

func (w *world) bodyRoutes() []route {
	wa := []string{"X-Widget-Token", w.a.PK}
	return []route{
		{"create org", "POST", "/v1/admin/orgs", []string{"Authorization", "Bearer " + adminToken}, `{"name":"X","allowed_origins":[]}`},
		{"authenticate", "POST", "/v1/users/authenticate", []string{"Authorization", "Bearer " + w.a.SK}, `{"user_id":"u-9"}`},
		{"revoke", "POST", "/v1/users/revoke", []string{"Authorization", "Bearer " + w.a.SK}, `{"user_id":"u-9"}`},
		{"agent message", "POST", "/v1/sessions/" + w.sessionA + "/messages", []string{"Authorization", "Bearer " + w.a.SK}, `{"content":"hi"}`},
		{"contacts", "POST", "/v1/widget/contacts", wa, `{"device_id":"` + device2 + `"}`},
		{"widget session", "POST", "/v1/widget/sessions", append(wa, "Authorization", "Bearer "+w.contactA), `{}`},
		{"widget message", "POST", "/v1/widget/sessions/" + w.sessionA + "/messages", append(wa, "Authorization", "Bearer "+w.contactA), `{"content":"hi"}`},
	}
}

func (w *world) noBodyRoutes() []route {
	wa := []string{"X-Widget-Token", w.a.PK, "Authorization", "Bearer " + w.contactA}
	sk := []string{"Authorization", "Bearer " + w.a.SK}
	adm := []string{"Authorization", "Bearer " + adminToken}
	return []route{
		{"new api key", "POST", "/v1/admin/orgs/" + w.a.ID + "/api-keys", adm, ""},
		{"delete api key", "DELETE", "/v1/admin/orgs/" + w.a.ID + "/api-keys/" + w.spareKeyA, adm, ""},
		{"list sessions", "GET", "/v1/sessions", sk, ""},
		{"get session", "GET", "/v1/sessions/" + w.sessionA, sk, ""},
		{"me", "GET", "/v1/widget/me", wa, ""},
		{"widget list", "GET", "/v1/widget/sessions", wa, ""},
		{"widget get", "GET", "/v1/widget/sessions/" + w.sessionA, wa, ""},
		{"jwks", "GET", "/.well-known/jwks.json", nil, ""},
	}
}

func (w *world) call(rt route, body any, extra ...string) resp {
	w.t.Helper()
	return w.send(request(rt.method, rt.path, body, append(append([]string{}, rt.headers...), extra...)...))
}

// TestValidCallsOfTheTable makes sure the table's calls are accepted, so that
// the refusals below are refusals of what they change.
func TestValidCallsOfTheTable(t *testing.T) {
	w := newWorld(t)
	for _, rt := range w.bodyRoutes() {
		if r := w.call(rt, rt.valid); r.Status >= 300 {
			t.Errorf("%s: %d %s", rt.name, r.Status, r.Raw)
		}
	}
	for _, rt := range w.noBodyRoutes() {
		if r := w.call(rt, nil); r.Status >= 300 {
			t.Errorf("%s: %d %s", rt.name, r.Status, r.Raw)
		}
	}
}

func TestMalformedJSON(t *testing.T) {
	w := newWorld(t)
	bodies := []string{
		`{`, `{"a":}`, `{"a" 1}`, `{'a':1}`, `{"a":1,}`, `{"content":"hi"`, `nul`, `{"a":1}{`,
		`{"a":1} {"b":2}`, `{"a":1} x`, `{"a":1}]`, `{"a":tru}`, `{"a":"\x"}`, "\x00", `{"a":01}`,
		`{"content":"hi"}garbage`, "\xef\xbb\xbf{}", `<xml/>`,
	}
	for _, rt := range w.bodyRoutes() {
		for _, b := range bodies {
			t.Run(fmt.Sprintf("%s/%q", rt.name, b), func(t *testing.T) {
				w.refused(t, 400, "invalid_json", func() resp { return w.call(rt, b) })
			})
		}
	}
}

// A string that escapes half of a UTF-16 surrogate pair alone is not UTF-8
// text, like the raw bytes that spell it (ED A0 80): invalid_json on every
// route, in any field, known or not. Before, encoding/json made it U+FFFD,
// so user_id "\ud800", "\udbff" and "\ufffd" were one user.
func TestLoneSurrogateEscapes(t *testing.T) {
	w := newWorld(t)
	for _, rt := range w.bodyRoutes() {
		for _, s := range []string{`"\ud800"`, `"\udc00\ud800"`, `"a\ud83d"`, `["\uDFFF"]`, `{"k":"\ud83dx"}`} {
			b := `{"zz":` + s + `,` + rt.valid[1:]
			if rt.valid == `{}` {
				b = `{"zz":` + s + `}`
			}
			t.Run(fmt.Sprintf("%s/%s", rt.name, s), func(t *testing.T) {
				w.refused(t, 400, "invalid_json", func() resp { return w.call(rt, b) })
			})
		}
	}
	for _, b := range []string{`{"user_id":"\ud800"}`, `{"user_id":"\udbff"}`, `{"email":"a\udc00@example.com"}`, `{"user_id":"u","external_id":"\ud800"}`} {
		w.refused(t, 400, "invalid_json", func() resp { return w.server(w.a, "POST", "/v1/users/authenticate", b) })
	}
	// A pair is one character, as it always was.
	if r := w.server(w.a, "POST", "/v1/users/authenticate", `{"user_id":"\ud83d\ude00"}`); r.Status != 200 {
		t.Errorf("a surrogate pair: %d %s", r.Status, r.Raw)
	}
}

func TestEmptyBody(t *testing.T) {
	w := newWorld(t)
	for _, rt := range w.bodyRoutes() {
		for _, b := range []any{nil, "", "  \n\t "} {
			t.Run(fmt.Sprintf("%s/%q", rt.name, b), func(t *testing.T) {
				w.refused(t, 400, "invalid_json", func() resp { return w.call(rt, b) })
			})
		}
	}
}

func TestBodyNotAnObject(t *testing.T) {
	w := newWorld(t)
	for _, rt := range w.bodyRoutes() {
		for _, b := range []string{`[]`, `[` + rt.valid + `]`, `"x"`, `42`, `null`, `true`} {
			t.Run(fmt.Sprintf("%s/%s", rt.name, b), func(t *testing.T) {
				w.refused(t, 400, "invalid_request", func() resp { return w.call(rt, b) })
			})
		}
	}
}

func TestWrongTypes(t *testing.T) {
	w := newWorld(t)
	cases := map[string][]struct{ body, field string }{
		"create org": {
			{`{"name":5}`, "name"}, {`{"name":{"x":1}}`, "name"}, {`{"name":null}`, "name"},
			{`{"name":"X","allowed_origins":"https://a.example"}`, "allowed_origins"},
			{`{"name":"X","allowed_origins":[1]}`, "allowed_origins"},
			{`{"name":"X","allowed_origins":{"a":1}}`, "allowed_origins"},
		},
		"authenticate": {
			{`{"user_id":5}`, "user_id"}, {`{"email":true}`, "email"}, {`{"user_id":"u","name":[]}`, "name"},
			{`{"user_id":"u","avatar_url":{}}`, "avatar_url"}, {`{"user_id":"u","phone":1}`, "phone"},
			{`{"user_id":"u","custom_data":"x"}`, "custom_data"}, {`{"user_id":"u","custom_data":[1]}`, "custom_data"},
			{`{"user_id":"u","custom_data":5}`, "custom_data"}, {`{"user_id":"u","external_id":1}`, "external_id"},
			{`{"user_id":"u","ttl_seconds":"60"}`, "ttl_seconds"}, {`{"user_id":"u","ttl_seconds":60.5}`, "ttl_seconds"},
			{`{"user_id":"u","ttl_seconds":1e30}`, "ttl_seconds"}, {`{"user_id":null,"email":null}`, "user_id"},
		},
		"revoke": {{`{"user_id":1}`, "user_id"}, {`{"email":["a@b.c"]}`, "email"}, {`{}`, "user_id"}},
		"agent message": {
			{`{"content":1}`, "content"}, {`{"content":"hi","author_name":1}`, "author_name"},
			{`{"content":null}`, "content"}, {`{}`, "content"}, {`{"content":["hi"]}`, "content"},
		},
		"contacts": {
			{`{"device_id":1}`, "device_id"}, {`{"device_id":"` + device2 + `","name":1}`, "name"},
			{`{"device_id":"` + device2 + `","email":1}`, "email"}, {`{"device_id":"` + device2 + `","custom_data":"x"}`, "custom_data"},
		},
		"widget session": {{`{"external_id":1}`, "external_id"}, {`{"custom_data":"x"}`, "custom_data"}, {`{"custom_data":[]}`, "custom_data"}},
		"widget message": {{`{"content":1}`, "content"}, {`{}`, "content"}, {`{"content":{"text":"hi"}}`, "content"}},
	}
	for _, rt := range w.bodyRoutes() {
		if len(cases[rt.name]) == 0 {
			t.Fatalf("no cases for %s", rt.name)
		}
		for _, c := range cases[rt.name] {
			t.Run(rt.name+"/"+c.body, func(t *testing.T) {
				r := w.unchanged(t, func() resp { return w.call(rt, c.body) })
				checkErrorNames(t, r, 400, "invalid_request", c.field)
			})
		}
	}
}

func TestMissingDeviceID(t *testing.T) {
	w := newWorld(t)
	for _, b := range []string{`{}`, `{"device_id":null}`, `{"device_id":""}`, `{"name":"Ann"}`} {
		r := w.unchanged(t, func() resp { return w.widget(w.a, "", "POST", "/v1/widget/contacts", b) })
		checkErrorNames(t, r, 400, "invalid_device_id", "device_id")
	}
}

func TestUnknownFieldsAreIgnored(t *testing.T) {
	w := newWorld(t)
	r := w.admin("POST", "/v1/admin/orgs", `{"name":"X","allowed_origins":[],"extra":{"deep":[1,{"x":null}]},"id":"forced"}`)
	if r.Status != 201 || r.Body["org"].(map[string]any)["id"] == "forced" {
		t.Errorf("create org with unknown fields: %d %s", r.Status, r.Raw)
	}
	r = w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions", `{"verified":true,"user_id":"u-1","id":"forced","owner":"x"}`)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	s := r.Body["session"].(map[string]any)
	if s["verified"] != false || s["id"] == "forced" {
		t.Errorf("browser fields were taken: %s", r.Raw)
	}
}

// bigBody returns a JSON object of exactly n bytes: valid, padded with
// white space after the fields of valid.
func bigBody(valid string, n int) string {
	return valid[:len(valid)-1] + strings.Repeat(" ", n-len(valid)) + "}"
}

func TestBodyLimit(t *testing.T) {
	w := newWorld(t)
	const limit = 64 << 10
	for _, rt := range w.bodyRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			// Exactly 64 KiB is accepted (white space counts).
			if r := w.call(rt, bigBody(rt.valid, limit)); r.Status == 413 {
				t.Errorf("64 KiB: %d %s", r.Status, r.Raw)
			}
			over := bigBody(rt.valid, limit+1)
			w.refused(t, 413, "payload_too_large", func() resp { return w.call(rt, over) })
			w.refused(t, 413, "payload_too_large", func() resp { return w.call(rt, strings.Repeat("x", 1<<20)) })
			// A Content-Length that lies, either way, changes nothing.
			w.refused(t, 413, "payload_too_large", func() resp {
				req := request(rt.method, rt.path, over, rt.headers...)
				req.ContentLength = 10
				req.Header.Set("Content-Length", "10")
				return w.send(req)
			})
			w.refused(t, 413, "payload_too_large", func() resp {
				req := request(rt.method, rt.path, over, rt.headers...)
				req.ContentLength = -1 // chunked
				req.Header.Del("Content-Length")
				return w.send(req)
			})
			w.refused(t, 413, "payload_too_large", func() resp {
				req := request(rt.method, rt.path, rt.valid, rt.headers...)
				req.ContentLength = limit + 1
				req.Header.Set("Content-Length", fmt.Sprint(limit+1))
				return w.send(req)
			})
		})
	}
}

// TestBodyLimitOnRoutesWithoutBody: "A request body over 64 KiB gets 413"
// holds for every request, also those whose route takes no body.
func TestBodyLimitOnRoutesWithoutBody(t *testing.T) {
	w := newWorld(t)
	over := strings.Repeat("x", 64<<10+1)
	for _, rt := range w.noBodyRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			w.refused(t, 413, "payload_too_large", func() resp { return w.call(rt, over) })
		})
	}
}

func TestFieldLimits(t *testing.T) {
	w := newWorld(t)
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
	email255 := strings.Repeat("l", 64) + "@" + strings.Repeat("d", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("d", 62)
	keys51 := map[string]any{}
	for i := range 51 {
		keys51[fmt.Sprint("k", i)] = i
	}
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": 1}}}}
	huge := map[string]any{"v": strings.Repeat("x", 8200)}
	origins51 := make([]string, 51)
	for i := range origins51 {
		origins51[i] = fmt.Sprintf("https://o%d.example", i)
	}
	sess := "/v1/widget/sessions"
	msg := "/v1/widget/sessions/" + w.sessionA + "/messages"
	agent := "/v1/sessions/" + w.sessionA + "/messages"
	type call struct {
		name, field, code string
		do                func() resp
	}
	adminPost := func(b map[string]any) func() resp {
		return func() resp { return w.admin("POST", "/v1/admin/orgs", b) }
	}
	auth := func(b map[string]any) func() resp {
		return func() resp { return w.server(w.a, "POST", "/v1/users/authenticate", b) }
	}
	contact := func(b map[string]any) func() resp {
		b["device_id"] = device2
		return func() resp { return w.widget(w.a, "", "POST", "/v1/widget/contacts", b) }
	}
	widget := func(path string, b any, h ...string) func() resp {
		return func() resp { return w.widget(w.a, w.contactA, "POST", path, b, h...) }
	}
	get := func(path string) func() resp {
		return func() resp { return w.widget(w.a, w.contactA, "GET", path, nil) }
	}
	serverGet := func(path string) func() resp {
		return func() resp { return w.server(w.a, "GET", path, nil) }
	}
	calls := []call{
		{"org name 201", "name", "invalid_request", adminPost(map[string]any{"name": long(201)})},
		{"org name empty", "name", "invalid_request", adminPost(map[string]any{"name": "  "})},
		{"org 51 origins", "allowed_origins", "invalid_request", adminPost(map[string]any{"name": "X", "allowed_origins": origins51})},
		{"org bad origin", "allowed_origins", "invalid_request", adminPost(map[string]any{"name": "X", "allowed_origins": []string{"https://a.example/path"}})},
		{"org origin not a URL", "allowed_origins", "invalid_request", adminPost(map[string]any{"name": "X", "allowed_origins": []string{"*"}})},

		{"user_id 257", "user_id", "invalid_request", auth(map[string]any{"user_id": long(257)})},
		{"user_id control", "user_id", "invalid_request", auth(map[string]any{"user_id": "u\n1"})},
		{"email 255", "email", "invalid_email", auth(map[string]any{"email": email255})},
		{"email invalid", "email", "invalid_email", auth(map[string]any{"email": "ann@"})},
		{"name 201", "name", "invalid_request", auth(map[string]any{"user_id": "u", "name": long(201)})},
		{"custom_data 51 keys", "custom_data", "invalid_request", auth(map[string]any{"user_id": "u", "custom_data": keys51})},
		{"custom_data depth 4", "custom_data", "invalid_request", auth(map[string]any{"user_id": "u", "custom_data": deep})},
		{"custom_data > 8 KiB", "custom_data", "invalid_request", auth(map[string]any{"user_id": "u", "custom_data": huge})},
		// A number no float64 holds would make the stored record unreadable.
		{"custom_data 1e400", "custom_data", "invalid_request", auth(map[string]any{"user_id": "u", "custom_data": json.RawMessage(`{"n":1e400}`)})},
		{"external_id 257", "external_id", "invalid_request", auth(map[string]any{"user_id": "u", "external_id": long(257)})},
		{"ttl 59", "ttl_seconds", "invalid_request", auth(map[string]any{"user_id": "u", "ttl_seconds": 59})},
		{"ttl 2592001", "ttl_seconds", "invalid_request", auth(map[string]any{"user_id": "u", "ttl_seconds": 2592001})},
		{"avatar_url javascript", "avatar_url", "invalid_request", auth(map[string]any{"user_id": "u", "avatar_url": "javascript:alert(1)"})},
		{"phone 65", "phone", "invalid_request", auth(map[string]any{"user_id": "u", "phone": strings.Repeat("1", 65)})},
		{"revoke nobody", "user_id", "invalid_request", func() resp { return w.server(w.a, "POST", "/v1/users/revoke", map[string]any{"user_id": ""}) }},
		{"revoke bad email", "email", "invalid_email", func() resp { return w.server(w.a, "POST", "/v1/users/revoke", map[string]any{"email": "x"}) }},

		{"contact name 201", "name", "invalid_request", contact(map[string]any{"name": long(201)})},
		{"contact email invalid", "email", "invalid_email", contact(map[string]any{"email": "Ann <ann@example.com>"})},
		{"contact custom_data depth 4", "custom_data", "invalid_request", contact(map[string]any{"custom_data": deep})},
		{"contact custom_data 51 keys", "custom_data", "invalid_request", contact(map[string]any{"custom_data": keys51})},
		{"contact custom_data 1e400", "custom_data", "invalid_request", contact(map[string]any{"custom_data": json.RawMessage(`{"a":[1e400]}`)})},
		{"device id v1", "device_id", "invalid_device_id", func() resp {
			return w.widget(w.a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": "0b7e3f8a-1c2d-1e5f-8a9b-0c1d2e3f4a5b"})
		}},
		{"device id upper case", "device_id", "invalid_device_id", func() resp {
			return w.widget(w.a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": strings.ToUpper(device2)})
		}},

		{"session external_id 257", "external_id", "invalid_request", widget(sess, map[string]any{"external_id": long(257)})},
		{"session custom_data 51 keys", "custom_data", "invalid_request", widget(sess, map[string]any{"custom_data": keys51})},
		{"session custom_data > 8 KiB", "custom_data", "invalid_request", widget(sess, map[string]any{"custom_data": huge})},
		{"session custom_data -1e400", "custom_data", "invalid_request", widget(sess, map[string]any{"custom_data": json.RawMessage(`{"n":-1e400}`)})},
		{"message empty", "content", "invalid_request", widget(msg, map[string]any{"content": ""})},
		{"message blank", "content", "invalid_request", widget(msg, map[string]any{"content": " \n\t "})},
		{"message 10001", "content", "invalid_request", widget(msg, map[string]any{"content": long(10001)})},
		{"agent message 10001", "content", "invalid_request", func() resp {
			return w.server(w.a, "POST", agent, map[string]any{"content": long(10001)})
		}},
		{"agent author_name 201", "author_name", "invalid_request", func() resp {
			return w.server(w.a, "POST", agent, map[string]any{"content": "hi", "author_name": long(201)})
		}},
		{"Idempotency-Key 129", "Idempotency-Key", "invalid_request", widget(msg, map[string]any{"content": "hi"}, "Idempotency-Key", strings.Repeat("k", 129))},
		{"Idempotency-Key non-ASCII", "Idempotency-Key", "invalid_request", widget(msg, map[string]any{"content": "hi"}, "Idempotency-Key", "clé")},
		{"Idempotency-Key empty", "Idempotency-Key", "invalid_request", widget(sess, map[string]any{}, "Idempotency-Key", "")},

		{"limit 0", "limit", "invalid_request", get(sess + "?limit=0")},
		{"limit 101", "limit", "invalid_request", get(sess + "?limit=101")},
		{"limit word", "limit", "invalid_request", get(sess + "?limit=ten")},
		{"cursor forged", "cursor", "invalid_request", get(sess + "?cursor=forged!")},
		{"widget list external_id 257", "external_id", "invalid_request", get(sess + "?external_id=" + strings.Repeat("x", 257))},
		{"after too long", "after", "invalid_request", get(sess + "/" + w.sessionA + "?after=" + strings.Repeat("a", 65))},
		{"server limit -1", "limit", "invalid_request", serverGet("/v1/sessions?limit=-1")},
		{"server verified maybe", "verified", "invalid_request", serverGet("/v1/sessions?verified=maybe")},
		{"server user_id 257", "user_id", "invalid_request", serverGet("/v1/sessions?user_id=" + strings.Repeat("u", 257))},
		{"server email 255", "email", "invalid_request", serverGet("/v1/sessions?email=" + email255)},
		{"server external_id control", "external_id", "invalid_request", serverGet("/v1/sessions?external_id=a%0Ab")},
		{"server cursor forged", "cursor", "invalid_request", serverGet("/v1/sessions?cursor=eyJjIjoiYWJjIn0")},
	}
	if len(email255) != 255 {
		t.Fatalf("email255 is %d", len(email255))
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			r := w.unchanged(t, c.do)
			checkErrorNames(t, r, 400, c.code, c.field)
		})
	}
}

func TestFieldLimitsAccepted(t *testing.T) {
	w := newWorld(t)
	keys50 := map[string]any{}
	for i := range 50 {
		keys50[fmt.Sprint("k", i)] = i
	}
	depth3 := map[string]any{"a": []any{map[string]any{"b": 1}}}
	for name, do := range map[string]func() resp{
		"name 200 chars": func() resp {
			return w.server(w.a, "POST", "/v1/users/authenticate", map[string]any{"user_id": strings.Repeat("é", 256), "name": strings.Repeat("é", 200),
				"external_id": strings.Repeat("語", 256), "custom_data": keys50, "ttl_seconds": 60})
		},
		"ttl max": func() resp {
			return w.server(w.a, "POST", "/v1/users/authenticate", map[string]any{"email": "ann@example.com", "ttl_seconds": 2592000, "custom_data": depth3})
		},
		"content 10000 chars": func() resp {
			return w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions/"+w.sessionA+"/messages", map[string]any{"content": strings.Repeat("é", 10000)},
				"Idempotency-Key", strings.Repeat("~", 128))
		},
		// 8 KiB as compact JSON, sent as Python's json.dumps writes it (a
		// space after each colon, "é" as \u00e9): the size is the object's.
		"custom_data 8 KiB, spaced and escaped": func() resp {
			return w.server(w.a, "POST", "/v1/users/authenticate", `{"user_id": "u", "custom_data": {"v": "`+strings.Repeat(`\u00e9`, (8192-len(`{"v":""}`))/2)+`"}}`)
		},
		"contact limits": func() resp {
			return w.widget(w.a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device2, "name": strings.Repeat("é", 200), "custom_data": keys50})
		},
	} {
		if r := do(); r.Status >= 300 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

func TestUnknownRoute(t *testing.T) {
	w := newWorld(t)
	for _, p := range []string{"/", "/v1", "/v1/", "/v1/nope", "/v1/widget", "/v1/widget/nope", "/v1/admin/orgs/x/nope",
		"/v1/sessions/x/y/z", "/v1/user", "/.well-known/nope", "/v1/sessions/", "/V1/SESSIONS", "/demo/config", "/demo/token"} {
		for _, m := range []string{"GET", "POST"} {
			t.Run(m+" "+p, func(t *testing.T) {
				w.refused(t, 404, "not_found", func() resp {
					return w.send(request(m, p, `{}`, "Authorization", "Bearer "+adminToken, "X-Widget-Token", w.a.PK))
				})
			})
		}
	}
}

func TestWrongMethod(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct{ method, path string }{
		{"PUT", "/v1/sessions"}, {"DELETE", "/v1/sessions"}, {"POST", "/v1/sessions"},
		{"GET", "/v1/admin/orgs"}, {"DELETE", "/v1/admin/orgs"}, {"PATCH", "/v1/admin/orgs"},
		{"GET", "/v1/admin/orgs/" + w.a.ID + "/api-keys"}, {"PUT", "/v1/admin/orgs/" + w.a.ID + "/api-keys/" + w.a.KeyID},
		{"GET", "/v1/users/authenticate"}, {"DELETE", "/v1/users/revoke"},
		{"DELETE", "/v1/sessions/" + w.sessionA}, {"GET", "/v1/sessions/" + w.sessionA + "/messages"},
		{"GET", "/v1/widget/contacts"}, {"POST", "/v1/widget/me"}, {"DELETE", "/v1/widget/sessions"},
		{"PUT", "/v1/widget/sessions/" + w.sessionA}, {"GET", "/v1/widget/sessions/" + w.sessionA + "/messages"},
		{"POST", "/.well-known/jwks.json"}, {"TRACE", "/v1/sessions"}, {"OPTIONS", "/v1/users/authenticate"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			w.refused(t, 405, "method_not_allowed", func() resp {
				return w.send(request(c.method, c.path, `{"name":"X","content":"hi"}`,
					"Authorization", "Bearer "+adminToken, "X-Widget-Token", w.a.PK))
			})
		})
	}
}

func TestStatusOf(t *testing.T) {
	want := map[identity.Code]int{
		identity.CodeInvalidJSON: 400, identity.CodeInvalidRequest: 400, identity.CodeInvalidEmail: 400, identity.CodeInvalidDeviceID: 400,
		identity.CodeUnauthorized: 401, identity.CodeTokenExpired: 401, identity.CodeTokenRevoked: 401, identity.CodeInvalidToken: 401,
		identity.CodeOriginNotAllowed: 403, identity.CodeExternalIDMismatch: 403, identity.CodeForbidden: 403,
		identity.CodeNotFound: 404, identity.CodeMethodNotAllowed: 405, identity.CodeIdempotencyConflict: 409,
		identity.CodePayloadTooLarge: 413, identity.CodeRateLimited: 429, identity.CodeUnavailable: 503, identity.CodeInternal: 500,
	}
	for code, st := range want {
		if got := api.StatusOf(identity.Errorf(code, "x.")); got != st {
			t.Errorf("StatusOf(%s) = %d, want %d", code, got, st)
		}
		if got := api.StatusOf(fmt.Errorf("wrapped: %w", identity.Errorf(code, "x."))); got != st {
			t.Errorf("StatusOf(wrapped %s) = %d, want %d", code, got, st)
		}
	}
	if got := api.StatusOf(errors.New("boom")); got != 500 {
		t.Errorf("StatusOf(plain) = %d", got)
	}
	if got := api.StatusOf(identity.Errorf("made_up", "x.")); got != 500 {
		t.Errorf("StatusOf(unknown code) = %d", got)
	}
}

// TestLongOrigins: allowed_origins have no length limit of their own, but
// every origin is part of a KV key (origin/{origin}/{org}, at most 512
// bytes). A too long origin must be a 400 that stores nothing, never a 5xx
// nor an org half made; and an origin that is accepted must then pass the
// CORS preflight.
func TestLongOrigins(t *testing.T) {
	e := newEnv(t)
	long := "https://" + strings.Repeat("a", 600) + ".example"
	r := e.unchanged(t, func() resp {
		return e.admin("POST", "/v1/admin/orgs", map[string]any{"name": "X", "allowed_origins": []string{"https://ok.example", long}})
	})
	checkErrorNames(t, r, 400, "invalid_request", "allowed_origins")

	for _, n := range []int{250, 350, 450} {
		origin := "https://" + strings.Repeat("b", n) + ".example"
		r := e.admin("POST", "/v1/admin/orgs", map[string]any{"name": "X", "allowed_origins": []string{origin}})
		if r.Status == 400 {
			checkErrorNames(t, r, 400, "invalid_request", "allowed_origins")
			continue
		}
		if r.Status != 201 {
			t.Errorf("origin of %d bytes: %d %s", len(origin), r.Status, r.Raw)
			continue
		}
		pre := e.send(request("OPTIONS", "/v1/widget/contacts", nil, "Origin", origin, "Access-Control-Request-Method", "POST"))
		if pre.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("origin of %d bytes was accepted, but its preflight is refused: %d %s", len(origin), pre.Status, pre.Raw)
		}
	}
}

// TestWrongMethodSendsAllow: a 405 names the methods the route takes in an
// Allow header (RFC 9110, 15.5.6: "MUST generate an Allow header field"),
// all of them (10.2.1: the methods the resource supports): HEAD wherever GET
// is, as a GET route answers HEAD, and OPTIONS on the widget routes, which
// answer preflights.
func TestWrongMethodSendsAllow(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		method, path string
		allow        string
	}{
		{"PUT", "/v1/sessions", "GET, HEAD"},
		{"OPTIONS", "/v1/sessions/" + w.sessionA, "GET, HEAD"},
		{"GET", "/v1/admin/orgs", "POST"},
		{"PUT", "/v1/admin/orgs/x", "GET, HEAD, PATCH"},
		{"GET", "/v1/users/authenticate", "POST"},
		{"HEAD", "/v1/users", "DELETE"},
		{"POST", "/v1/webhook", "PUT, GET, HEAD, DELETE"},
		{"POST", "/.well-known/jwks.json", "GET, HEAD"},
		{"DELETE", "/v1/widget/sessions", "POST, GET, HEAD, OPTIONS"},
		{"PUT", "/v1/widget/me", "GET, HEAD, DELETE, OPTIONS"},
		{"GET", "/v1/sessions/" + w.sessionA + "/messages", "POST"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := w.send(request(c.method, c.path, nil))
			if c.method != "HEAD" {
				checkError(t, r, 405, "method_not_allowed")
			} else if r.Status != 405 {
				t.Errorf("status %d, want 405", r.Status)
			}
			if got := r.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
		})
	}
}

// A body nested deeper than jsonread.MaxDepth in a field the route reads is
// invalid_request naming the field (encoding/json would recurse once per
// level, which overflows the worker's fixed TinyGo stack); nested as deep in
// an unknown field, which is ignored and never decoded, it is accepted.
func TestDeepNesting(t *testing.T) {
	w := newWorld(t)
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	for _, rt := range w.bodyRoutes() {
		valid := strings.TrimSuffix(strings.TrimSpace(rt.valid), "}")
		t.Run(rt.name, func(t *testing.T) {
			sep, key := ",", "custom_data" // for a valid body of {}
			if strings.TrimSpace(valid) == "{" {
				sep = ""
			} else {
				// Every other route's valid body starts with a field it reads.
				key, _, _ = strings.Cut(strings.TrimPrefix(valid, `{"`), `"`)
			}
			if r := w.call(rt, valid+sep+`"zz_unknown":`+deep+`}`); r.Status >= 300 {
				t.Errorf("deep unknown field: %d %s", r.Status, r.Raw)
			}
			w.refused(t, 400, "invalid_request", func() resp { return w.call(rt, `{"`+key+`":`+deep+`}`) })
		})
	}
}
