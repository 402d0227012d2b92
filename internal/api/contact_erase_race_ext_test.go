package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

// TestContactWriteBesideItsErasure: POST /v1/widget/contacts of a device,
// held in its write of the contact's record (it has read the device's
// index: the contact to update) while DELETE /v1/contacts/{id} of that
// contact runs to its end. Before, the erasure did not wait for it: the
// write put the record back after the erasure had removed it, and after
// the job had done so again, and the erased contact's name, email and
// custom data stayed. Now the contact write holds the device (holdPerson)
// from its read of the index to its token, and the erasure waits for it:
// what it wrote is erased, its token is refused, and the device's next
// contact is a new one.
func TestContactWriteBesideItsErasure(t *testing.T) {
	h := &heldCall{put: "contactid/", reached: make(chan struct{}), release: make(chan struct{})}
	e := newQueuedEnvOver(t, func(m *kv.Memory) kv.KV { h.Memory = m; return h })
	o := e.newOrg("A", originA)
	tok := e.contact(o, device1, map[string]any{"name": "early-data", "custom_data": map[string]any{"k": "early-data"}})
	id := e.contactID(o, tok)
	e.newSession(o, tok, nil)
	e.clock.Advance(time.Second)

	h.armed.Store(true)
	wrote := make(chan resp, 1)
	go func() {
		wrote <- e.widget(o, "", "POST", "/v1/widget/contacts", map[string]any{
			"device_id": device1, "name": "late-data", "email": "late-data@example.com", "custom_data": map[string]any{"k": "late-data"},
		})
	}()
	<-h.reached
	e.clock.Advance(time.Second)
	done := make(chan resp, 1)
	go func() { done <- e.server(o, "DELETE", "/v1/contacts/"+id, nil) }()
	var deleted resp
	select {
	case deleted = <-done: // not kept apart: the erasure runs to its end first
		e.drain()
		close(h.release)
	case <-time.After(200 * time.Millisecond): // the erasure waits for the write
		close(h.release)
		deleted = <-done
	}
	w := <-wrote
	if deleted.Status != 202 {
		t.Fatalf("DELETE: %d %s", deleted.Status, deleted.Raw)
	}
	t.Logf("the contact write answered %d %s", w.Status, w.Raw)
	e.drain()
	if w.Status == 200 {
		if late := w.Body["token"].(string); e.widget(o, late, "GET", "/v1/widget/me", nil).Status != 401 {
			t.Errorf("the late write's token of the erased contact is not refused")
		}
	}
	for key, v := range e.mem.Snapshot() {
		if strings.Contains(key+v, "late-data") || strings.Contains(key+v, "early-data") {
			t.Errorf("left: %s", key)
		}
	}
	// The device's next contact is a new one, with nothing of the erased.
	next := e.contact(o, device1)
	if nid := e.contactID(o, next); nid == id {
		t.Errorf("the device's contact after the erasure is the erased one, %s", id)
	}
	if l := e.widget(o, next, "GET", "/v1/widget/sessions", nil); l.Status != 200 || len(l.Body["items"].([]any)) != 0 {
		t.Errorf("the new contact's sessions: %d %s", l.Status, l.Raw)
	}
}
