package api_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

// heldCall, once armed, holds the first put of a key under put, or the
// answer of the first list under list, until release is closed, and tells
// when it is reached.
type heldCall struct {
	*kv.Memory
	put, list string
	armed     atomic.Bool
	reached   chan struct{}
	release   chan struct{}
}

func (h *heldCall) Put(ctx context.Context, key string, v []byte, o kv.PutOptions) error {
	if h.put != "" && strings.HasPrefix(key, h.put) && h.armed.CompareAndSwap(true, false) {
		close(h.reached)
		<-h.release
	}
	return h.Memory.Put(ctx, key, v, o)
}

func (h *heldCall) List(ctx context.Context, o kv.ListOptions) (kv.ListResult, error) {
	res, err := h.Memory.List(ctx, o)
	if h.list != "" && strings.HasPrefix(o.Prefix, h.list) && h.armed.CompareAndSwap(true, false) {
		close(h.reached)
		<-h.release
	}
	return res, err
}

// TestLateWritesBesideAnErasure: a write let through just before a person's
// erasure, held in its KV call until the erasure is done (its sweep 5 s
// after the first batch included). Before, only a verified token's widget
// writes held their person (holdPerson): a contact's session creation or
// message, DELETE /v1/widget/me beside one, the org's message into a
// contact's or a user's session, and a claim of an erased contact's
// sessions wrote after the erasure was done, and GET /v1/sessions listed
// the erased person's session again, with their custom data and the late
// message (the org's message wrote back the whole session it had read).
// Now every write that writes a person's sessions holds them, and their
// erasure (DELETE /v1/users, /v1/contacts/{id}, /v1/widget/me) waits for
// it: nothing the write made outlives the erasure, or it came before it
// (a claim: the session is the claimer's).
func TestLateWritesBesideAnErasure(t *testing.T) {
	for _, c := range []struct {
		name      string
		put, list string
		verified  bool   // the person is a user (else a contact)
		self      bool   // the contact erases itself (DELETE /v1/widget/me)
		write     string // "session", "message", "org", "claim"
	}{
		{name: "contact's session", put: "sessions/", write: "session"},
		{name: "contact's message", put: "msg/", write: "message"},
		{name: "contact's message, forget", put: "msg/", write: "message", self: true},
		{name: "org's message to a contact", put: "msg/", write: "org"},
		{name: "org's message to a user", put: "msg/", verified: true, write: "org"},
		{name: "claim of the contact's", list: "owned/", write: "claim"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &heldCall{put: c.put, list: c.list, reached: make(chan struct{}), release: make(chan struct{})}
			e := newQueuedEnvOver(t, func(m *kv.Memory) kv.KV { h.Memory = m; return h })
			o := e.newOrg("A", originA)
			var tok, del string
			if c.verified {
				tok = e.verified(o, map[string]any{"user_id": "u-1"})
				del = "/v1/users?user_id=u-1"
			} else {
				tok = e.contact(o, device1)
				del = "/v1/contacts/" + e.contactID(o, tok)
			}
			sid := e.newSession(o, tok, map[string]any{"custom_data": map[string]any{"k": "early-data"}})["id"].(string)
			u := e.verified(o, map[string]any{"user_id": "claimer"})
			e.clock.Advance(time.Second)

			h.armed.Store(true)
			var wg sync.WaitGroup
			var wrote resp
			wg.Go(func() {
				switch c.write {
				case "session":
					wrote = e.widget(o, tok, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"late": "late-data"}})
				case "message":
					wrote = e.widget(o, tok, "POST", "/v1/widget/sessions/"+sid+"/messages", map[string]any{"content": "late-data"})
				case "org":
					wrote = e.server(o, "POST", "/v1/sessions/"+sid+"/messages", map[string]any{"content": "late-data"})
				case "claim":
					wrote = e.claim(o, u, tok)
				}
			})
			<-h.reached
			e.clock.Advance(time.Second)
			var deleted resp
			done := make(chan struct{})
			go func() {
				defer close(done)
				if c.self {
					deleted = e.widget(o, tok, "DELETE", "/v1/widget/me", nil)
				} else {
					deleted = e.server(o, "DELETE", del, nil)
				}
			}()
			select {
			case <-done: // not kept apart: the erasure runs to its end first
				e.drain()
				close(h.release)
			case <-time.After(200 * time.Millisecond): // the erasure waits for the write
				close(h.release)
				<-done
			}
			wg.Wait()
			if deleted.Status != 202 {
				t.Fatalf("DELETE: %d %s", deleted.Status, deleted.Raw)
			}
			t.Logf("the write answered %d", wrote.Status)
			e.drain()
			d := e.server(o, "GET", "/v1/deletions/"+deleted.Body["deletion"].(map[string]any)["id"].(string), nil)
			if d.Body["deletion"].(map[string]any)["status"] != "done" {
				t.Errorf("deletion: %s", d.Raw)
			}
			if c.write == "claim" && wrote.Status == 200 && len(wrote.Body["claimed"].([]any)) == 1 {
				// The claim came first: the session is the claimer's now,
				// and it sees it; it was not the contact's at the erasure.
				g := e.widget(o, u, "GET", "/v1/widget/sessions/"+sid, nil)
				if g.Status != 200 {
					t.Fatalf("the claimer's session: %d %s", g.Status, g.Raw)
				}
				claimedAt := g.Body["session"].(map[string]any)["claimed_at"].(string)
				if requested := d.Body["deletion"].(map[string]any)["requested_at"].(string); claimedAt >= requested {
					t.Errorf("claimed at %s, after the contact's erasure at %s: %s", claimedAt, requested, g.Raw)
				}
				return
			}
			if l := e.server(o, "GET", "/v1/sessions", nil); len(l.Body["items"].([]any)) != 0 {
				t.Errorf("the org lists: %s", l.Raw)
			}
			if g := e.server(o, "GET", "/v1/sessions/"+sid, nil); g.Status != 404 {
				t.Errorf("GET /v1/sessions/{id}: %d %s", g.Status, g.Raw)
			}
			for key, v := range e.mem.Snapshot() {
				if strings.Contains(key+v, "late-data") || strings.Contains(key+v, "early-data") {
					t.Errorf("left: %s", key)
				}
			}
		})
	}
}
