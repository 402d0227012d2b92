package api_test

import (
	"strings"
	"testing"
	"time"
)

// A user erased and authenticated again before the erasure's job ran: the
// job removes the erased history's idempotency answers, not those of the
// new one, which share the identity's scope. Before, it removed them all,
// and a retry of the new history's session creation made a second session.
func TestAnErasureKeepsTheNewHistorysIdempotencyAnswers(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	old := e.verified(a, map[string]any{"user_id": "u-again"})
	s := e.widget(a, old, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"n": "old-history-q7"}}, "Idempotency-Key", "old-s")
	oldID := s.Body["session"].(map[string]any)["id"].(string)
	e.widget(a, old, "POST", "/v1/widget/sessions/"+oldID+"/messages", map[string]any{"content": "old-history-q7 message"}, "Idempotency-Key", "old-m")
	del := e.server(a, "DELETE", "/v1/users?user_id=u-again", nil)
	if del.Status != 202 {
		t.Fatalf("delete: %d %s", del.Status, del.Raw)
	}
	delID := del.Body["deletion"].(map[string]any)["id"].(string)

	e.clock.Advance(time.Second)
	again := e.verified(a, map[string]any{"user_id": "u-again"})
	// The same body as the erased history's, so that its key can be sent again.
	create := func(key string) resp {
		return e.widget(a, again, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"n": "old-history-q7"}}, "Idempotency-Key", key)
	}
	first := create("new-s")
	if first.Status != 201 {
		t.Fatalf("new session: %d %s", first.Status, first.Raw)
	}
	newID := first.Body["session"].(map[string]any)["id"].(string)
	post := func() resp {
		return e.widget(a, again, "POST", "/v1/widget/sessions/"+newID+"/messages", map[string]any{"content": "new message"}, "Idempotency-Key", "new-m")
	}
	firstMsg := post()
	if firstMsg.Status != 201 {
		t.Fatalf("new message: %d %s", firstMsg.Status, firstMsg.Raw)
	}
	// A retry of the erased history's creation with the new token is served
	// as a new one, of the new history.
	reused := create("old-s")
	if reused.Status != 201 || reused.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("old key: %d %s", reused.Status, reused.Raw)
	}
	reusedID := reused.Body["session"].(map[string]any)["id"].(string)

	e.drain()
	d := e.server(a, "GET", "/v1/deletions/"+delID, nil)
	if d.Body["deletion"].(map[string]any)["status"] != "done" {
		t.Fatalf("deletion: %s", d.Raw)
	}

	for _, c := range []struct {
		key, want string
		do        func() resp
	}{
		{"new-s", newID, func() resp { return create("new-s") }},
		{"old-s", reusedID, func() resp { return create("old-s") }},
	} {
		r := c.do()
		got, _ := r.Body["session"].(map[string]any)["id"].(string)
		if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" || got != c.want {
			t.Errorf("retry of %s after the erasure: %d replayed=%q session %s, want %s again", c.key, r.Status, r.Header.Get("Idempotent-Replayed"), got, c.want)
		}
	}
	r := post()
	if r.Header.Get("Idempotent-Replayed") != "true" || r.Body["message"].(map[string]any)["id"] != firstMsg.Body["message"].(map[string]any)["id"] {
		t.Errorf("retry of the new message: %d replayed=%q %s", r.Status, r.Header.Get("Idempotent-Replayed"), r.Raw)
	}
	ex := e.server(a, "GET", "/v1/users/export?user_id=u-again", nil)
	if n := len(ex.Body["sessions"].([]any)); ex.Status != 200 || n != 2 {
		t.Errorf("export: %d sessions, want the new history's 2: %s", n, ex.Raw)
	}
	if left := holding(e.mem, oldID, "old-history-q7 message"); len(left) > 0 {
		t.Errorf("left of the erased history: %v", left)
	}
}

// A user erased, authenticated again, and claiming a device's chats before
// the erasure's job ran: the job keeps the new claim's pointer at the
// contact's idempotency answers, so that erasing the new history later
// removes those answers about the sessions it claimed. Before, the first
// job removed the pointer, and the second erasure left the contact's
// answer, with the claimed session's data, for its 24 hours.
func TestAnErasureKeepsTheNewHistorysClaimPointer(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	old := e.verified(a, map[string]any{"user_id": "u-claims"})
	e.newSession(a, old, nil)
	if r := e.server(a, "DELETE", "/v1/users?user_id=u-claims", nil); r.Status != 202 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	e.clock.Advance(time.Second)
	ct := e.contact(a, device1)
	if r := e.widget(a, ct, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"n": "claimed-chat-z9"}}, "Idempotency-Key", "c-s"); r.Status != 201 {
		t.Fatalf("contact session: %d %s", r.Status, r.Raw)
	}
	again := e.verified(a, map[string]any{"user_id": "u-claims"})
	cl := e.send(request("POST", "/v1/widget/claim", nil, "X-Widget-Token", a.PK, "Authorization", "Bearer "+again, "X-Contact-Token", ct))
	if cl.Status != 200 || len(cl.Body["claimed"].([]any)) != 1 {
		t.Fatalf("claim: %d %s", cl.Status, cl.Raw)
	}
	e.drain()

	e.clock.Advance(time.Second)
	if r := e.server(a, "DELETE", "/v1/users?user_id=u-claims", nil); r.Status != 202 {
		t.Fatalf("delete again: %d %s", r.Status, r.Raw)
	}
	e.drain()
	if left := holding(e.mem, "claimed-chat-z9"); len(left) > 0 {
		t.Errorf("left of the claimed chat after its claimer's erasure: %v", left)
	}
}

// The erased history's idempotency answers are as none to the new one while
// the erasure's job has not yet removed them: a key of theirs sent again
// with another body is served as new, not refused as reused (409 before).
func TestAnErasedHistorysKeysAreNoConflict(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	old := e.verified(a, map[string]any{"user_id": "u-keys"})
	s := e.widget(a, old, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "s-key")
	oldID := s.Body["session"].(map[string]any)["id"].(string)
	e.widget(a, old, "POST", "/v1/widget/sessions/"+oldID+"/messages", map[string]any{"content": "old"}, "Idempotency-Key", "m-key")
	if r := e.server(a, "DELETE", "/v1/users?user_id=u-keys", nil); r.Status != 202 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	e.clock.Advance(time.Second)
	again := e.verified(a, map[string]any{"user_id": "u-keys"})
	r := e.widget(a, again, "POST", "/v1/widget/sessions", map[string]any{"external_id": "ws"}, "Idempotency-Key", "s-key")
	if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the erased history's session key, another body: %d %s", r.Status, r.Raw)
	}
	newID := r.Body["session"].(map[string]any)["id"].(string)
	post := func(content string) resp {
		return e.widget(a, again, "POST", "/v1/widget/sessions/"+newID+"/messages", map[string]any{"content": content}, "Idempotency-Key", "m-key")
	}
	first := post("new")
	if first.Status != 201 || first.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the erased history's message key, another session: %d %s", first.Status, first.Raw)
	}
	// The key is the new history's now: its retry replays, another body is reused.
	if r := post("new"); r.Header.Get("Idempotent-Replayed") != "true" || r.Body["message"].(map[string]any)["id"] != first.Body["message"].(map[string]any)["id"] {
		t.Errorf("retry: %d %s", r.Status, r.Raw)
	}
	checkError(t, post("other"), 409, "idempotency_key_reused")
}

// A user who claimed a device's chats is erased: nothing of theirs is left,
// the claim's marker included (its metadata held their user_id, email and
// record id for its 24 hours after the deletion was done).
func TestErasingAClaimerRemovesItsClaimMarker(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	auth := e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "claimer-uid-q1", "email": "claimer-q1@example.com"})
	uid := auth.Body["user"].(map[string]any)["id"].(string)
	ct := e.contact(a, device1)
	e.newSession(a, ct, nil)
	cl := e.send(request("POST", "/v1/widget/claim", nil, "X-Widget-Token", a.PK, "Authorization", "Bearer "+auth.Body["token"].(string), "X-Contact-Token", ct))
	if cl.Status != 200 || len(cl.Body["claimed"].([]any)) != 1 {
		t.Fatalf("claim: %d %s", cl.Status, cl.Raw)
	}
	if r := e.server(a, "DELETE", "/v1/users?user_id=claimer-uid-q1", nil); r.Status != 202 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	e.drain()
	if left := holding(e.mem, "claimer-uid-q1", "claimer-q1@example.com", uid); len(left) > 0 {
		t.Errorf("left of the erased claimer: %v", left)
	}
	// The device's contact goes on: it chats and is claimed again afresh.
	e.newSession(a, ct, nil)
	again := e.verified(a, map[string]any{"user_id": "claimer-uid-q1"})
	cl = e.send(request("POST", "/v1/widget/claim", nil, "X-Widget-Token", a.PK, "Authorization", "Bearer "+again, "X-Contact-Token", ct))
	if cl.Status != 200 || len(cl.Body["claimed"].([]any)) != 1 {
		t.Errorf("claim after the erasure: %d %s", cl.Status, cl.Raw)
	}
}

// A contact whose chats a verified user claimed is erased: the claim's
// marker, kept under the contact, goes with it (it named the contact's id
// and its claimer); the claimed session stays the claimer's.
func TestErasingAClaimedContactRemovesItsClaimMarkers(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	ct := e.contact(a, device1)
	cid := e.contactID(a, ct)
	claimedID := e.newSession(a, ct, nil)["id"].(string)
	e.newSession(a, ct, map[string]any{"external_id": "ws-b"})
	vt := e.verified(a, map[string]any{"user_id": "keeper-q3", "external_id": "ws-a"})
	e.newSession(a, ct, map[string]any{"external_id": "ws-a"})
	cl := e.send(request("POST", "/v1/widget/claim", nil, "X-Widget-Token", a.PK, "Authorization", "Bearer "+vt, "X-Contact-Token", ct))
	if cl.Status != 200 || len(cl.Body["claimed"].([]any)) != 1 {
		t.Fatalf("claim: %d %s", cl.Status, cl.Raw)
	}
	claimedWS := cl.Body["claimed"].([]any)[0].(map[string]any)["id"].(string)
	if r := e.server(a, "DELETE", "/v1/contacts/"+cid, nil); r.Status != 202 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	e.drain()
	for _, k := range holding(e.mem, cid) {
		if strings.HasPrefix(k, "claims/") {
			t.Errorf("left of the erased contact: %s", k)
		}
	}
	if r := e.server(a, "GET", "/v1/sessions/"+claimedWS, nil); r.Status != 200 {
		t.Errorf("the claimed session: %d %s", r.Status, r.Raw)
	}
	checkError(t, e.server(a, "GET", "/v1/sessions/"+claimedID, nil), 404, "not_found")
}
