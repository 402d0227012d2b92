//go:build !js

package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// cannotSee fails unless w gets 404 not_found for reading and writing
// session id, and wrote nothing into it.
func cannotSee(t testing.TB, o *org, w *caller, id, who string) {
	t.Helper()
	before := len(orgSession(t, o, id).Messages)
	p := "/v1/widget/sessions/" + url.PathEscape(id)
	if r := w.get(t, p); r.Status != 404 {
		t.Errorf("%s reads session %s: status %d, want 404 not_found\n%s", who, id, r.Status, r.excerpt())
	} else if e := r.errorBody(); e.Code != "not_found" {
		t.Errorf("%s reads session %s: code %q, want not_found", who, id, e.Code)
	}
	if r := w.post(t, p+"/messages", map[string]any{"content": "intruder"}); r.Status != 404 {
		t.Errorf("%s writes into session %s: status %d, want 404 not_found\n%s", who, id, r.Status, r.excerpt())
	} else if e := r.errorBody(); e.Code != "not_found" {
		t.Errorf("%s writes into session %s: code %q, want not_found", who, id, e.Code)
	}
	if after := len(orgSession(t, o, id).Messages); after != before {
		t.Errorf("%s wrote into session %s: %d messages, was %d", who, id, after, before)
	}
}

// sees fails unless w lists exactly want and can read each.
func sees(t testing.TB, w *caller, who string, q url.Values, want ...string) {
	t.Helper()
	sameSet(t, who+" lists", sessionIDs(widgetSessions(t, w, q)), want)
	for _, id := range want {
		if r := w.get(t, "/v1/widget/sessions/"+url.PathEscape(id)); r.Status != 200 {
			t.Errorf("%s cannot read its own session %s: status %d\n%s", who, id, r.Status, r.excerpt())
		}
	}
}

// Rule 1: a contact token sees exactly the sessions of its org and device.
func TestRule1ContactSeesOnlyItsDevice(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	d1, d2 := newDevice(), newDevice()
	// Same name and email on both devices: a browser's claim binds nothing.
	w1 := o.widget(t, o.contact(t, d1, map[string]any{"name": "Pat", "email": "pat@x.com"}).Token)
	w2 := o.widget(t, o.contact(t, d2, map[string]any{"name": "Pat", "email": "pat@x.com"}).Token)
	s1 := createSession(t, w1, nil)
	s2 := createSession(t, w2, nil)
	say(t, w1, s1.ID, "device one")
	say(t, w2, s2.ID, "device two")

	sees(t, w1, "device 1", nil, s1.ID)
	sees(t, w2, "device 2", nil, s2.ID)
	cannotSee(t, o, w1, s2.ID, "device 1")
	cannotSee(t, o, w2, s1.ID, "device 2")

	// A new contact token for device 1 (say, after a reload) still sees device 1's sessions.
	w1again := o.widget(t, o.contact(t, d1, nil).Token)
	sees(t, w1again, "device 1, new token", nil, s1.ID)
	cannotSee(t, o, w1again, s2.ID, "device 1, new token")
}

// Rule 2: a verified token sees the identity's sessions from any device.
func TestRule2VerifiedSeesIdentityAnywhere(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("roaming")
	// Device 1: the page first had a contact, then the user logged in.
	dev1 := o.widget(t, o.contact(t, newDevice(), nil).Token)
	createSession(t, dev1, nil)
	t1 := o.authenticate(t, map[string]any{"user_id": uid, "email": "roam@x.com"})
	w1 := o.widget(t, t1.Token)
	s1 := createSession(t, w1, nil)
	say(t, w1, s1.ID, "from the laptop")

	// Device 2: another browser, another contact, a token issued again.
	dev2 := o.widget(t, o.contact(t, newDevice(), nil).Token)
	createSession(t, dev2, nil)
	t2 := o.authenticate(t, map[string]any{"user_id": uid, "email": "roam@x.com"})
	w2 := o.widget(t, t2.Token)
	s2 := createSession(t, w2, nil)

	sees(t, w1, "token 1", nil, s1.ID, s2.ID)
	sees(t, w2, "token 2", nil, s1.ID, s2.ID)
	// Either token writes into either session.
	say(t, w2, s1.ID, "from the phone")
	say(t, w1, s2.ID, "back on the laptop")
	if n := len(widgetSession(t, w2, s1.ID).Messages); n != 2 {
		t.Errorf("session 1 has %d messages, want 2", n)
	}

	// Another identity sees none of them.
	other := o.widget(t, o.authenticate(t, map[string]any{"user_id": uniq("other"), "email": "roam@x.com"}).Token)
	sees(t, other, "another user_id with the same email", nil)
	cannotSee(t, o, other, s1.ID, "another identity")
}

// Rule 3: contact and verified never cross, both directions.
func TestRule3ContactAndVerifiedNeverCross(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	email := strings.ToLower(uniq("vip")) + "@x.com"
	dev := newDevice()
	contact := o.widget(t, o.contact(t, dev, map[string]any{"email": email, "name": "VIP"}).Token)
	sc := createSession(t, contact, nil)

	// The same person logs in on the same device.
	verified := o.widget(t, o.authenticate(t, map[string]any{"user_id": uniq("vip"), "email": email}).Token)
	sv := createSession(t, verified, nil)
	// And an email-only verified identity with that address.
	byEmail := o.widget(t, o.authenticate(t, map[string]any{"email": email}).Token)
	se := createSession(t, byEmail, nil)

	sees(t, verified, "verified user", nil, sv.ID)
	cannotSee(t, o, verified, sc.ID, "verified user (device's contact session)")
	sees(t, byEmail, "verified by email", nil, se.ID)
	cannotSee(t, o, byEmail, sc.ID, "verified by email (contact session with that email)")

	sees(t, contact, "contact on the same device", nil, sc.ID)
	cannotSee(t, o, contact, sv.ID, "contact on the same device")
	cannotSee(t, o, contact, se.ID, "contact on the same device")

	// A contact on another device claiming the verified user's email, in
	// any case, sees none of the user's sessions.
	for _, claimed := range []string{email, strings.ToUpper(email)} {
		impostor := o.widget(t, o.contact(t, newDevice(), map[string]any{"email": claimed, "name": "VIP"}).Token)
		sees(t, impostor, "contact claiming "+claimed, nil)
		cannotSee(t, o, impostor, sv.ID, "contact claiming "+claimed)
		cannotSee(t, o, impostor, se.ID, "contact claiming "+claimed)
		var me meReply
		impostor.get(t, "/v1/widget/me").ok(200, &me)
		if me.User != nil || me.Contact == nil || !isFalse(me.Contact.Verified) {
			t.Errorf("contact claiming %s is shown as %+v, want an unverified contact", claimed, me)
		}
	}
}

// Rule 4: external ids, signed into a token or named by the request.
func TestRule4SignedExternalID(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("ws-user")
	ws, other := uniq("ws"), uniq("ws-other")
	bound := o.widget(t, o.authenticate(t, map[string]any{"user_id": uid, "external_id": ws}).Token)
	unbound := o.widget(t, o.authenticate(t, map[string]any{"user_id": uid}).Token)

	s1 := createSession(t, bound, nil)
	if str(s1.ExternalID) != ws {
		t.Errorf("session from a token bound to %q has external_id %s", ws, str(s1.ExternalID))
	}
	s2 := createSession(t, bound, map[string]any{"external_id": ws})
	if str(s2.ExternalID) != ws {
		t.Errorf("session naming its own external id: external_id %s", str(s2.ExternalID))
	}
	// The same identity without a signed external id makes others.
	sOther := createSession(t, unbound, map[string]any{"external_id": other})
	sNone := createSession(t, unbound, nil)

	before := sessionIDs(orgSessions(t, o, nil))
	bound.post(t, "/v1/widget/sessions", map[string]any{"external_id": other}).fails(403, "external_id_mismatch")
	bound.get(t, "/v1/widget/sessions?external_id="+url.QueryEscape(other)).fails(403, "external_id_mismatch")
	sameSet(t, "org sessions after a refused create", sessionIDs(orgSessions(t, o, nil)), before)

	sees(t, bound, "bound token", nil, s1.ID, s2.ID)
	sees(t, bound, "bound token naming its own id", q("external_id", ws), s1.ID, s2.ID)
	cannotSee(t, o, bound, sOther.ID, "bound token")
	cannotSee(t, o, bound, sNone.ID, "bound token")

	// The unbound token of the same identity sees them all.
	sees(t, unbound, "unbound token", nil, s1.ID, s2.ID, sOther.ID, sNone.ID)
}

func TestRule4RequestExternalID(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	wsA, wsB := uniq("wsA"), uniq("wsB")
	verified := o.widget(t, o.authenticate(t, map[string]any{"user_id": uniq("u")}).Token)
	contact := o.widget(t, o.contactToken(t))
	for who, w := range map[string]*caller{"verified without external id": verified, "contact": contact} {
		t.Run(who, func(t *testing.T) {
			a := createSession(t, w, map[string]any{"external_id": wsA})
			if str(a.ExternalID) != wsA {
				t.Errorf("external_id = %s, want %s", str(a.ExternalID), wsA)
			}
			b := createSession(t, w, map[string]any{"external_id": wsB})
			none := createSession(t, w, nil)
			if none.ExternalID != nil {
				t.Errorf("session without external_id has %q, want null", *none.ExternalID)
			}
			sees(t, w, who+" listing wsA", q("external_id", wsA), a.ID)
			sees(t, w, who+" listing wsB", q("external_id", wsB), b.ID)
			sees(t, w, who+" listing an unused id", q("external_id", uniq("unused")))
			sees(t, w, who+" listing without", nil, a.ID, b.ID, none.ID)
		})
	}
}

// Rule 5: a token for another org than the widget token's is refused with 401.
func TestRule5TokenOfAnotherOrg(t *testing.T) {
	t.Parallel()
	a, b := newOrg(t), newOrg(t)
	uid := uniq("both")
	dev := newDevice()
	aVerified := a.authenticate(t, map[string]any{"user_id": uid})
	aContact := a.contact(t, dev, nil)
	bVerified := b.authenticate(t, map[string]any{"user_id": uid})
	bContact := b.contact(t, dev, nil)
	sa := createSession(t, a.widget(t, aVerified.Token), nil)
	sac := createSession(t, a.widget(t, aContact.Token), nil)
	sb := createSession(t, b.widget(t, bVerified.Token), nil)

	cases := map[string]*caller{
		"B's verified token with A's widget token": a.widget(t, bVerified.Token),
		"B's contact token with A's widget token":  a.widget(t, bContact.Token),
		"A's verified token with B's widget token": b.widget(t, aVerified.Token),
		"A's contact token with B's widget token":  b.widget(t, aContact.Token),
	}
	for name, w := range cases {
		t.Run(name, func(t *testing.T) {
			for _, id := range []string{sa.ID, sac.ID, sb.ID} {
				p := "/v1/widget/sessions/" + url.PathEscape(id)
				w.get(t, p).fails(401)
				w.post(t, p+"/messages", map[string]any{"content": "cross-org"}).fails(401)
			}
			w.get(t, "/v1/widget/me").fails(401)
			w.get(t, "/v1/widget/sessions").fails(401)
			w.post(t, "/v1/widget/sessions", map[string]any{}).fails(401)
		})
	}
	sameSet(t, "org A sessions", sessionIDs(orgSessions(t, a, nil)), []string{sa.ID, sac.ID})
	sameSet(t, "org B sessions", sessionIDs(orgSessions(t, b, nil)), []string{sb.ID})
	for _, c := range []struct {
		o  *org
		id string
	}{{a, sa.ID}, {a, sac.ID}, {b, sb.ID}} {
		if n := len(orgSession(t, c.o, c.id).Messages); n != 0 {
			t.Errorf("session %s has %d messages from another org's token", c.id, n)
		}
	}
}

// Rule 6: only the api key and signed tokens are verified; the browser's
// data is non_verified_custom_data and never overwrites verified data.
func TestRule6BrowserDataIsNeverVerified(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("pro")
	email := strings.ToLower(uid) + "@x.com"
	verifiedData := map[string]any{"plan": "pro", "admin": false}
	au := o.authenticate(t, map[string]any{"user_id": uid, "email": email, "name": "Real Name", "custom_data": verifiedData})
	w := o.widget(t, au.Token)

	// The browser sends its own custom_data (and tries to set verified fields).
	browserData := map[string]any{"plan": "enterprise", "admin": true}
	s := createSession(t, w, map[string]any{"custom_data": browserData, "verified": false, "user": map[string]any{"custom_data": browserData}})
	if !jsonEqual(s.NonVerifiedCustomData, browserData) {
		t.Errorf("session.non_verified_custom_data = %v, want the browser's %v", s.NonVerifiedCustomData, browserData)
	}
	if !isTrue(s.Verified) {
		t.Errorf("session of a verified token: verified = %v, want true", s.Verified)
	}
	// A contact on some device claims the same email with other data.
	impostor := o.contact(t, newDevice(), map[string]any{"email": email, "name": "Fake Name", "custom_data": browserData, "verified": true})
	if !isFalse(impostor.Contact.Verified) || !jsonEqual(impostor.Contact.NonVerifiedCustomData, browserData) {
		t.Errorf("contact = %+v, want verified false and the browser's data as non_verified_custom_data", impostor.Contact)
	}
	cs := createSession(t, o.widget(t, impostor.Token), map[string]any{"custom_data": browserData, "verified": true})
	if !isFalse(cs.Verified) {
		t.Errorf("contact's session claims verified: %+v", cs)
	}

	// The verified user is unchanged.
	var me meReply
	w.get(t, "/v1/widget/me").ok(200, &me)
	if me.User == nil || !jsonEqual(me.User.CustomData, verifiedData) || str(me.User.Name) != "Real Name" || !isTrue(me.User.Verified) {
		t.Errorf("GET /v1/widget/me = %+v, want custom_data %v and name Real Name, verified", me.User, verifiedData)
	}
	// And the org's server sees which data is which.
	list := orgSessions(t, o, q("user_id", uid))
	sameSet(t, "GET /v1/sessions?user_id", sessionIDs(list), []string{s.ID})
	for _, x := range list {
		if !isTrue(x.Verified) || !jsonEqual(x.NonVerifiedCustomData, browserData) {
			t.Errorf("org listing: session %+v, want verified and the browser's data only as non_verified_custom_data", x)
		}
	}
	d := orgSession(t, o, cs.ID)
	if !isFalse(d.Session.Verified) {
		t.Errorf("org sees the impostor's session as verified: %+v", d.Session)
	}
	unverified := orgSessions(t, o, q("verified", "false"))
	sameSet(t, "GET /v1/sessions?verified=false", sessionIDs(unverified), []string{cs.ID})
}
