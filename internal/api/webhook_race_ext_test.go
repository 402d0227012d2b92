package api_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// meetingReads holds each read of a key under prefix, once armed, after it
// read, until n of them wait together (or wait has passed): requests that
// run side by side all read what was stored before any of them wrote.
type meetingReads struct {
	*kv.Memory
	prefix string
	meeting
}

func (m *meetingReads) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, found, err := m.Memory.Get(ctx, key)
	if strings.HasPrefix(key, m.prefix) {
		m.join()
	}
	return v, found, err
}

// TestWebhookChangesAtOnce: PUT /v1/webhook and rotate-secret read the
// org's webhook and write it back. Sent at once, each wrote what it had
// read: of two first PUTs, the secret one answered was never stored (its
// receiver refused every event); a rotation beside a PUT answered a secret
// that the PUT's write dropped; a rotation beside a DELETE wrote the
// webhook back after the 204. They now take turns in the instance.
func TestWebhookChangesAtOnce(t *testing.T) {
	meet := &meetingReads{prefix: "webhook/", meeting: meeting{wait: 300 * time.Millisecond}}
	a, mem, clock, cfg := buildAPIOver(t, func(c *config.Config) { c.Webhooks.AllowLoopback = true },
		func(m *kv.Memory) kv.KV { meet.Memory = m; return meet })
	e := &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	secrets := func(o orgInfo) []string {
		t.Helper()
		c, err := store.New(mem).Webhook(context.Background(), o.ID)
		if err != nil || c == nil {
			return nil
		}
		var out []string
		for _, s := range c.Secrets {
			out = append(out, s.Value)
		}
		return out
	}
	both := func(first, second func() resp) (resp, resp) {
		meet.arm(2)
		defer meet.armed.Store(false)
		var r1, r2 resp
		var wg sync.WaitGroup
		wg.Go(func() { r1 = first() })
		wg.Go(func() { r2 = second() })
		wg.Wait()
		return r1, r2
	}
	put := func(o orgInfo, url string) func() resp {
		return func() resp { return e.server(o, "PUT", "/v1/webhook", map[string]any{"url": url}) }
	}
	rotate := func(o orgInfo) func() resp {
		return func() resp { return e.server(o, "POST", "/v1/webhook/rotate-secret", nil) }
	}

	// Two first PUTs: every secret answered signs.
	o := e.newOrg("A")
	p1, p2 := both(put(o, "https://hooks.example/a"), put(o, "https://hooks.example/b"))
	for i, r := range []resp{p1, p2} {
		wh, _ := r.Body["webhook"].(map[string]any)
		s, _ := wh["secret"].(string)
		if r.Status != 200 || (s != "" && !slices.Contains(secrets(o), s)) {
			t.Errorf("first PUT %d: %d, its secret is not among those stored %v", i, r.Status, secrets(o))
		}
	}

	// A PUT and a rotation: the rotated secret signs.
	o = e.newOrg("B")
	put(o, "https://hooks.example/a")()
	_, rot := both(put(o, "https://hooks.example/b"), rotate(o))
	if s, _ := rot.Body["secret"].(string); rot.Status != 200 || !slices.Contains(secrets(o), s) {
		t.Errorf("rotation beside a PUT: %d %s, stored %v", rot.Status, rot.Raw, secrets(o))
	}

	// A rotation and a DELETE, the rotation's read first: once both have
	// answered, the webhook is gone.
	o = e.newOrg("C")
	put(o, "https://hooks.example/a")()
	meet.arm(2) // the rotation's read waits for wait
	var wg sync.WaitGroup
	var r resp
	wg.Go(func() { r = rotate(o)() })
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if meet.joined() > 0 {
			break
		}
	}
	if d := e.server(o, "DELETE", "/v1/webhook", nil); d.Status != 204 {
		t.Errorf("DELETE: %d %s", d.Status, d.Raw)
	}
	wg.Wait()
	meet.armed.Store(false)
	if g := e.server(o, "GET", "/v1/webhook", nil); g.Status != 404 {
		t.Errorf("rotation (%d) beside a DELETE: GET answers %d %s", r.Status, g.Status, g.Raw)
	}
}
