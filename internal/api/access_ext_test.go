package api_test

import (
	"reflect"
	"slices"
	"sort"
	"testing"
)

// The six access rules of the contract, end to end in process: two orgs,
// two devices, contacts and verified users.

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// sees asserts that userToken (of org o) lists exactly want and can open and
// post to each of them, and that it gets 404 for every id of hidden.
func (e *env) sees(t *testing.T, o orgInfo, userToken string, want, hidden []string) {
	t.Helper()
	got := listIDs(t, e.widget(o, userToken, "GET", "/v1/widget/sessions?limit=100", nil))
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("lists %q, want %q", got, want)
	}
	for _, id := range want {
		if r := e.widget(o, userToken, "GET", "/v1/widget/sessions/"+id, nil); r.Status != 200 {
			t.Errorf("GET own session %s: %d %s", id, r.Status, r.Raw)
		}
	}
	for _, id := range hidden {
		e.refused(t, 404, "not_found", func() resp { return e.widget(o, userToken, "GET", "/v1/widget/sessions/"+id, nil) })
		e.refused(t, 404, "not_found", func() resp {
			return e.widget(o, userToken, "POST", "/v1/widget/sessions/"+id+"/messages", map[string]any{"content": "peek"})
		})
	}
}

func TestRule1ContactSeesExactlyItsDevice(t *testing.T) {
	e := newEnv(t)
	a, b := e.newOrg("A", originA), e.newOrg("B", originB)
	d1 := e.contact(a, device1)
	d2 := e.contact(a, device2)
	d1B := e.contact(b, device1) // the same device in another org
	s1 := []string{e.newSession(a, d1, nil)["id"].(string), e.newSession(a, d1, nil)["id"].(string)}
	s2 := []string{e.newSession(a, d2, nil)["id"].(string)}
	s1B := []string{e.newSession(b, d1B, nil)["id"].(string)}

	e.sees(t, a, d1, s1, s2)
	e.sees(t, a, d2, s2, s1)
	e.sees(t, b, d1B, s1B, append(s1, s2...))

	// A new contact token for the same device (a refresh, a new name) sees
	// the same sessions: they belong to the device, not to the token.
	again := e.contact(a, device1, map[string]any{"name": "Ann"})
	e.sees(t, a, again, s1, s2)
}

func TestRule2VerifiedSeesItsIdentityFromAnyDevice(t *testing.T) {
	e := newEnv(t)
	a, b := e.newOrg("A", originA), e.newOrg("B", originB)
	// Two authentications of the same identity (the email's case differs),
	// as two devices of the user would get them.
	laptop := e.verified(a, map[string]any{"email": "ann@example.com"})
	phone := e.verified(a, map[string]any{"email": "ANN@Example.com", "name": "Ann"})
	bob := e.verified(a, map[string]any{"email": "bob@example.com"})
	byUserID := e.verified(a, map[string]any{"user_id": "u-ann", "email": "ann@example.com"}) // another identity key
	annB := e.verified(b, map[string]any{"email": "ann@example.com"})

	fromLaptop := e.newSession(a, laptop, nil)["id"].(string)
	fromPhone := e.newSession(a, phone, nil)["id"].(string)
	bobs := e.newSession(a, bob, nil)["id"].(string)
	byID := e.newSession(a, byUserID, nil)["id"].(string)
	inB := e.newSession(b, annB, nil)["id"].(string)

	ann := []string{fromLaptop, fromPhone}
	e.sees(t, a, laptop, ann, []string{bobs, byID})
	e.sees(t, a, phone, ann, []string{bobs, byID})
	e.sees(t, a, bob, []string{bobs}, append(ann, byID))
	e.sees(t, a, byUserID, []string{byID}, append(ann, bobs))
	e.sees(t, b, annB, []string{inB}, append(ann, bobs, byID))
}

func TestRule3ContactAndVerifiedNeverCross(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	// On one device: first anonymous, then a claimed email, then logged in.
	anon := e.contact(a, device1)
	anonSession := e.newSession(a, anon, nil)["id"].(string)
	user := e.verified(a, map[string]any{"email": "ann@example.com"})
	userSession := e.newSession(a, user, nil)["id"].(string)
	claimer := e.contact(a, device2, map[string]any{"email": "ann@example.com", "name": "Ann"})

	e.sees(t, a, user, []string{userSession}, []string{anonSession})
	e.sees(t, a, anon, []string{anonSession}, []string{userSession})
	e.sees(t, a, claimer, nil, []string{userSession, anonSession})

	// The contact's claimed email is not verified.
	r := e.widget(a, claimer, "GET", "/v1/widget/me", nil)
	c, _ := r.Body["contact"].(map[string]any)
	if r.Status != 200 || c == nil || c["verified"] != false || r.Body["user"] != nil {
		t.Errorf("me of the claimer: %d %s", r.Status, r.Raw)
	}
	// The org's server tells them apart.
	verified := listIDs(t, e.server(a, "GET", "/v1/sessions?verified=true&email=ann@example.com", nil))
	if !reflect.DeepEqual(verified, []string{userSession}) {
		t.Errorf("verified sessions of ann: %q", verified)
	}
}

func TestRule4ExternalID(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	unbound := e.verified(a, map[string]any{"user_id": "u-1"})
	bound := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-1"})

	// Sessions the unbound token makes: with and without external ids.
	plain := e.newSession(a, unbound, nil)["id"].(string)
	in9 := e.newSession(a, unbound, map[string]any{"external_id": "ws-9"})
	if in9["external_id"] != "ws-9" {
		t.Errorf("requested external id not kept: %v", in9)
	}
	in1 := e.newSession(a, unbound, map[string]any{"external_id": "ws-1"})["id"].(string)

	// The bound token gives its external id to what it creates...
	made := e.newSession(a, bound, nil)
	if made["external_id"] != "ws-1" {
		t.Errorf("bound token made %v", made)
	}
	same := e.newSession(a, bound, map[string]any{"external_id": "ws-1"})
	empty := e.newSession(a, bound, map[string]any{"external_id": ""})
	if same["external_id"] != "ws-1" || empty["external_id"] != "ws-1" {
		t.Errorf("bound token made %v and %v", same, empty)
	}
	// ...refuses another one, creating or listing...
	e.refused(t, 403, "external_id_mismatch", func() resp {
		return e.widget(a, bound, "POST", "/v1/widget/sessions", map[string]any{"external_id": "ws-2"})
	})
	e.refused(t, 403, "external_id_mismatch", func() resp {
		return e.widget(a, bound, "GET", "/v1/widget/sessions?external_id=ws-2", nil)
	})
	// ...and sees only sessions with its external id, even its own others.
	ws1 := []string{in1, made["id"].(string), same["id"].(string), empty["id"].(string)}
	e.sees(t, a, bound, ws1, []string{plain, in9["id"].(string)})
	if got := listIDs(t, e.widget(a, bound, "GET", "/v1/widget/sessions?external_id=ws-1", nil)); len(got) != 4 {
		t.Errorf("bound ?external_id=ws-1 lists %q", got)
	}

	// Without a signed external id, the request's external_id scopes the
	// listing, and a listing without one returns everything.
	all := append([]string{plain, in9["id"].(string)}, ws1...)
	e.sees(t, a, unbound, all, nil)
	for ext, want := range map[string][]string{"ws-9": {in9["id"].(string)}, "ws-1": ws1, "nope": {}} {
		got := listIDs(t, e.widget(a, unbound, "GET", "/v1/widget/sessions?external_id="+ext, nil))
		if !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("?external_id=%s lists %q, want %q", ext, got, want)
		}
	}

	// Contacts scope by external id the same way.
	d := e.contact(a, device1)
	cw := e.newSession(a, d, map[string]any{"external_id": "ws-1"})["id"].(string)
	cn := e.newSession(a, d, nil)["id"].(string)
	if got := listIDs(t, e.widget(a, d, "GET", "/v1/widget/sessions?external_id=ws-1", nil)); !reflect.DeepEqual(got, []string{cw}) {
		t.Errorf("contact ?external_id=ws-1 lists %q", got)
	}
	e.sees(t, a, d, []string{cw, cn}, all)

	// /me shows what the token signed.
	r := e.widget(a, bound, "GET", "/v1/widget/me", nil)
	if u, _ := r.Body["user"].(map[string]any); u == nil || u["external_id"] != "ws-1" || u["verified"] != true {
		t.Errorf("me: %s", r.Raw)
	}
	// The org's server filters by external id.
	if got := listIDs(t, e.server(a, "GET", "/v1/sessions?external_id=ws-9", nil)); !reflect.DeepEqual(got, []string{in9["id"].(string)}) {
		t.Errorf("server ?external_id=ws-9 lists %q", got)
	}
}

// Rule 5: a token for another org than the widget token's is refused with 401.
func TestRule5TokenOfAnotherOrg(t *testing.T) {
	w := newWorld(t)
	verifiedB := w.verified(w.b, map[string]any{"email": "ann@example.com"})
	sessionB := w.newSession(w.b, w.contactB, nil)["id"].(string)
	for name, tok := range map[string]string{"contact token of B": w.contactB, "verified token of B": verifiedB} {
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/v1/widget/me", ""},
			{"POST", "/v1/widget/sessions", `{}`},
			{"GET", "/v1/widget/sessions", ""},
			{"GET", "/v1/widget/sessions/" + w.sessionA, ""},
			{"GET", "/v1/widget/sessions/" + sessionB, ""},
			{"POST", "/v1/widget/sessions/" + w.sessionA + "/messages", `{"content":"hi"}`},
			{"POST", "/v1/widget/sessions/" + sessionB + "/messages", `{"content":"hi"}`},
		} {
			t.Run(name+"/"+c.method+" "+c.path, func(t *testing.T) {
				r := w.unchanged(t, func() resp { return w.widget(w.a, tok, c.method, c.path, c.body) })
				if r.Status != 401 {
					t.Errorf("got %d %s, want 401", r.Status, r.Raw)
				}
				checkError(t, r, 401, r.code())
				if code := r.code(); code != "invalid_token" && code != "unauthorized" {
					t.Errorf("code %q", code)
				}
			})
		}
	}
	// With its own widget token, B's contact sees its session and not A's.
	w.sees(t, w.b, w.contactB, []string{sessionB}, []string{w.sessionA})
}

// Rule 6: only what came from an api key or a signed token is verified;
// whatever the browser sends is non-verified custom data and never
// overwrites verified data.
func TestRule6BrowserDataIsNeverVerified(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	serverData := map[string]any{"plan": "pro", "seats": float64(5)}
	user := e.verified(a, map[string]any{"email": "ann@example.com", "name": "Ann", "custom_data": serverData})

	// The browser, on the same page, claims other data as a contact...
	r := e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{
		"device_id": device1, "email": "ann@example.com", "custom_data": map[string]any{"plan": "free"}})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	c := r.Body["contact"].(map[string]any)
	if c["verified"] != false || !reflect.DeepEqual(c["non_verified_custom_data"], map[string]any{"plan": "free"}) {
		t.Errorf("contact %v", c)
	}
	if _, ok := c["custom_data"]; ok {
		t.Errorf("a contact has verified custom_data: %v", c)
	}
	// ...and sends custom data with a verified token when creating a session.
	sess := e.newSession(a, user, map[string]any{"custom_data": map[string]any{"plan": "hacked"}})
	if sess["verified"] != true || !reflect.DeepEqual(sess["non_verified_custom_data"], map[string]any{"plan": "hacked"}) {
		t.Errorf("session %v", sess)
	}
	if _, ok := sess["custom_data"]; ok {
		t.Errorf("a session has verified custom_data: %v", sess)
	}
	// Also through fields that do not exist for the browser.
	e.newSession(a, user, map[string]any{"custom_data": map[string]any{"plan": "x"}, "user": map[string]any{"custom_data": map[string]any{"plan": "y"}}, "verified_custom_data": map[string]any{"plan": "z"}})
	_ = e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1, "user_id": "ann", "verified": true, "custom_data": map[string]any{"plan": "free2"}})

	me := func() map[string]any {
		r := e.widget(a, user, "GET", "/v1/widget/me", nil)
		u, _ := r.Body["user"].(map[string]any)
		if r.Status != 200 || u == nil {
			t.Fatalf("me: %d %s", r.Status, r.Raw)
		}
		return u
	}
	if u := me(); !reflect.DeepEqual(u["custom_data"], serverData) || u["name"] != "Ann" || u["verified"] != true {
		t.Errorf("verified user after browser data: %v", u)
	}
	// The server's next authentication without custom data keeps it.
	e.verified(a, map[string]any{"email": "ann@example.com"})
	if u := me(); !reflect.DeepEqual(u["custom_data"], serverData) {
		t.Errorf("verified custom data after re-authentication: %v", u["custom_data"])
	}
	// The org's server sees the session's browser data as non-verified.
	r = e.server(a, "GET", "/v1/sessions/"+sess["id"].(string), nil)
	s, _ := r.Body["session"].(map[string]any)
	if s == nil || !reflect.DeepEqual(s["non_verified_custom_data"], map[string]any{"plan": "hacked"}) || s["verified"] != true {
		t.Errorf("server view: %s", r.Raw)
	}
	// The browser cannot reach the server's route with what it holds.
	for _, h := range [][]string{{"X-Widget-Token", a.PK}, {"Authorization", "Bearer " + a.PK}, {"Authorization", "Bearer " + user}} {
		e.refused(t, 401, "unauthorized", func() resp {
			return e.send(request("POST", "/v1/users/authenticate", map[string]any{"email": "ann@example.com", "custom_data": map[string]any{"plan": "free"}}, h...))
		})
	}
}
