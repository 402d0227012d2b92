//go:build js && wasm

package bridge

import (
	"context"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/worker/jscall"
)

// jsMessage makes a message as the Workers runtime hands one to queue():
// ack() and retry({delaySeconds}) record themselves in log.
var jsMessage = js.Global().Get("Function").New(`return (id, body, attempts, log) => ({
	id, body, attempts, timestamp: new Date(),
	ack() { log.push(id + ":ack"); },
	retry(o) { log.push(id + ":retry:" + (o ? o.delaySeconds : "none")); },
})`).Invoke()

// A batch goes through glue.js's goBridgeQueue to the Consumer and each
// message gets its own outcome: ack, retry with its delay in seconds, a
// dead letter that nobody carried out retried after the longest delay; text,
// bytes and JSON bodies alike reach Go as text.
func TestHandleQueue(t *testing.T) {
	mux := queue.NewMux(4, nil)
	mux.Handle("echo", queue.HandlerFunc(func(_ context.Context, m queue.Message) queue.Outcome {
		switch string(m.Body) {
		case `"ok"`:
			return queue.Ack()
		case `"later"`:
			return queue.Retry(time.Duration(m.Attempts) * 1500 * time.Millisecond)
		case `"never"`:
			return queue.DeadLetter()
		}
		return queue.Retry(7 * time.Second)
	}))
	target := js.Global().Get("Object").New()
	RegisterQueue(target, mux)

	log := js.Global().Get("Array").New()
	msgs := js.Global().Get("Array").New()
	enc := func(data string) string { return `{"kind":"echo","data":` + data + `}` }
	msgs.Call("push", jsMessage.Invoke("m1", enc(`"ok"`), 1, log))
	msgs.Call("push", jsMessage.Invoke("m2", enc(`"later"`), 2, log))
	msgs.Call("push", jsMessage.Invoke("m3", jscall.BytesToJS([]byte(enc(`"ok"`))), 1, log))
	msgs.Call("push", jsMessage.Invoke("m4", js.Global().Get("JSON").Call("parse", enc(`"never"`)), 1, log))
	msgs.Call("push", jsMessage.Invoke("m5", enc(`"other"`), 1, log))
	msgs.Call("push", jsMessage.Invoke("m6", "not an envelope", 1, log))
	batch := js.Global().Get("Object").New()
	batch.Set("messages", msgs)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := jscall.Await(ctx, js.Global().Get("goBridgeQueue").Invoke(target, batch)); err != nil {
		t.Fatal(err)
	}
	got := js.Global().Get("Array").Get("prototype").Get("join").Call("call", log, " ").String()
	want := "m1:ack m2:retry:3 m3:ack m4:retry:43200 m5:retry:7 m6:ack"
	if got != want {
		t.Errorf("outcomes applied %q, want %q", got, want)
	}
}

// A Consumer that panics gets the whole batch retried, and the instance
// goes on.
func TestHandleQueuePanic(t *testing.T) {
	target := js.Global().Get("Object").New()
	RegisterQueue(target, consumerFunc(func(context.Context, []queue.Message) []queue.Outcome { panic("boom") }))
	log := js.Global().Get("Array").New()
	msgs := js.Global().Get("Array").New()
	msgs.Call("push", jsMessage.Invoke("a", "x", 1, log))
	msgs.Call("push", jsMessage.Invoke("b", "y", 1, log))
	batch := js.Global().Get("Object").New()
	batch.Set("messages", msgs)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := jscall.Await(ctx, js.Global().Get("goBridgeQueue").Invoke(target, batch)); err != nil {
		t.Fatal(err)
	}
	got := js.Global().Get("Array").Get("prototype").Get("join").Call("call", log, " ").String()
	if got != "a:retry:60 b:retry:60" {
		t.Errorf("after a panic: %q", got)
	}
}

func TestOutcomeLine(t *testing.T) {
	got := OutcomeLine([]queue.Outcome{queue.Ack(), queue.Retry(time.Second), queue.Retry(0)}, 4)
	if got != "-1,1,0,0" {
		t.Errorf("OutcomeLine = %q", got)
	}
	if !strings.HasPrefix(OutcomeLine(nil, 1), "0") {
		t.Error("a missing outcome is not a retry")
	}
}

type consumerFunc func(context.Context, []queue.Message) []queue.Outcome

func (f consumerFunc) Consume(ctx context.Context, b []queue.Message) []queue.Outcome {
	return f(ctx, b)
}
