package api_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/kv"
)

// otherInstance is a second worker instance of e: another API over the
// same KV (without e's wrapper), queue and clock. Its requests are not kept
// apart from e's by the instance's holds (KV has no compare-and-set), so
// the race tests send the erasure there to reach the store's own defences.
func (e *queuedEnv) otherInstance() *queuedEnv {
	e.t.Helper()
	a, err := api.New(e.mem, e.cfg, api.WithClock(e.clock.Now), api.WithQueue(e.q))
	if err != nil {
		e.t.Fatal(err)
	}
	return &queuedEnv{env: &env{harness: &harness{t: e.t, h: a, mem: e.mem}, clock: e.clock, cfg: e.cfg}, q: e.q, api: a}
}

// heldSessionWrites, once armed, holds every put of a session's keys (its
// record and its owner's listing key) until release is closed, and tells
// when the first arrives.
type heldSessionWrites struct {
	*kv.Memory
	armed   atomic.Bool
	once    sync.Once
	reached chan struct{}
	release chan struct{}
}

func (h *heldSessionWrites) Put(ctx context.Context, key string, v []byte, o kv.PutOptions) error {
	if h.armed.Load() && (strings.HasPrefix(key, "sessions/") || strings.HasPrefix(key, "owned/")) {
		h.once.Do(func() { close(h.reached) })
		<-h.release
	}
	return h.Memory.Put(ctx, key, v, o)
}

// TestErasureBesideASessionCreation: a contact's POST /v1/widget/sessions
// let through just before DELETE /v1/contacts/{id}, whose writes land after
// the erasure's first batch listed the contact's sessions, the DELETE in
// another instance (within one, the erasure waits for the write:
// TestLateWritesBesideAnErasure). Before, the session outlived the erasure:
// once it was done, GET /v1/sessions listed it with its custom data and the
// erased contact as owner. The sweep now lists the person's sessions again.
func TestErasureBesideASessionCreation(t *testing.T) {
	h := &heldSessionWrites{reached: make(chan struct{}), release: make(chan struct{})}
	e := newQueuedEnvOver(t, func(m *kv.Memory) kv.KV { h.Memory = m; return h })
	clock, mem := e.clock, e.mem
	o := e.newOrg("A", originA)
	c := e.contact(o, device1)
	cid := e.contactID(o, c)
	e.newSession(o, c, nil)

	h.armed.Store(true)
	var wg sync.WaitGroup
	var created resp
	wg.Go(func() {
		created = e.widget(o, c, "POST", "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"late": "late-data"}})
	})
	<-h.reached
	clock.Advance(time.Second)
	d := e.otherInstance().server(o, "DELETE", "/v1/contacts/"+cid, nil)
	if d.Status != 202 {
		t.Fatalf("DELETE: %d %s", d.Status, d.Raw)
	}
	h.armed.Store(false)
	e.q.Deliver(context.Background(), e.api.Consumer()) // the first batch
	close(h.release)
	wg.Wait()
	if created.Status != 201 {
		t.Fatalf("creation: %d %s", created.Status, created.Raw)
	}
	e.drain()
	deletion := e.server(o, "GET", "/v1/deletions/"+d.Body["deletion"].(map[string]any)["id"].(string), nil)
	if got := deletion.Body["deletion"].(map[string]any); got["status"] != "done" || got["sessions"] != 2.0 {
		t.Errorf("deletion: %s", deletion.Raw)
	}
	if l := e.server(o, "GET", "/v1/sessions", nil); len(l.Body["items"].([]any)) != 0 {
		t.Errorf("the org still lists: %s", l.Raw)
	}
	for key, v := range mem.Snapshot() {
		if strings.Contains(key+v, "late-data") {
			t.Errorf("left: %s", key)
		}
	}
}
