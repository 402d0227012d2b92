package api_test

import (
	"maps"
	"testing"
)

// What a visitor's message costs in KV, which Workers bills per operation:
// the reads that decide whether the token still stands and the session is
// the caller's, and the writes of the message, the session (its record is
// its key in the org's listing) and its owner's listing key. The org of the widget token
// is read once per instance (store.OrgByWidgetToken keeps it), and the rate
// limits count outside KV.
func TestAVisitorsMessageCostsItsKVCalls(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("shop", originA)
	own := func(token string) func() string {
		return func() string { return e.newSession(o, token, nil)["id"].(string) }
	}
	claimer := e.verified(o, map[string]any{"user_id": "u-claimer"})
	claimed := func() string {
		c := e.contact(o, "7f3e9a2b-4c5d-4e6f-8a7b-9c0d1e2f3a4b")
		s := e.newSession(o, c, nil)["id"].(string)
		if ids := claimedIDs(t, e.claim(o, claimer, c)); len(ids) != 1 || ids[0] != s {
			t.Fatalf("claimed %v, want [%s]", ids, s)
		}
		return s
	}
	for _, c := range []struct {
		name, token string
		session     func() string
		idem        bool
		want        map[string]int
	}{
		// gets: gone (the erasure tombstone) and the session; a list of the
		// claims of the contact's device, which a write from a read older
		// than a claim must not undo (store.keepClaim)
		{"contact", e.contact(o, device1), nil, false, map[string]int{"get": 2, "put": 3, "list": 1}},
		// and the replay of the Idempotency-Key, read and written in the
		// contact's scope only (before, in the session's too: 4 gets and 5
		// puts); a claim's owner looks in the contact's scope (contactAnswers)
		{"contact, Idempotency-Key", e.contact(o, device2), nil, true, map[string]int{"get": 3, "put": 4, "list": 1}},
		// and the revocation and the api key that issued the token
		{"verified", e.verified(o, map[string]any{"user_id": "u-1"}), nil, false, map[string]int{"get": 4, "put": 3}},
		{"verified, Idempotency-Key", e.verified(o, map[string]any{"email": "a@shop.example"}), nil, true, map[string]int{"get": 5, "put": 4}},
		// the owner of a claimed session, and the contact's answer of the
		// key, which it had not sent (before, also the session's copy read
		// and written: 6 gets and 5 puts)
		{"verified into a claimed session, Idempotency-Key", claimer, claimed, true, map[string]int{"get": 6, "put": 4}},
	} {
		t.Run(c.name, func(t *testing.T) {
			session := c.session
			if session == nil {
				session = own(c.token)
			}
			path := "/v1/widget/sessions/" + session() + "/messages"
			for i, key := range []string{"k-1", "k-2"} {
				var h []string
				if c.idem {
					h = []string{"Idempotency-Key", key}
				}
				before := maps.Clone(e.mem.Ops())
				if r := e.widget(o, c.token, "POST", path, map[string]any{"content": "hi"}, h...); r.Status != 201 {
					t.Fatalf("message %d: %d %s", i, r.Status, r.Raw)
				}
				got := map[string]int{}
				for k, v := range e.mem.Ops() {
					if d := v - before[k]; d != 0 {
						got[k] = d
					}
				}
				if !maps.Equal(got, c.want) {
					t.Errorf("message %d: KV operations %v, want %v", i, got, c.want)
				}
			}
		})
	}
}
