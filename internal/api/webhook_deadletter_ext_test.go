package api_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestWebhookDeadLettersGoWithTheErasure: two contacts' events given up
// (the org's receiver answered 500 for the whole schedule), then one
// contact erased (DELETE /v1/contacts/{id}, 202). Before, each dead letter
// carried its event's whole payload, the erased contact's message
// included, for as long as the dead-letter queue keeps a message, which no
// erasure reaches (nothing consumes it). Now a dead letter carries the
// event's ids and the key of its payload, kept in KV with the session whose
// data it carries: the erasure removes the erased contact's, and the other
// contact's dead letters, sent back to the jobs queue, are delivered whole.
func TestWebhookDeadLettersGoWithTheErasure(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	const url = "http://127.0.0.1:1/a"
	secret := e.setHook(a, url)
	e.recv.status[url] = 500
	gone, kept := e.contact(a, device1), e.contact(a, device2)
	goneID := e.contactID(a, gone)
	for tok, words := range map[string]string{gone: "erased-words", kept: "kept-words"} {
		sess := e.newSession(a, tok, nil)["id"].(string)
		if r := e.widget(a, tok, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": words}); r.Status != 201 {
			t.Fatalf("post: %d %s", r.Status, r.Raw)
		}
	}
	for range 12 { // the retries' schedule, all answered 500
		e.clock.Advance(time.Hour)
		e.deliver()
	}
	dead := e.q.DeadLetters()
	if len(dead) != 4 || len(e.q.Pending()) != 0 {
		t.Fatalf("%d dead letters (want 4: two sessions, two messages), %d pending", len(dead), len(e.q.Pending()))
	}
	for _, m := range dead {
		if strings.Contains(string(m.Body), "-words") || strings.Contains(string(m.Body), `"payload"`) {
			t.Errorf("a dead letter carries its payload: %s", m.Body)
		}
	}

	if r := e.server(a, "DELETE", "/v1/contacts/"+goneID, nil); r.Status != 202 {
		t.Fatalf("erase: %d %s", r.Status, r.Raw)
	}
	e.receiverBack(url) // the erasure runs to its end
	for key, v := range e.mem.Snapshot() {
		if strings.Contains(key+v, "erased-words") {
			t.Errorf("left after the erasure: %s", key)
		}
	}

	// The vendor sends the dead letters back to the jobs queue.
	before := len(e.recv.events())
	for _, m := range dead {
		if err := e.q.Send(context.Background(), m.Body, 0); err != nil {
			t.Fatal(err)
		}
	}
	e.deliver()
	got := map[string]int{}
	for _, ev := range e.recv.events()[before:] {
		got[ev.Type]++
		if !verifies(t, secret, ev) {
			t.Errorf("%s does not verify", ev.Type)
		}
		if strings.Contains(string(ev.Body), "erased-words") {
			t.Errorf("an erased contact's dead event delivered: %s", ev.Body)
		}
		if ev.Type == "message.created" && !strings.Contains(string(ev.Body), "kept-words") {
			t.Errorf("message.created without its message: %s", ev.Body)
		}
	}
	if got["session.created"] != 1 || got["message.created"] != 1 || len(got) != 2 {
		t.Errorf("delivered from the dead letters: %v, want the kept contact's session and message", got)
	}
}
