package api_test

import (
	"strings"
	"testing"
	"time"
)

// TestWebhookEventsOfAContactsSessionClaimedByAnErasedUserAreDropped: a
// contact's session.created and message.created waiting for the org's
// receiver (down, answering 500), the session then claimed by u-2 (POST
// /v1/widget/claim, 200) and u-2 erased (DELETE /v1/users?user_id=u-2,
// 202). Before, once the receiver was back both events were delivered,
// the erased session and its message included: they were judged by the
// contact's tombstone, and the contact was never erased. Now an event of a
// contact's session older than KV's minute of lag reads its session: gone,
// or claimed by an identity erased since, the event is dropped. The
// contact's other session, not claimed, still has its events delivered.
func TestWebhookEventsOfAContactsSessionClaimedByAnErasedUserAreDropped(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	const url = "http://127.0.0.1:1/a"
	e.setHook(a, url, "session.created", "message.created")
	e.recv.status[url] = 500
	tok := e.contact(a, device1)
	claimed := e.newSession(a, tok, map[string]any{"external_id": "ws-1"})["id"].(string)
	post(t, e.env, a, tok, claimed, "claimed-words")
	left := e.newSession(a, tok, map[string]any{"external_id": "ws-2"})["id"].(string)
	post(t, e.env, a, tok, left, "left-words")
	e.deliver() // every first attempt answered 500
	u := e.verified(a, map[string]any{"user_id": "u-2", "external_id": "ws-1"})
	if got := claimedIDs(t, e.claim(a, u, tok)); len(got) != 1 || got[0] != claimed {
		t.Fatalf("claimed %v, want %s", got, claimed)
	}
	e.clock.Advance(time.Second)
	if r := e.server(a, "DELETE", "/v1/users?user_id=u-2", nil); r.Status != 202 {
		t.Fatalf("erase: %d %s", r.Status, r.Raw)
	}
	got := map[string]int{}
	for _, ev := range e.receiverBack(url) {
		if strings.Contains(string(ev.Body), claimed) || strings.Contains(string(ev.Body), "claimed-words") {
			t.Errorf("%s of the session of erased u-2 delivered: %s", ev.Type, ev.Body)
		}
		if strings.Contains(string(ev.Body), left) {
			got[ev.Type]++
		}
	}
	if got["session.created"] != 1 || got["message.created"] != 1 {
		t.Errorf("the unclaimed session's events delivered: %v, want one of each", got)
	}
}
