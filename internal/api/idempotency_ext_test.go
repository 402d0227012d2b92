package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

func messagesOf(t *testing.T, e *env, o orgInfo, sessionID string) []map[string]any {
	t.Helper()
	r := e.server(o, "GET", "/v1/sessions/"+sessionID, nil)
	list, ok := r.Body["messages"].([]any)
	if r.Status != 200 || !ok {
		t.Fatalf("messages: %d %s", r.Status, r.Raw)
	}
	out := make([]map[string]any, len(list))
	for i, m := range list {
		out[i] = m.(map[string]any)
	}
	return out
}

func TestIdempotentWidgetMessage(t *testing.T) {
	w := newWorld(t)
	path := "/v1/widget/sessions/" + w.sessionA + "/messages"
	first := w.widget(w.a, w.contactA, "POST", path, map[string]any{"content": "hello"}, "Idempotency-Key", "retry-1")
	if first.Status != 201 {
		t.Fatalf("%d %s", first.Status, first.Raw)
	}
	w.clock.Advance(3e9) // the retry comes later
	again := w.unchanged(t, func() resp {
		return w.widget(w.a, w.contactA, "POST", path, map[string]any{"content": "hello"}, "Idempotency-Key", "retry-1")
	})
	if again.Status != 201 || again.Raw != first.Raw {
		t.Errorf("retry answered %d %s, first %s", again.Status, again.Raw, first.Raw)
	}
	if msgs := messagesOf(t, w.env, w.a, w.sessionA); len(msgs) != 1 {
		t.Errorf("%d messages stored", len(msgs))
	}
	// A fresh contact token of the same device is the same caller: a widget
	// that refreshed its token may still resend.
	fresh := w.contact(w.a, device1)
	third := w.widget(w.a, fresh, "POST", path, map[string]any{"content": "hello"}, "Idempotency-Key", "retry-1")
	if third.Raw != first.Raw {
		t.Errorf("retry with a refreshed token: %d %s", third.Status, third.Raw)
	}
	// Same key, different body: 409, nothing stored.
	w.refused(t, 409, "idempotency_key_reused", func() resp {
		return w.widget(w.a, w.contactA, "POST", path, map[string]any{"content": "hello!"}, "Idempotency-Key", "retry-1")
	})
	// Same key on another session of the same caller: 409 too.
	other := w.newSession(w.a, w.contactA, nil)["id"].(string)
	w.refused(t, 409, "idempotency_key_reused", func() resp {
		return w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions/"+other+"/messages", map[string]any{"content": "hello"}, "Idempotency-Key", "retry-1")
	})
	// Same key on another route of the same caller: 409 too.
	w.refused(t, 409, "idempotency_key_reused", func() resp {
		return w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "retry-1")
	})
	// Without a key, every post is a new message.
	for range 2 {
		w.widget(w.a, w.contactA, "POST", path, map[string]any{"content": "hello"})
	}
	if msgs := messagesOf(t, w.env, w.a, w.sessionA); len(msgs) != 3 {
		t.Errorf("%d messages stored, want 3", len(msgs))
	}
}

func TestIdempotentSessionCreation(t *testing.T) {
	w := newWorld(t)
	body := map[string]any{"external_id": "ws-1", "custom_data": map[string]any{"a": "b"}}
	first := w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions", body, "Idempotency-Key", "s-1")
	if first.Status != 201 {
		t.Fatalf("%d %s", first.Status, first.Raw)
	}
	again := w.unchanged(t, func() resp {
		return w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions", body, "Idempotency-Key", "s-1")
	})
	if again.Status != 201 || again.Raw != first.Raw {
		t.Errorf("retry %d %s, first %s", again.Status, again.Raw, first.Raw)
	}
	if ids := listIDs(t, w.widget(w.a, w.contactA, "GET", "/v1/widget/sessions?external_id=ws-1", nil)); len(ids) != 1 {
		t.Errorf("%d sessions with ws-1", len(ids))
	}
	w.refused(t, 409, "idempotency_key_reused", func() resp {
		return w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions", map[string]any{"external_id": "ws-2"}, "Idempotency-Key", "s-1")
	})
}

func TestIdempotentAgentMessage(t *testing.T) {
	w := newWorld(t)
	path := "/v1/sessions/" + w.sessionA + "/messages"
	body := map[string]any{"content": "we're on it", "author_name": "Bob"}
	first := w.server(w.a, "POST", path, body, "Idempotency-Key", "agent-1")
	if first.Status != 201 {
		t.Fatalf("%d %s", first.Status, first.Raw)
	}
	again := w.unchanged(t, func() resp { return w.server(w.a, "POST", path, body, "Idempotency-Key", "agent-1") })
	if again.Raw != first.Raw {
		t.Errorf("retry %s, first %s", again.Raw, first.Raw)
	}
	// Another api key of the same org is the same caller (the org's server).
	r := w.admin("POST", "/v1/admin/orgs/"+w.a.ID+"/api-keys", nil)
	second := orgInfo{ID: w.a.ID, SK: r.Body["api_key"].(map[string]any)["secret"].(string)}
	if r := w.server(second, "POST", path, body, "Idempotency-Key", "agent-1"); r.Raw != first.Raw {
		t.Errorf("retry with the org's other key: %d %s", r.Status, r.Raw)
	}
	if msgs := messagesOf(t, w.env, w.a, w.sessionA); len(msgs) != 1 || msgs[0]["role"] != "agent" {
		t.Errorf("messages %v", msgs)
	}
	w.refused(t, 409, "idempotency_key_reused", func() resp {
		return w.server(w.a, "POST", path, map[string]any{"content": "other"}, "Idempotency-Key", "agent-1")
	})
}

// TestIdempotencyKeysOfDifferentCallersDoNotCollide: the key is per caller.
func TestIdempotencyKeysOfDifferentCallersDoNotCollide(t *testing.T) {
	w := newWorld(t)
	const key = "same-key"
	d2 := w.contact(w.a, device2)
	body := map[string]any{"content": "hi"}

	// Two devices of one org, each on its own session.
	s2 := w.newSession(w.a, d2, nil)["id"].(string)
	r1 := w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions/"+w.sessionA+"/messages", body, "Idempotency-Key", key)
	r2 := w.widget(w.a, d2, "POST", "/v1/widget/sessions/"+s2+"/messages", body, "Idempotency-Key", key)
	// The org's server on the first device's session, the verified user on
	// its own session, and a device of the other org.
	r3 := w.server(w.a, "POST", "/v1/sessions/"+w.sessionA+"/messages", body, "Idempotency-Key", key)
	r4 := w.widget(w.a, w.verifiedA, "POST", "/v1/widget/sessions/"+w.sessionVerA+"/messages", body, "Idempotency-Key", key)
	sB := w.newSession(w.b, w.contactB, nil)["id"].(string)
	r5 := w.widget(w.b, w.contactB, "POST", "/v1/widget/sessions/"+sB+"/messages", body, "Idempotency-Key", key)

	seen := map[string]bool{}
	for i, r := range []resp{r1, r2, r3, r4, r5} {
		if r.Status != 201 {
			t.Errorf("caller %d: %d %s", i+1, r.Status, r.Raw)
			continue
		}
		id := r.Body["message"].(map[string]any)["id"].(string)
		if seen[id] {
			t.Errorf("caller %d got another caller's message %s", i+1, id)
		}
		seen[id] = true
	}
	if msgs := messagesOf(t, w.env, w.a, w.sessionA); len(msgs) != 2 {
		t.Errorf("session A has %d messages, want 2 (the contact's and the agent's)", len(msgs))
	}
	// Session creation with the same key by two callers: two sessions.
	c1 := w.widget(w.a, w.contactA, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "new-session")
	c2 := w.widget(w.a, d2, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "new-session")
	if c1.Status != 201 || c2.Status != 201 || c1.Raw == c2.Raw {
		t.Errorf("two callers, one key: %s / %s", c1.Raw, c2.Raw)
	}
}

// TestIdempotentReplayKeepsRule4: a replay is still an answer to the token
// that asks. A token bound to another external id of the same identity must
// not be handed, under a reused Idempotency-Key, a session it may not see.
func TestIdempotentReplayKeepsRule4(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	ws1 := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-1"})
	ws2 := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-2"})
	first := e.widget(a, ws1, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "k")
	if first.Status != 201 {
		t.Fatalf("%d %s", first.Status, first.Raw)
	}
	r := e.widget(a, ws2, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "k")
	if r.Status == 201 {
		if s, _ := r.Body["session"].(map[string]any); s == nil || s["external_id"] != "ws-2" {
			t.Errorf("a ws-2 token got %s", r.Raw)
		}
	} else if r.Status != 409 {
		t.Errorf("%d %s", r.Status, r.Raw)
	}
}

// meetingKV holds each read of an idempotency answer, once armed, until n
// of them wait together (or wait has passed): requests that run side by
// side all look for their key's answer before any of them saved it.
type meetingKV struct {
	*kv.Memory
	meeting
}

func (m *meetingKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if strings.HasPrefix(key, "idem/") {
		m.join()
	}
	return m.Memory.Get(ctx, key)
}

// TestConcurrentRetriesCreateOnce: a retry sent while its first request is
// still being served (a widget that timed out and resent) gets the first
// answer, not a second message or session. Before, both looked for the
// key's answer, found none, and each stored its own.
func TestConcurrentRetriesCreateOnce(t *testing.T) {
	const n = 4
	meet := &meetingKV{meeting: meeting{wait: 300 * time.Millisecond}}
	a, mem, clock, cfg := buildAPIOver(t, nil, func(m *kv.Memory) kv.KV { meet.Memory = m; return meet })
	e := &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	o := e.newOrg("A", originA)
	contact := e.contact(o, device1)
	session := e.newSession(o, contact, nil)["id"].(string)

	same := func(what string, send func() resp) []resp {
		t.Helper()
		meet.arm(n)
		defer meet.armed.Store(false)
		out := make([]resp, n)
		var wg sync.WaitGroup
		for i := range out {
			wg.Go(func() { out[i] = send() })
		}
		wg.Wait()
		for i, r := range out {
			if r.Status != 201 || r.Raw != out[0].Raw {
				t.Errorf("%s %d: %d %s, the first answered %s", what, i, r.Status, r.Raw, out[0].Raw)
			}
		}
		return out
	}
	path := "/v1/widget/sessions/" + session + "/messages"
	same("widget message", func() resp {
		return e.widget(o, contact, "POST", path, map[string]any{"content": "hello"}, "Idempotency-Key", "m-1")
	})
	same("agent message", func() resp {
		return e.server(o, "POST", "/v1/sessions/"+session+"/messages", map[string]any{"content": "hi"}, "Idempotency-Key", "a-1")
	})
	if msgs := messagesOf(t, e, o, session); len(msgs) != 2 {
		t.Errorf("%d messages stored, want one of each", len(msgs))
	}
	same("session", func() resp {
		return e.widget(o, contact, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "s-1")
	})
	if ids := listIDs(t, e.widget(o, contact, "GET", "/v1/widget/sessions", nil)); len(ids) != 2 {
		t.Errorf("%d sessions listed, want the first and the one retried", len(ids))
	}
}
