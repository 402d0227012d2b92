//go:build !tinygo

// TinyGo cannot recover on WebAssembly: there a handler's panic traps the
// instance, and the platform delivers the batch again (worker/runtime).
// Under Go's compiler the Mux catches it.

package queue_test

import (
	"context"
	"sync"
	"testing"

	"github.com/chatwidget/identity/internal/queue"
)

// A handler that panics has its message retried in a minute and logged; the
// rest of the batch is answered as if nothing happened.
func TestMuxRetriesAMessageWhoseHandlerPanics(t *testing.T) {
	var logs []string
	var mu sync.Mutex
	m := queue.NewMux(2, func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, f)
	})
	m.Handle("a", queue.HandlerFunc(func(context.Context, queue.Message) queue.Outcome { return queue.Ack() }))
	m.Handle("boom", queue.HandlerFunc(func(context.Context, queue.Message) queue.Outcome { panic("boom") }))
	enc := func(kind string, n int) []byte { b, _ := queue.Encode(kind, job{n}); return b }
	batch := []queue.Message{
		{ID: "1", Body: enc("a", 1), Attempts: 1},
		{ID: "5", Body: enc("boom", 5), Attempts: 1},
		{ID: "6", Body: enc("a", 6), Attempts: 2},
	}
	out := m.Consume(context.Background(), batch)
	want := []string{"ack", "retry(1m0s)", "ack"}
	if len(out) != len(want) {
		t.Fatalf("%d outcomes for %d messages", len(out), len(batch))
	}
	for i, o := range out {
		if o.String() != want[i] {
			t.Errorf("message %s: %v, want %s", batch[i].ID, o, want[i])
		}
	}
	if len(logs) != 1 {
		t.Errorf("logged %d lines, want 1 (the panic): %q", len(logs), logs)
	}
}
