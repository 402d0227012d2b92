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

// heldUserRead, once armed, holds the next read of a user's record (user/...)
// until release is closed, and tells when it is reached: the request goes on
// with what it reads then.
type heldUserRead struct {
	*kv.Memory
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (h *heldUserRead) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if strings.HasPrefix(key, "user/") && h.armed.CompareAndSwap(true, false) {
		close(h.reached)
		<-h.release
	}
	return h.Memory.Get(ctx, key)
}

// TestUserErasureBesideAWriteOfAnOldToken: a session creation, and a claim,
// of a verified token issued before DELETE /v1/users, let through just
// before it and reading the user's record while it runs, so that the
// session's created_at (the claim's claimed_at) comes after the erasure's
// time. Before, the session outlived the erasure as the identity's new
// history: the deletion said done, the org listed the session with its
// custom data, and the identity, authenticated again, saw it. The session's
// owner now records the issue time of the token whose request gave it the
// session, which the erasure goes by, and within an instance the erasure
// writes its tombstone once the person's writes in flight have ended.
func TestUserErasureBesideAWriteOfAnOldToken(t *testing.T) {
	for _, c := range []struct {
		name string
		// write is the request of the old token u; contact is a contact of
		// the device whose session a claim takes. erased is what must be
		// gone; the org lists kept sessions after the erasure.
		write  func(e *queuedEnv, o orgInfo, u, contact string) resp
		erased string
		kept   int
	}{
		{"session creation", func(e *queuedEnv, o orgInfo, u, _ string) resp {
			return e.widget(o, u, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"late": "late-data"}})
		}, "late-data", 1},
		{"claim", func(e *queuedEnv, o orgInfo, u, contact string) resp { return e.claim(o, u, contact) }, "device-data", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := &heldUserRead{reached: make(chan struct{}), release: make(chan struct{})}
			e := newQueuedEnvOver(t, func(m *kv.Memory) kv.KV { h.Memory = m; return h })
			o := e.newOrg("A", originA)
			contact := e.contact(o, device1)
			e.newSession(o, contact, map[string]any{"custom_data": map[string]any{"device": "device-data"}})
			u := e.verified(o, map[string]any{"user_id": "u-1"})
			e.newSession(o, u, nil)
			e.clock.Advance(time.Second)

			h.armed.Store(true)
			var wg sync.WaitGroup
			var wrote, deleted resp
			wg.Go(func() { wrote = c.write(e, o, u, contact) })
			<-h.reached
			e.clock.Advance(time.Second)
			done := make(chan struct{})
			wg.Go(func() {
				defer close(done)
				deleted = e.server(o, "DELETE", "/v1/users?user_id=u-1", nil)
			})
			select { // the erasure runs as far as it can while the write is held
			case <-done:
			case <-time.After(200 * time.Millisecond):
			}
			e.clock.Advance(time.Second)
			close(h.release)
			wg.Wait()
			if deleted.Status != 202 {
				t.Fatalf("DELETE: %d %s", deleted.Status, deleted.Raw)
			}
			t.Logf("the write answered %d %s", wrote.Status, wrote.Raw)
			e.drain()
			d := e.server(o, "GET", "/v1/deletions/"+deleted.Body["deletion"].(map[string]any)["id"].(string), nil)
			if got := d.Body["deletion"].(map[string]any); got["status"] != "done" || got["sessions"] != 2.0 {
				t.Errorf("deletion: %s", d.Raw)
			}
			e.clock.Advance(time.Second)
			again := e.verified(o, map[string]any{"user_id": "u-1"})
			if l := e.widget(o, again, "GET", "/v1/widget/sessions", nil); l.Status != 200 || len(l.Body["items"].([]any)) != 0 {
				t.Errorf("the identity authenticated again lists: %d %s", l.Status, l.Raw)
			}
			if l := e.server(o, "GET", "/v1/sessions?user_id=u-1", nil); len(l.Body["items"].([]any)) != 0 {
				t.Errorf("the org lists the user's: %s", l.Raw)
			}
			if l := e.server(o, "GET", "/v1/sessions", nil); len(l.Body["items"].([]any)) != c.kept {
				t.Errorf("the org lists: %s", l.Raw)
			}
			for key, v := range e.mem.Snapshot() {
				if strings.Contains(key+v, c.erased) {
					t.Errorf("left: %s", key)
				}
			}
		})
	}
}
