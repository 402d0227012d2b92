package attack

import (
	"fmt"
	"strings"
)

// fieldLimitCases send the org's server's bodies with a value just past
// one of the contract's field limits (API.md: name ≤ 200 characters, email
// ≤ 254 and valid, user_id and external_id ≤ 256 printable characters,
// custom_data ≤ 50 keys, 8 KiB, 3 levels; ttl_seconds 60 to 2,592,000),
// characters that are not printable (zero-width, no-break space, bidi,
// NEL, line separator, tab) and ttl_seconds in wrong or out-of-range
// spellings. Each names the victim, so that one let through would change
// what the victim's /me shows; each is refused with 400 naming the field.
func fieldLimitCases() []Case {
	const cl = "field-limits"
	R := strings.Repeat
	wide := "\U0001d566" // one character, four bytes
	keys := func(n int) string {
		var s []string
		for i := 0; i < n; i++ {
			s = append(s, fmt.Sprintf(`"k%d":1`, i))
		}
		return "{" + strings.Join(s, ",") + "}"
	}
	victim := `"user_id":"` + VictimID + `","name":"Attacker"`
	bad := []struct{ name, field, code, body string }{
		{"user_id of 257 four-byte characters", "user_id", invalidRequest, `{"user_id":"` + R(wide, 257) + `"}`},
		{"name of 201 characters (and spaces, trimmed)", "name", invalidRequest, `{"user_id":"` + VictimID + `","name":"` + R(wide, 201) + `   "}`},
		{"name with a NEL (U+0085)", "name", invalidRequest, `{"user_id":"` + VictimID + `","name":"Att\u0085acker"}`},
		{"external_id of 257 characters", "external_id", invalidRequest, `{` + victim + `,"external_id":"` + R("w", 257) + `"}`},
		{"external_id with a zero-width space", "external_id", invalidRequest, `{` + victim + `,"external_id":"ws-1\u200b"}`},
		{"phone of 65 characters", "phone", invalidRequest, `{` + victim + `,"phone":"` + R("1", 65) + `"}`},
		{"avatar_url of 2,049 characters", "avatar_url", invalidRequest, `{` + victim + `,"avatar_url":"https://cdn.example/` + R("a", 2049-len("https://cdn.example/")) + `"}`},
		{"avatar_url without a host", "avatar_url", invalidRequest, `{` + victim + `,"avatar_url":"https:///x.png"}`},
		{"custom_data of 51 keys", "custom_data", invalidRequest, `{` + victim + `,"custom_data":` + keys(51) + `}`},
		{"custom_data of 8,193 bytes", "custom_data", invalidRequest, `{` + victim + `,"custom_data":{"x":"` + R("a", 8192-7) + `"}}`},
		{"custom_data nested 4 levels", "custom_data", invalidRequest, `{` + victim + `,"custom_data":{"a":{"b":{"c":{}}}}}`},
		{"email of 255 characters", "email", "invalid_email", `{` + victim + `,"email":"` + R("a", 64) + "@" + R("b", 63) + "." + R("c", 63) + "." + R("d", 59) + `.ex"}`},
		{"email with a local part of 65", "email", "invalid_email", `{` + victim + `,"email":"` + R("a", 65) + `@shop-a.example"}`},
		{"email with a zero-width space", "email", "invalid_email", `{` + victim + `,"email":"victim\u200b@shop-a.example"}`},
		{"email with a trailing dot", "email", "invalid_email", `{` + victim + `,"email":"victim@shop-a.example."}`},
	}
	for _, c := range []struct{ name, s string }{
		{"a zero-width space", "\u200b"}, {"a no-break space", "\u00a0"}, {"a right-to-left override", "\u202e"},
		{"a NEL", "\u0085"}, {"a line separator", "\u2028"}, {"a tab", "\t"}, {"a byte order mark", "\ufeff"},
	} {
		bad = append(bad, struct{ name, field, code, body string }{"user_id with " + c.name, "user_id", invalidRequest,
			`{"user_id":"` + VictimID + strings.ReplaceAll(fmt.Sprintf("%+q", c.s), `"`, "") + `","name":"Attacker"}`})
	}
	for _, ttl := range []string{"59", "0", "-0", "-60", "2592001", "60.5", "1e400", `"60"`, "true", "[60]", `{"s":60}`} {
		bad = append(bad, struct{ name, field, code, body string }{"ttl_seconds " + ttl, "ttl_seconds", invalidRequest,
			`{` + victim + `,"ttl_seconds":` + ttl + `}`})
	}
	var cs []Case
	for _, b := range bad {
		cs = append(cs, sc(cl, "POST /v1/users/authenticate: "+b.name, "POST /v1/users/authenticate", serverAuth, b.body, naming(refusal(400, b.code), b.field)))
	}
	for _, b := range []struct{ name, field, code, body string }{
		{"user_id of 257 characters", "user_id", invalidRequest, `{"user_id":"` + R("u", 257) + `"}`},
		{"the victim's user_id and a zero-width space", "user_id", invalidRequest, `{"user_id":"` + VictimID + `\u200b"}`},
		{"the victim's email and a zero-width space", "email", "invalid_email", `{"email":"victim\u200b@shop-a.example"}`},
	} {
		cs = append(cs, sc(cl, "POST /v1/users/revoke: "+b.name, "POST /v1/users/revoke", serverAuth, b.body, naming(refusal(400, b.code), b.field)))
	}
	return cs
}
