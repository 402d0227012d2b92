//go:build !js

package e2e

import (
	"sync"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// TestRetriesSentAtOnce: retries with one Idempotency-Key sent while the
// first is still being served (a widget that timed out and resent) all get
// the first answer, and one message or session is stored. In the Worker the
// waiting retries must go on in their own requests' contexts, or workerd
// cancels them as hung.
func TestRetriesSentAtOnce(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w, s := o.chat(t)
	const n = 8
	// all sends n requests at once and returns the id each was answered.
	all := func(what string, send func() (string, error)) {
		t.Helper()
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { ids[i], errs[i] = send() })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("%s %d: %q %v, the first was answered %q", what, i, ids[i], errs[i], ids[0])
			}
		}
	}
	all("widget message", func() (string, error) {
		m, err := w.c.PostUserMessage(t.Context(), s.ID, "once", contract.IdempotencyKey("user-1"))
		if err = contract.Fits(m.Response, err, 201); err != nil {
			return "", err
		}
		return m.Value.Message.ID, nil
	})
	all("agent message", func() (string, error) {
		m, err := o.api().c.PostAgentMessage(t.Context(), s.ID, contract.MessageRequest{Content: "once"}, contract.IdempotencyKey("agent-1"))
		if err = contract.Fits(m.Response, err, 201); err != nil {
			return "", err
		}
		return m.Value.Message.ID, nil
	})
	match(t, "messages stored", len(widgetSession(t, w, s.ID).Messages), 2)
	all("session", func() (string, error) {
		c, err := w.c.CreateSession(t.Context(), contract.SessionRequest{}, contract.IdempotencyKey("session-1"))
		if err = contract.Fits(c.Response, err, 201); err != nil {
			return "", err
		}
		return c.Value.Session.ID, nil
	})
	match(t, "sessions listed", len(widgetSessions(t, w, nil)), 2)
}
