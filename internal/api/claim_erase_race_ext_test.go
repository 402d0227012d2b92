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

// heldOwnerList, once armed, holds the answer of the next list of a
// principal's sessions (owned/...) until release is closed, and tells when
// it has been read: the lister goes on with what it read before.
type heldOwnerList struct {
	*kv.Memory
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (h *heldOwnerList) List(ctx context.Context, o kv.ListOptions) (kv.ListResult, error) {
	res, err := h.Memory.List(ctx, o)
	if strings.HasPrefix(o.Prefix, "owned/") && h.armed.CompareAndSwap(true, false) {
		close(h.reached)
		<-h.release
	}
	return res, err
}

// TestClaimBesideAnErasureOfTheContact: a claim lists the device's sessions,
// then DELETE /v1/contacts/{id} (in another instance: within one, the
// erasure waits for the claim) and the erasure's first batch run, then the
// claim moves what it listed. Before, the claimer's listing kept a key of the
// erased session with its custom data for good (GET of it 404, the org's
// listing empty). The erasure's sweep now also removes the session from the
// listings of those who claimed from the contact.
func TestClaimBesideAnErasureOfTheContact(t *testing.T) {
	h := &heldOwnerList{reached: make(chan struct{}), release: make(chan struct{})}
	e := newQueuedEnvOver(t, func(m *kv.Memory) kv.KV { h.Memory = m; return h })
	clock, mem := e.clock, e.mem
	o := e.newOrg("A", originA)
	c := e.contact(o, device1)
	cid := e.contactID(o, c)
	e.newSession(o, c, map[string]any{"custom_data": map[string]any{"secret": "erase-me"}})
	u := e.verified(o, map[string]any{"user_id": "u-1"})

	h.armed.Store(true)
	var wg sync.WaitGroup
	var claimed resp
	wg.Go(func() { claimed = e.claim(o, u, c) })
	<-h.reached
	clock.Advance(time.Second)
	d := e.otherInstance().server(o, "DELETE", "/v1/contacts/"+cid, nil)
	if d.Status != 202 {
		t.Fatalf("DELETE: %d %s", d.Status, d.Raw)
	}
	e.q.Deliver(context.Background(), e.api.Consumer()) // the first batch
	close(h.release)
	wg.Wait()
	t.Logf("the claim answered %d", claimed.Status)
	e.drain()
	deletion := e.server(o, "GET", "/v1/deletions/"+d.Body["deletion"].(map[string]any)["id"].(string), nil)
	if got := deletion.Body["deletion"].(map[string]any); got["status"] != "done" {
		t.Errorf("deletion: %s", deletion.Raw)
	}
	if l := e.widget(o, u, "GET", "/v1/widget/sessions", nil); l.Status != 200 || len(l.Body["items"].([]any)) != 0 {
		t.Errorf("the claimer still lists: %d %s", l.Status, l.Raw)
	}
	if l := e.server(o, "GET", "/v1/sessions", nil); len(l.Body["items"].([]any)) != 0 {
		t.Errorf("the org still lists: %s", l.Raw)
	}
	for key, v := range mem.Snapshot() {
		if strings.Contains(key+v, "erase-me") {
			t.Errorf("left: %s", key)
		}
	}
}
