package attack

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// The classes of requests that cannot be understood (issue 19): escapes
// that are not valid percent-encoding in the path and the query of every
// route, with and without credentials, OPTIONS too; JSON bodies whose keys
// differ from the contract's only in case; JSON bodies that repeat a key;
// JSON nested thousands of levels deep, in bodies and in tokens.
const (
	ClassMalformedEscape = "malformed-escape"
	ClassJSONKeyCase     = "json-key-case"
	ClassJSONKeyRepeated = "json-key-repeated"
	ClassJSONDeep        = "json-nested-deep"
	invalidRequest       = "invalid_request"
	invalidJSON          = "invalid_json"
)

// badEscapes are the three: a lone %, bad hex, a cut UTF-8 sequence.
var badEscapes = []string{"%", "%zz", "%E0%A4%A"}

// anyRoute is one route of the API with the credentials its caller sends.
type anyRoute struct {
	method string
	// path is the route's path with each {param} as "{}", filled by fill.
	path string
	fill func(f *Fixture) []string
	cred func(f *Fixture) http.Header
	body func(f *Fixture) string
}

func allAPIRoutes() []anyRoute {
	admin := func(f *Fixture) http.Header { return hdr("Authorization", "Bearer "+f.adminToken) }
	server := func(f *Fixture) http.Header { return hdr("Authorization", "Bearer "+f.A.APIKey) }
	widget := func(f *Fixture) http.Header { return hdr("X-Widget-Token", f.A.WidgetToken, "Origin", f.A.Origin) }
	user := func(f *Fixture) http.Header {
		return hdr("X-Widget-Token", f.A.WidgetToken, "Authorization", "Bearer "+f.CA1, "Origin", f.A.Origin)
	}
	none := func(*Fixture) []string { return nil }
	body := func(s string) func(*Fixture) string { return func(*Fixture) string { return s } }
	noBody := body("")
	return []anyRoute{
		{"GET", "/.well-known/jwks.json", none, func(*Fixture) http.Header { return http.Header{} }, noBody},
		{"POST", "/v1/admin/orgs", none, admin, probeOrgBody},
		{"POST", "/v1/admin/orgs/{}/api-keys", func(f *Fixture) []string { return []string{f.A.ID} }, admin, noBody},
		{"DELETE", "/v1/admin/orgs/{}/api-keys/{}", func(f *Fixture) []string { return []string{f.A.ID, f.A.APIKeyID} }, admin, noBody},
		{"POST", "/v1/users/authenticate", none, server, body(attackAuthenticateBody)},
		{"POST", "/v1/users/revoke", none, server, body(attackRevokeVictimBody)},
		{"GET", "/v1/sessions", none, server, noBody},
		{"GET", "/v1/sessions/{}", func(f *Fixture) []string { return []string{f.SA1} }, server, noBody},
		{"POST", "/v1/sessions/{}/messages", func(f *Fixture) []string { return []string{f.SA1} }, server, body(attackContent)},
		{"POST", "/v1/widget/contacts", none, widget, func(f *Fixture) string { return fmt.Sprintf(attackContactNameChange, f.DevA1) }},
		{"GET", "/v1/widget/me", none, user, noBody},
		{"POST", "/v1/widget/sessions", none, user, body(attackSessionBody)},
		{"GET", "/v1/widget/sessions", none, user, noBody},
		{"GET", "/v1/widget/sessions/{}", func(f *Fixture) []string { return []string{f.SA1} }, user, noBody},
		{"POST", "/v1/widget/sessions/{}/messages", func(f *Fixture) []string { return []string{f.SA1} }, user, body(attackContent)},
	}
}

// build fills the route's params; bad, when not "", replaces param i (or,
// for a route without params, is appended to its last segment).
func (rt anyRoute) build(f *Fixture, i int, bad string) string {
	vals := rt.fill(f)
	p := rt.path
	for j, v := range vals {
		if j == i && bad != "" {
			v = bad
		}
		p = strings.Replace(p, "{}", v, 1)
	}
	if len(vals) == 0 && bad != "" {
		p += bad
	}
	return p
}

func (rt anyRoute) widget() bool { return strings.HasPrefix(rt.path, "/v1/widget/") }

func malformedEscapeCases() []Case {
	c := func(name string, want Want, req func(f *Fixture) Request) Case {
		return Case{Class: ClassMalformedEscape, Name: name, Want: want, Req: req}
	}
	var cs []Case
	// The three on no route at all, every method, with and without
	// an api key.
	for _, bad := range badEscapes {
		for _, m := range []string{"GET", "POST", "DELETE", "OPTIONS"} {
			cs = append(cs,
				c(m+" /"+bad, refusal(404, notFound), func(f *Fixture) Request { return Request{Method: m, Path: "/" + bad, Header: http.Header{}} }),
				c(m+" /"+bad+" with an api key", refusal(404, notFound), func(f *Fixture) Request {
					return serverReq(m, "/"+bad, "Bearer "+f.A.APIKey, "")
				}))
		}
	}
	optionsDone := map[string]bool{} // paths of two routes get one OPTIONS
	for _, rt := range allAPIRoutes() {
		nParams := strings.Count(rt.path, "{}")
		options := !optionsDone[rt.path]
		optionsDone[rt.path] = true
		// In the path: a {param} that cannot be decoded is a 400 naming it,
		// before credentials; in a literal segment, no route.
		for _, bad := range badEscapes {
			for i := 0; i < max(nParams, 1); i++ {
				want := refusal(400, invalidRequest)
				where := fmt.Sprintf("param %d", i+1)
				if nParams == 0 {
					want, where = refusal(404, notFound), "last segment"
				}
				name := fmt.Sprintf("%s %s, %q in the %s", rt.method, rt.path, bad, where)
				cs = append(cs,
					c(name+", no credentials", want, func(f *Fixture) Request {
						return Request{Method: rt.method, Path: rt.build(f, i, bad), Header: http.Header{}, Body: bodyOf(rt.body(f))}
					}),
					c(name+", with credentials", want, func(f *Fixture) Request {
						return Request{Method: rt.method, Path: rt.build(f, i, bad), Header: rt.cred(f), Body: bodyOf(rt.body(f))}
					}))
			}
		}
		// OPTIONS of the same: a widget route's preflight answers by origin
		// alone; any other route has no OPTIONS (405), or no route (404).
		optWant := refusal(405, methodNotAllowed)
		switch {
		case rt.widget():
			optWant = Want{Status: 204}
		case nParams == 0:
			optWant = refusal(404, notFound)
		}
		if options {
			cs = append(cs, c(fmt.Sprintf("OPTIONS %s, %q in it", rt.path, "%zz"), optWant, func(f *Fixture) Request {
				h := http.Header{}
				if rt.widget() {
					h = hdr("Origin", f.A.Origin, "Access-Control-Request-Method", rt.method)
				}
				return Request{Method: "OPTIONS", Path: rt.build(f, 0, "%zz"), Header: h}
			}))
		}
		// In the query: the route matched, its query cannot be read.
		for _, q := range []string{"limit=%zz", "cursor=%", "x=%E0%A4%A", "%zz=1"} {
			name := fmt.Sprintf("%s %s?%s", rt.method, rt.path, q)
			cs = append(cs,
				c(name+", no credentials", refusal(400, invalidRequest), func(f *Fixture) Request {
					return Request{Method: rt.method, Path: rt.build(f, -1, "") + "?" + q, Header: http.Header{}, Body: bodyOf(rt.body(f))}
				}),
				c(name+", with credentials", refusal(400, invalidRequest), func(f *Fixture) Request {
					return Request{Method: rt.method, Path: rt.build(f, -1, "") + "?" + q, Header: rt.cred(f), Body: bodyOf(rt.body(f))}
				}))
		}
		optQ := refusal(405, methodNotAllowed)
		if rt.widget() {
			optQ = Want{Status: 204}
		}
		if options {
			cs = append(cs, c(fmt.Sprintf("OPTIONS %s?cursor=%%", rt.path), optQ, func(f *Fixture) Request {
				h := http.Header{}
				if rt.widget() {
					h = hdr("Origin", f.A.Origin, "Access-Control-Request-Method", rt.method)
				}
				return Request{Method: "OPTIONS", Path: rt.build(f, -1, "") + "?cursor=%", Header: h}
			}))
		}
	}
	return cs
}

// bodyRoute is a route that reads a JSON body, with its caller.
type bodyRoute struct {
	name string
	req  func(f *Fixture, body string) Request
}

func bodyRoutes() []bodyRoute {
	return []bodyRoute{
		{"POST /v1/admin/orgs", func(f *Fixture, b string) Request {
			return serverReq("POST", "/v1/admin/orgs", "Bearer "+f.adminToken, b)
		}},
		{"POST /v1/users/authenticate", func(f *Fixture, b string) Request {
			return serverReq("POST", "/v1/users/authenticate", "Bearer "+f.A.APIKey, b)
		}},
		{"POST /v1/users/revoke", func(f *Fixture, b string) Request {
			return serverReq("POST", "/v1/users/revoke", "Bearer "+f.A.APIKey, b)
		}},
		{"POST /v1/sessions/{A1's}/messages", func(f *Fixture, b string) Request {
			return serverReq("POST", "/v1/sessions/"+f.SA1+"/messages", "Bearer "+f.A.APIKey, b)
		}},
		{"POST /v1/widget/contacts", func(f *Fixture, b string) Request {
			return widgetReq("POST", "/v1/widget/contacts", f.A.WidgetToken, "", b)
		}},
		{"POST /v1/widget/sessions", func(f *Fixture, b string) Request {
			return widgetReq("POST", "/v1/widget/sessions", f.A.WidgetToken, f.VExt, b)
		}},
		{"POST /v1/widget/sessions/{A1's}/messages", func(f *Fixture, b string) Request {
			return widgetReq("POST", "/v1/widget/sessions/"+f.SA1+"/messages", f.A.WidgetToken, f.CA1, b)
		}},
	}
}

func jsonKeyCaseCases() []Case {
	type variant struct {
		name string
		body func(f *Fixture) string
		want Want
	}
	byRoute := map[string][]variant{
		"POST /v1/admin/orgs": {
			{"NAME, ALLOWED_ORIGINS", func(f *Fixture) string {
				return fmt.Sprintf(`{"NAME":"Attacker","ALLOWED_ORIGINS":[%q]}`, f.ProbeOrigin)
			}, refusal(400, invalidRequest)},
			{"name, Allowed_Origins", func(f *Fixture) string {
				return fmt.Sprintf(`{"name":"Attacker","Allowed_Origins":[%q]}`, f.ProbeOrigin)
			}, refusal(400, invalidRequest)},
		},
		"POST /v1/users/authenticate": {
			{"USER_ID", fixed(`{"USER_ID":"u-victim"}`), refusal(400, invalidRequest)},
			{"User_Id", fixed(`{"User_Id":"u-victim","name":"Attacker"}`), refusal(400, invalidRequest)},
			{"u\\u017fer_id (long s, which Unicode folds to s)", fixed(`{"u\u017fer_id":"u-victim"}`), refusal(400, invalidRequest)},
			{"EMAIL", func(f *Fixture) string { return `{"EMAIL":"` + VictimEmail + `"}` }, refusal(400, invalidRequest)},
		},
		"POST /v1/users/revoke": {
			{"USER_ID", fixed(`{"USER_ID":"u-victim"}`), refusal(400, invalidRequest)},
			{"Email", fixed(`{"Email":"` + VictimEmail + `"}`), refusal(400, invalidRequest)},
		},
		"POST /v1/sessions/{A1's}/messages": {
			{"Content", fixed(`{"Content":"attack"}`), refusal(400, invalidRequest)},
			{"CONTENT", fixed(`{"CONTENT":"attack","author_name":"Bob"}`), refusal(400, invalidRequest)},
		},
		"POST /v1/widget/contacts": {
			{"Device_Id", func(f *Fixture) string { return fmt.Sprintf(`{"Device_Id":%q,"name":"Attacker"}`, f.DevA1) }, refusal(400, "invalid_device_id")},
			{"DEVICE_ID", func(f *Fixture) string { return fmt.Sprintf(`{"DEVICE_ID":%q}`, f.DevA1) }, refusal(400, "invalid_device_id")},
		},
		"POST /v1/widget/sessions": {
			// VExt is bound to ws-1: only an external_id that is honoured
			// can ask for ws-2.
			{"external_id ws-2 beside EXTERNAL_ID ws-1", fixed(`{"EXTERNAL_ID":"ws-1","external_id":"ws-2"}`), refusal(403, externalIDMismatch)},
			{"external_id ws-2 after External_Id ws-1", fixed(`{"external_id":"ws-2","External_Id":"ws-1"}`), refusal(403, externalIDMismatch)},
		},
		"POST /v1/widget/sessions/{A1's}/messages": {
			{"Content", fixed(`{"Content":"attack"}`), refusal(400, invalidRequest)},
		},
	}
	var cs []Case
	for _, br := range bodyRoutes() {
		for _, v := range byRoute[br.name] {
			cs = append(cs, Case{Class: ClassJSONKeyCase, Name: br.name + ": " + v.name, Want: v.want,
				Req: func(f *Fixture) Request { return br.req(f, v.body(f)) }})
		}
	}
	return cs
}

func jsonKeyRepeatedCases() []Case {
	type variant struct {
		name string
		body func(f *Fixture) string
	}
	byRoute := map[string][]variant{
		"POST /v1/admin/orgs": {
			{"name twice", func(f *Fixture) string {
				return fmt.Sprintf(`{"name":"A","name":"Attacker","allowed_origins":[%q]}`, f.ProbeOrigin)
			}},
			{"allowed_origins twice", func(f *Fixture) string {
				return fmt.Sprintf(`{"name":"Attacker","allowed_origins":["https://a.example"],"allowed_origins":[%q]}`, f.ProbeOrigin)
			}},
		},
		"POST /v1/users/authenticate": {
			{"user_id twice", fixed(`{"user_id":"u-attacker","user_id":"u-victim"}`)},
			{"user_id and user\\u005fid", fixed(`{"user_id":"u-attacker","user\u005fid":"u-victim"}`)},
			{"email twice", fixed(`{"email":"a@evil.example","email":"` + VictimEmail + `"}`)},
			{"a key twice in custom_data", fixed(`{"user_id":"u-victim","custom_data":{"role":"user","role":"admin"}}`)},
			{"a key twice three levels down in custom_data", fixed(`{"user_id":"u-victim","custom_data":{"a":{"b":{"role":"user","role":"admin"}}}}`)},
			{"a key twice in an object in an array", fixed(`{"user_id":"u-victim","custom_data":{"a":[{"k":1,"k":2}]}}`)},
			{"a key twice in an unknown field", fixed(`{"user_id":"u-victim","extra":{"k":1,"k":2}}`)},
		},
		"POST /v1/users/revoke": {
			{"user_id twice", fixed(`{"user_id":"u-nobody","user_id":"u-victim"}`)},
		},
		"POST /v1/sessions/{A1's}/messages": {
			{"content twice", fixed(`{"content":"hi","content":"attack"}`)},
			{"author_name twice", fixed(`{"content":"attack","author_name":"Bob","author_name":"Support"}`)},
		},
		"POST /v1/widget/contacts": {
			{"device_id twice", func(f *Fixture) string {
				return fmt.Sprintf(`{"device_id":%q,"device_id":%q,"name":"Attacker"}`, f.DevB1, f.DevA1)
			}},
			{"a key twice in custom_data", func(f *Fixture) string {
				return fmt.Sprintf(`{"device_id":%q,"custom_data":{"k":1,"k":2}}`, f.DevA1)
			}},
		},
		"POST /v1/widget/sessions": {
			{"external_id twice", fixed(`{"external_id":"ws-1","external_id":"ws-2"}`)},
			{"a key twice in custom_data", fixed(`{"custom_data":{"attack":false,"attack":true}}`)},
		},
		"POST /v1/widget/sessions/{A1's}/messages": {
			{"content twice", fixed(`{"content":"hi","content":"attack"}`)},
		},
	}
	var cs []Case
	for _, br := range bodyRoutes() {
		for _, v := range byRoute[br.name] {
			cs = append(cs, Case{Class: ClassJSONKeyRepeated, Name: br.name + ": " + v.name, Want: refusal(400, invalidJSON),
				Req: func(f *Fixture) Request { return br.req(f, v.body(f)) }})
		}
	}
	return cs
}

// jsonDeepCases nest a field of every body, and the header and claims of a
// token, thousands of levels deep: encoding/json would recurse once per
// level, which overflows the worker's fixed TinyGo stack and traps its
// instance; each is refused as a bad request instead (jsonread.MaxDepth).
func jsonDeepCases() []Case {
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	objects := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	fields := map[string][]string{
		"POST /v1/admin/orgs":                      {"name", "allowed_origins"},
		"POST /v1/users/authenticate":              {"user_id", "custom_data"},
		"POST /v1/users/revoke":                    {"user_id"},
		"POST /v1/sessions/{A1's}/messages":        {"content"},
		"POST /v1/widget/contacts":                 {"device_id", "custom_data"},
		"POST /v1/widget/sessions":                 {"external_id", "custom_data"},
		"POST /v1/widget/sessions/{A1's}/messages": {"content"},
	}
	var cs []Case
	for _, br := range bodyRoutes() {
		for _, field := range fields[br.name] {
			for _, v := range []struct{ name, value string }{
				{"5,000 arrays deep", arrays(5000)},
				{"33 objects deep", objects(33)},
			} {
				body := fmt.Sprintf(`{%q:%s}`, field, v.value)
				if field == "custom_data" {
					body = fmt.Sprintf(`{"custom_data":{"a":%s}}`, v.value)
				}
				cs = append(cs, Case{Class: ClassJSONDeep, Name: br.name + ": " + field + " " + v.name, Want: refusal(400, invalidRequest),
					Req: func(f *Fixture) Request { return br.req(f, body) }})
			}
		}
	}
	enc := base64.RawURLEncoding.EncodeToString
	for _, v := range []struct {
		name string
		tok  func(f *Fixture) string
	}{
		{"a token whose header nests 5,000 arrays deep", func(f *Fixture) string {
			_, p, s := jwtParts(f.CA1)
			return enc([]byte(fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"x":%s}`, f.KID, arrays(5000)))) + "." + p + "." + s
		}},
		{"a token whose aud nests 5,000 arrays deep", func(f *Fixture) string {
			h, _, s := jwtParts(f.CA1)
			return h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(5000)+`}`)) + "." + s
		}},
	} {
		cs = append(cs, Case{Class: ClassJSONDeep, Name: v.name + ": GET /v1/widget/me", Want: refusal(401, invalidToken),
			Req: func(f *Fixture) Request { return widgetReq("GET", "/v1/widget/me", f.A.WidgetToken, v.tok(f), "") }})
	}
	return cs
}
