package attack

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/chatwidget/identity/worker/test/contract"
)

// The classes of requests that cannot be understood (issue 19): escapes
// that are not valid percent-encoding in the path and the query of every
// route, with and without credentials, OPTIONS too; JSON bodies whose keys
// differ from the contract's only in case; JSON bodies that repeat a key;
// JSON nested thousands of levels deep, in bodies and in tokens.

// badEscapes are the three: a lone %, bad hex, a cut UTF-8 sequence.
var badEscapes = []string{"%", "%zz", "%E0%A4%A"}

// naming is want, whose message names field as a word: the path parameter
// ("id", or the org_id and key_id of the vendor's routes) or query
// parameter that cannot be decoded.
func naming(want Want, field string) Want {
	word := regexp.MustCompile(`\b` + regexp.QuoteMeta(field) + `\b`)
	want.Check = func(_ *Fixture, r *Response) []string {
		if e, err := contract.ParseError(r.Status, r.Body); err == nil && !word.MatchString(e.Message) {
			return []string{fmt.Sprintf("the message %q does not name %s", e.Message, field)}
		}
		return nil
	}
	return want
}

// with is the route's path (templates left for Fixture.x) with template i
// replaced by bad, or, for a route without any, bad appended to its last
// segment.
func (rt apiRoute) with(i int, bad string) string {
	p := rt.fill(func(j int, m string) string {
		if j == i {
			return bad
		}
		return m
	})
	if len(rt.labels) == 0 {
		p += bad
	}
	return p
}

// own is the header pairs of the route's own caller, from A's origin on a
// widget route.
func (rt apiRoute) own() []string {
	h := []string{"X-Widget-Token", rt.pk, "Authorization", rt.auth}
	if rt.pk != "" {
		h = append(h, "Origin", "{A.origin}")
	}
	return h
}

func malformedEscapeCases() []Case {
	const cl = "malformed-escape"
	// both is the request of path without credentials and with its caller's.
	both := func(name string, want Want, rt apiRoute, path string) []Case {
		route := rt.method + " " + path
		return []Case{call(cl, name+", no credentials", route, rt.body, want),
			call(cl, name+", with credentials", route, rt.body, want, rt.own()...)}
	}
	var cs []Case
	// The three on no route at all, every method, with and without
	// an api key.
	for _, bad := range badEscapes {
		for _, m := range []string{"GET", "POST", "DELETE", "OPTIONS"} {
			cs = append(cs, call(cl, m+" /"+bad, m+" /"+bad, "", refusal(404, notFound)),
				call(cl, m+" /"+bad+" with an api key", m+" /"+bad, "", refusal(404, notFound), "Authorization", serverAuth))
		}
	}
	for n, rt := range everyRoute {
		nParams, widget := len(rt.labels), rt.pk != ""
		// In the path: a {param} that cannot be decoded is a 400 naming it,
		// before credentials; in a literal segment, no route.
		for _, bad := range badEscapes {
			for i := 0; i < max(nParams, 1); i++ {
				want, where := refusal(404, notFound), "last segment"
				if nParams > 0 {
					param := cmp.Or(map[string]string{"{A}": "org_id", "{A's key}": "key_id", "{contact}": "contact_id"}[rt.labels[i]], "id")
					want, where = naming(refusal(400, invalidRequest), param), fmt.Sprintf("param %d", i+1)
				}
				name := fmt.Sprintf("%s %s, %q in the %s", rt.method, rt.pattern(), bad, where)
				cs = append(cs, both(name, want, rt, rt.with(i, bad))...)
			}
		}
		// In the query: the route matched, its query cannot be read; a
		// parameter some route reads is named.
		for _, q := range []string{"limit=%zz", "cursor=%", "x=%E0%A4%A", "%zz=1"} {
			want := refusal(400, invalidRequest)
			if k, _, _ := strings.Cut(q, "="); k == "limit" || k == "cursor" {
				want = naming(want, k)
			}
			cs = append(cs, both(fmt.Sprintf("%s %s?%s", rt.method, rt.pattern(), q), want, rt, rt.path+"?"+q)...)
		}
		// OPTIONS of both, once per path, without credentials and with an
		// api key: a widget route's preflight answers by origin alone; any
		// other route has no OPTIONS (405), or no route (404).
		if slices.ContainsFunc(everyRoute[:n], func(o apiRoute) bool { return o.path == rt.path }) {
			continue
		}
		optWant, optQ := refusal(405, methodNotAllowed), refusal(405, methodNotAllowed)
		var preflight []string
		switch {
		case widget:
			optWant, optQ = Want{Status: 204}, Want{Status: 204}
			preflight = []string{"Origin", "{A.origin}", "Access-Control-Request-Method", rt.method}
		case nParams == 0:
			optWant = refusal(404, notFound)
		}
		for _, k := range []struct{ auth, with string }{{"", ""}, {serverAuth, ", with an api key"}} {
			h := slices.Concat(preflight, []string{"Authorization", k.auth})
			cs = append(cs, call(cl, fmt.Sprintf("OPTIONS %s, %q in it%s", rt.pattern(), "%zz", k.with),
				"OPTIONS "+rt.with(0, "%zz"), "", optWant, h...),
				call(cl, fmt.Sprintf("OPTIONS %s?cursor=%%%s", rt.pattern(), k.with),
					"OPTIONS "+rt.path+"?cursor=%", "", optQ, h...))
		}
	}
	return cs
}

// bodyCases sends each route's bodies (templates of f.x), as its own
// caller, and wants the same refusal, or the variant's.
func bodyCases(class string, want Want, byRoute map[string][]variant) []Case {
	var cs []Case
	for _, rt := range bodyRoutes {
		for _, v := range byRoute[rt.name()] {
			w := want
			if v.want.Status != 0 {
				w = v.want
			}
			cs = append(cs, call(class, rt.name()+": "+v.name, rt.route(), v.body, w, "X-Widget-Token", rt.pk, "Authorization", rt.auth))
		}
	}
	return cs
}

type variant struct {
	name, body string
	want       Want // zero: the class's
}

// jsonMalformedCases send every route that reads a body, as its own
// caller, bodies that are not JSON or not one JSON object (each would be a
// good body to any route otherwise: unknown fields are ignored), and a
// field of the wrong type, which the message names.
func jsonMalformedCases() []Case {
	const cl = "json-malformed"
	notJSON := []struct{ name, body string }{
		{"truncated", `{"content": "x"`}, {"not JSON", `content=x`}, {"single quotes", `{'content': 'x'}`},
		{"a trailing comma", `{"content": "x",}`}, {"two objects", `{"content": "x"}{"content": "y"}`},
		{"invalid UTF-8", `{"device_id":"{DevA1}","user_id":"u-victim","allowed_origins":["{probe}"],"url":"https://hooks.attack.invalid/` + "\xff" + `","name":"Bad ` + "\xff\xfe" + `","content":"Bad ` + "\xff\xfe" + `"}`},
		// Escaped, a lone surrogate is no character either (encoding/json would
		// make it U+FFFD: "u-victim\ud800" and "u-victim\udbff" one user).
		{"a lone surrogate escape", `{"device_id":"{DevA1}","user_id":"u-victim\ud800","allowed_origins":["{probe}"],"url":"https://hooks.attack.invalid/","events":["message.created\ud800"],"name":"Bad \udc00\ud800","content":"Bad \ud83d"}`},
	}
	wrongType := map[string][]struct{ field, body string }{
		"POST /v1/admin/orgs":                      {{"name", `{"name":5,"allowed_origins":["{probe}"]}`}, {"allowed_origins", `{"name":"Attacker","allowed_origins":"{probe}"}`}},
		"POST /v1/users/authenticate":              {{"custom_data", `{"user_id":"u-victim","custom_data":"x"}`}, {"name", `{"user_id":"u-victim","name":5}`}},
		"POST /v1/users/revoke":                    {{"user_id", `{"user_id":5}`}},
		"POST /v1/sessions/{id}/messages":          {{"content", `{"content":5}`}},
		"POST /v1/widget/contacts":                 {{"name", `{"device_id":"{DevA1}","name":5}`}, {"custom_data", `{"device_id":"{DevA1}","custom_data":"x"}`}},
		"POST /v1/widget/sessions":                 {{"custom_data", `{"custom_data":"x"}`}, {"external_id", `{"external_id":5}`}},
		"POST /v1/widget/sessions/{A1's}/messages": {{"content", `{"content":true}`}},
		"PUT /v1/webhook":                          {{"url", `{"url":5}`}, {"events", `{"url":"https://hooks.attack.invalid/","events":"message.created"}`}},
	}
	var cs []Case
	for _, rt := range []apiRoute{rCreateOrg, rAuthenticate, rRevoke, rOrgPost, rContacts, rCreate, rPost, rPutWebhook} {
		add := func(name, body string, want Want) {
			cs = append(cs, call(cl, rt.name()+": "+name, rt.route(), body, want, "X-Widget-Token", rt.pk, "Authorization", rt.auth))
		}
		for _, b := range notJSON {
			add(b.name, b.body, refusal(400, invalidJSON))
		}
		for _, b := range []string{`[]`, `"x"`, `5`} {
			add("not an object: "+b, b, refusal(400, invalidRequest))
		}
		for _, w := range wrongType[rt.name()] {
			add(w.field+" of the wrong type", w.body, naming(refusal(400, invalidRequest), w.field))
		}
	}
	return cs
}

func jsonKeyCaseCases() []Case {
	return bodyCases("json-key-case", refusal(400, invalidRequest), map[string][]variant{
		"POST /v1/admin/orgs": {
			{"NAME, ALLOWED_ORIGINS", `{"NAME":"Attacker","ALLOWED_ORIGINS":["{probe}"]}`, Want{}},
			{"name, Allowed_Origins", `{"name":"Attacker","Allowed_Origins":["{probe}"]}`, Want{}},
		},
		"POST /v1/users/authenticate": {
			{"USER_ID", `{"USER_ID":"u-victim"}`, Want{}},
			{"User_Id", `{"User_Id":"u-victim","name":"Attacker"}`, Want{}},
			{"u\\u017fer_id (long s, which Unicode folds to s)", `{"u\u017fer_id":"u-victim"}`, Want{}},
			{"EMAIL", `{"EMAIL":"` + VictimEmail + `"}`, Want{}},
		},
		"POST /v1/users/revoke": {{"USER_ID", `{"USER_ID":"u-victim"}`, Want{}}, {"Email", `{"Email":"` + VictimEmail + `"}`, Want{}}},
		"POST /v1/sessions/{A1's}/messages": {
			{"Content", `{"Content":"attack"}`, Want{}}, {"CONTENT", `{"CONTENT":"attack","author_name":"Bob"}`, Want{}},
		},
		"POST /v1/widget/contacts": {
			{"Device_Id", `{"Device_Id":"{DevA1}","name":"Attacker"}`, refusal(400, "invalid_device_id")},
			{"DEVICE_ID", `{"DEVICE_ID":"{DevA1}"}`, refusal(400, "invalid_device_id")},
		},
		"POST /v1/widget/sessions": {
			// VExt is bound to ws-1: only an external_id that is honoured
			// can ask for ws-2.
			{"external_id ws-2 beside EXTERNAL_ID ws-1", `{"EXTERNAL_ID":"ws-1","external_id":"ws-2"}`, refusal(403, externalIDMismatch)},
			{"external_id ws-2 after External_Id ws-1", `{"external_id":"ws-2","External_Id":"ws-1"}`, refusal(403, externalIDMismatch)},
		},
		"POST /v1/widget/sessions/{A1's}/messages": {{"Content", `{"Content":"attack"}`, Want{}}},
		"PUT /v1/webhook":                          {{"URL", `{"URL":"https://hooks.attack.invalid/steal"}`, Want{}}, {"Url", `{"Url":"https://hooks.attack.invalid/steal","events":["message.created"]}`, Want{}}},
	})
}

func jsonKeyRepeatedCases() []Case {
	return bodyCases("json-key-repeated", refusal(400, invalidJSON), map[string][]variant{
		"POST /v1/admin/orgs": {
			{"name twice", `{"name":"A","name":"Attacker","allowed_origins":["{probe}"]}`, Want{}},
			{"allowed_origins twice", `{"name":"Attacker","allowed_origins":["https://a.example"],"allowed_origins":["{probe}"]}`, Want{}},
		},
		"POST /v1/users/authenticate": {
			{"user_id twice", `{"user_id":"u-attacker","user_id":"u-victim"}`, Want{}},
			{"user_id and user\\u005fid", `{"user_id":"u-attacker","user\u005fid":"u-victim"}`, Want{}},
			{"email twice", `{"email":"a@evil.example","email":"` + VictimEmail + `"}`, Want{}},
			{"a key twice in custom_data", `{"user_id":"u-victim","custom_data":{"role":"user","role":"admin"}}`, Want{}},
			{"a key twice three levels down in custom_data", `{"user_id":"u-victim","custom_data":{"a":{"b":{"role":"user","role":"admin"}}}}`, Want{}},
			{"a key twice in an object in an array", `{"user_id":"u-victim","custom_data":{"a":[{"k":1,"k":2}]}}`, Want{}},
			{"a key twice in an unknown field", `{"user_id":"u-victim","extra":{"k":1,"k":2}}`, Want{}},
		},
		"POST /v1/users/revoke": {{"user_id twice", `{"user_id":"u-nobody","user_id":"u-victim"}`, Want{}}},
		"POST /v1/sessions/{A1's}/messages": {
			{"content twice", `{"content":"hi","content":"attack"}`, Want{}},
			{"author_name twice", `{"content":"attack","author_name":"Bob","author_name":"Support"}`, Want{}},
		},
		"POST /v1/widget/contacts": {
			{"device_id twice", `{"device_id":"{DevB1}","device_id":"{DevA1}","name":"Attacker"}`, Want{}},
			{"a key twice in custom_data", `{"device_id":"{DevA1}","custom_data":{"k":1,"k":2}}`, Want{}},
		},
		"POST /v1/widget/sessions": {
			{"external_id twice", `{"external_id":"ws-1","external_id":"ws-2"}`, Want{}},
			{"a key twice in custom_data", `{"custom_data":{"attack":false,"attack":true}}`, Want{}},
		},
		"POST /v1/widget/sessions/{A1's}/messages": {{"content twice", `{"content":"hi","content":"attack"}`, Want{}}},
		"PUT /v1/webhook": {
			{"url twice", `{"url":"https://hooks.attack.invalid/a","url":"https://hooks.attack.invalid/steal"}`, Want{}},
			{"url and u\\u0072l", `{"url":"https://hooks.attack.invalid/a","u\u0072l":"https://hooks.attack.invalid/steal"}`, Want{}},
			{"events twice", `{"url":"https://hooks.attack.invalid/steal","events":["message.created"],"events":["session.created"]}`, Want{}},
		},
	})
}

// jsonDeepCases nest a field of every body, and the header and claims of a
// token, thousands of levels deep: encoding/json would recurse once per
// level, which overflows the worker's fixed TinyGo stack and traps its
// instance; each is refused as a bad request instead (jsonread.MaxDepth).
func jsonDeepCases() []Case {
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	objects := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	fields := map[string][]string{
		"POST /v1/admin/orgs": {"name", "allowed_origins"}, "POST /v1/users/authenticate": {"user_id", "custom_data"},
		"POST /v1/users/revoke": {"user_id"}, "POST /v1/sessions/{A1's}/messages": {"content"},
		"POST /v1/widget/contacts": {"device_id", "custom_data"}, "POST /v1/widget/sessions": {"external_id", "custom_data"},
		"POST /v1/widget/sessions/{A1's}/messages": {"content"}, "PUT /v1/webhook": {"url", "events"},
	}
	byRoute := map[string][]variant{}
	for route, fs := range fields {
		for _, field := range fs {
			for _, v := range []struct{ name, value string }{{"5,000 arrays deep", arrays(5000)}, {"33 objects deep", objects(33)}} {
				body := fmt.Sprintf(`{%q:%s}`, field, v.value)
				if field == "custom_data" {
					body = fmt.Sprintf(`{"custom_data":{"a":%s}}`, v.value)
				}
				byRoute[route] = append(byRoute[route], variant{field + " " + v.name, body, Want{}})
			}
		}
	}
	cs := bodyCases("json-nested-deep", refusal(400, invalidRequest), byRoute)
	enc := base64.RawURLEncoding.EncodeToString
	return append(cs, presented("json-nested-deep", refusal(401, invalidToken), []apiRoute{rMe},
		tok("a token whose header nests 5,000 arrays deep", func(f *Fixture) string {
			_, p, s := jwtParts(f.v("CA1"))
			return enc([]byte(fmt.Sprintf(`{"alg":"EdDSA","kid":%q,"x":%s}`, f.KID, arrays(5000)))) + "." + p + "." + s
		}),
		tok("a token whose aud nests 5,000 arrays deep", func(f *Fixture) string {
			h, _, s := jwtParts(f.v("CA1"))
			return h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(5000)+`}`)) + "." + s
		}))...)
}
