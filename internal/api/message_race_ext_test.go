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

// lateSummary, once armed, holds the first put of a session's record (its
// key in the org's listing) until a second one is done (or 300 ms have
// passed), and tells of the first message stored: a post whose summary put
// comes after that of a post accepted later.
type lateSummary struct {
	*kv.Memory
	armed  atomic.Bool
	mu     sync.Mutex
	puts   int
	second chan struct{}
	stored chan struct{}
	told   bool
}

func (l *lateSummary) Put(ctx context.Context, key string, v []byte, o kv.PutOptions) error {
	if !l.armed.Load() {
		return l.Memory.Put(ctx, key, v, o)
	}
	switch {
	case strings.HasPrefix(key, "msg/"):
		err := l.Memory.Put(ctx, key, v, o)
		l.mu.Lock()
		if !l.told {
			l.told = true
			close(l.stored)
		}
		l.mu.Unlock()
		return err
	case strings.HasPrefix(key, "sessions/"):
		l.mu.Lock()
		l.puts++
		n := l.puts
		l.mu.Unlock()
		if n == 1 {
			select {
			case <-l.second:
			case <-time.After(300 * time.Millisecond):
			}
		}
		err := l.Memory.Put(ctx, key, v, o)
		if n == 2 {
			close(l.second)
		}
		return err
	}
	return l.Memory.Put(ctx, key, v, o)
}

// TestMessagesAtOnceShowTheNewest: a visitor's message and an agent's sent
// at once to one session, the agent's accepted second. Before, the
// visitor's summary put came last and the org's listing and session view
// kept "first" as last_message, with its older updated_at.
func TestMessagesAtOnceShowTheNewest(t *testing.T) {
	l := &lateSummary{second: make(chan struct{}), stored: make(chan struct{})}
	a, mem, clock, cfg := buildAPIOver(t, nil, func(m *kv.Memory) kv.KV { l.Memory = m; return l })
	e := &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	o := e.newOrg("A", originA)
	c := e.contact(o, device1)
	s := e.newSession(o, c, nil)["id"].(string)
	l.armed.Store(true)
	var wg sync.WaitGroup
	var first, second resp
	wg.Go(func() {
		first = e.widget(o, c, "POST", "/v1/widget/sessions/"+s+"/messages", map[string]any{"content": "first"})
	})
	<-l.stored
	clock.Advance(time.Second)
	wg.Go(func() {
		second = e.server(o, "POST", "/v1/sessions/"+s+"/messages", map[string]any{"content": "second"})
	})
	wg.Wait()
	l.armed.Store(false)
	if first.Status != 201 || second.Status != 201 {
		t.Fatalf("posts: %d %s / %d %s", first.Status, first.Raw, second.Status, second.Raw)
	}
	newest := second.Body["message"].(map[string]any)
	check := func(what string, sess map[string]any) {
		t.Helper()
		lm, _ := sess["last_message"].(map[string]any)
		if lm["id"] != newest["id"] || sess["updated_at"] != newest["created_at"] {
			t.Errorf("%s: last_message %v, updated_at %v; want %v at %v", what, lm["content"], sess["updated_at"], newest["content"], newest["created_at"])
		}
	}
	for what, r := range map[string]resp{
		"widget listing": e.widget(o, c, "GET", "/v1/widget/sessions", nil),
		"org listing":    e.server(o, "GET", "/v1/sessions", nil),
	} {
		items, _ := r.Body["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("%s: %d %s", what, r.Status, r.Raw)
		}
		check(what, items[0].(map[string]any))
	}
	r := e.server(o, "GET", "/v1/sessions/"+s, nil)
	sess, _ := r.Body["session"].(map[string]any)
	check("org session view", sess)
}
