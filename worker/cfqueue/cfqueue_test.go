//go:build js && wasm

package cfqueue

import (
	"context"
	"errors"
	"os"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

// fakeQueue is a Queue binding as the Workers runtime has one: send(body,
// opts) returns a promise; it records "body|contentType|delaySeconds".
var fakeQueue = js.Global().Get("Function").New(`return (log, fail) => ({
	send(body, opts) {
		if (fail) return Promise.reject(new Error("queue full"));
		log.push(body + "|" + opts.contentType + "|" + opts.delaySeconds);
		return Promise.resolve();
	},
})`).Invoke()

func TestSend(t *testing.T) {
	if _, err := New(js.Undefined()); !errors.Is(err, ErrNoBinding) {
		t.Errorf("New(undefined): %v", err)
	}
	log := js.Global().Get("Array").New()
	p, err := New(fakeQueue.Invoke(log, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := queue.Send(ctx, p, "k", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, []byte(`{"kind":"k"}`), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := log.Index(0).String(); got != `{"kind":"k","data":1}|text|undefined` {
		t.Errorf("sent %q", got)
	}
	if got := log.Index(1).String(); got != `{"kind":"k"}|text|2` {
		t.Errorf("sent %q", got)
	}
	if err := p.Send(ctx, make([]byte, queue.MaxBodyBytes+1), 0); !errors.Is(err, queue.ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
	failing, _ := New(fakeQueue.Invoke(log, true))
	if err := failing.Send(ctx, []byte("x"), 0); err == nil {
		t.Error("a refused send returned nil")
	}
}

// TestMain loads worker/runtime/glue.js, the file worker.mjs imports, whose
// awaiter every await goes through.
func TestMain(m *testing.M) {
	gluetest.Load()
	os.Exit(m.Run())
}
