//go:build !js

package e2e

import (
	"net/url"
	"testing"

	"github.com/chatwidget/identity/worker/test/access"
	"github.com/chatwidget/identity/worker/test/contract"
)

// cannotSee fails unless w gets 404 not_found for reading and writing
// session id, and wrote nothing into it.
func cannotSee(t testing.TB, o *org, w *caller, id, who string) {
	t.Helper()
	before := len(orgSession(t, o, id).Messages)
	p := "/v1/widget/sessions/" + url.PathEscape(id)
	w.get(t, p).fails(404, "not_found")
	w.post(t, p+"/messages", map[string]any{"content": "intruder"}).fails(404, "not_found")
	match(t, who+" wrote: messages of session "+id, len(orgSession(t, o, id).Messages), before)
}

// sees fails unless w lists exactly want and can read each.
func sees(t testing.TB, w *caller, who string, want ...string) {
	t.Helper()
	sameSet(t, who+" lists", sessionIDs(widgetSessions(t, w, nil)), want)
	for _, id := range want {
		w.get(t, "/v1/widget/sessions/"+url.PathEscape(id)).expect(200)
	}
}

// Device A's anonymous chats, claimed at login on A, are the user's on
// device B too, no longer A's contact's, and never another device's or
// another org's.
func TestClaimAcrossDevicesAndOrgs(t *testing.T) {
	t.Parallel()
	o, other := newOrg(t), newOrg(t)
	devA := newDevice()
	cA := o.contact(t, devA, nil).Token
	wA := o.widget(cA)
	s1 := createSession(t, wA, map[string]any{"custom_data": map[string]any{"cart": 2}})
	say(t, wA, s1.ID, "before login")
	s2 := createSession(t, wA, nil)
	wB, sB := o.chat(t)
	uid := uniq("claimer")
	onA := o.authenticate(t, map[string]any{"user_id": uid}).Token

	out := typed(o.widget(onA).c.Claim(t.Context(), cA)).want(t, 200)
	sameSet(t, "claimed", sessionIDs(out.Claimed), []string{s1.ID, s2.ID})
	for _, s := range out.Claimed {
		match(t, "claimed session", s, M{"verified": false, "claimed_at": contract.Not(nil)})
		if s.ClaimedAt != nil {
			rfc3339UTC(t, "claimed_at", *s.ClaimedAt)
		}
	}
	// The same user on device B, with a token issued there.
	onB := o.widget(o.authenticate(t, map[string]any{"user_id": uid}).Token)
	sees(t, onB, "the user on device B", s1.ID, s2.ID)
	d := widgetSession(t, onB, s1.ID)
	match(t, "claimed session on device B", M{"session": d.Session, "messages": len(d.Messages)},
		M{"session": M{"non_verified_custom_data": M{"cart": 2}, "claimed_at": contract.Not(nil)}, "messages": 1})
	say(t, onB, s1.ID, "after login, from B")
	// No longer device A's contact, even with a fresh token; never device B's.
	sees(t, o.widget(o.contact(t, devA, nil).Token), "device A's contact")
	cannotSee(t, o, wA, s1.ID, "device A's contact")
	cannotSee(t, o, wB, s2.ID, "device B's contact")
	sees(t, wB, "device B's contact", sB.ID)
	match(t, "an unclaimed session", orgSession(t, o, sB.ID).Session, M{"claimed_at": nil})
	// Another org's tokens, the same user_id included, see none.
	otherUser := other.widget(other.authenticate(t, map[string]any{"user_id": uid}).Token)
	sees(t, otherUser, "the same user_id in another org")
	// Claiming again moves nothing.
	again := typed(o.widget(onA).c.Claim(t.Context(), cA)).want(t, 200)
	sameSet(t, "second claim", sessionIDs(again.Claimed), nil)
}

// TestAccessRules runs the six access rules' table (worker/test/access)
// against wrangler dev, through the contract client validating every
// request and answer against the OpenAPI document.
func TestAccessRules(t *testing.T) {
	t.Parallel()
	s := server(t)
	access.Run(t, contract.Validated(s.URL), s.AdminToken)
}
