//go:build js && wasm

// Package cfqueue is a queue.Producer over a Cloudflare Queue's producer
// binding (wrangler.toml's [[queues.producers]], e.g. env.JOBS): Send is the
// binding's send(body, {contentType: "text", delaySeconds}), the body sent as
// text so that a message reads as JSON in the dashboard and the dead-letter
// queue.
package cfqueue

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/worker/jscall"
)

// Producer sends to one Queue binding. Safe for concurrent use.
type Producer struct{ binding js.Value }

var _ queue.Producer = (*Producer)(nil)

// ErrNoBinding: the environment has no such Queue binding.
var ErrNoBinding = errors.New("cfqueue: no Queue binding")

// New returns the Producer of binding (env.NAME), or ErrNoBinding when it is
// not an object with a send method.
func New(binding js.Value) (*Producer, error) {
	if binding.Type() != js.TypeObject || binding.Get("send").Type() != js.TypeFunction {
		return nil, ErrNoBinding
	}
	return &Producer{binding: binding}, nil
}

var jsObject = js.Global().Get("Object")

// Send puts body on the queue, delivered after delay (whole seconds, up to
// queue.MaxDelay).
func (p *Producer) Send(ctx context.Context, body []byte, delay time.Duration) error {
	if len(body) > queue.MaxBodyBytes {
		return queue.ErrTooLarge
	}
	opts := jsObject.New()
	opts.Set("contentType", "text")
	if s := queue.Seconds(delay); s > 0 {
		opts.Set("delaySeconds", s)
	}
	pr, err := jscall.Call(p.binding, "send", string(body), opts)
	if err == nil {
		_, err = jscall.Await(ctx, pr)
	}
	if err != nil {
		return fmt.Errorf("cfqueue: send: %w", err)
	}
	return nil
}
