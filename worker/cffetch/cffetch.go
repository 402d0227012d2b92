//go:build js && wasm

// Package cffetch is an outbound.Doer over the runtime's fetch: one Go→JS
// call a request through glue.js's goFetchAwaiter, which sends it with
// redirect: "manual" and AbortSignal.timeout, discards the answer's body and
// reports its status.
package cffetch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/chatwidget/identity/internal/outbound"
	"github.com/chatwidget/identity/worker/jscall"
)

// AwaiterGlobal is the function glue.js defines for this package.
const AwaiterGlobal = "goFetchAwaiter"

// ErrNoGlue: glue.js (goFetchAwaiter) is not loaded.
var ErrNoGlue = errors.New("cffetch: glue.js's " + AwaiterGlobal + " is not defined")

// Doer fetches through the runtime. Safe for concurrent use.
type Doer struct{ a *jscall.Awaiter }

var _ outbound.Doer = (*Doer)(nil)

// New returns the Doer, or ErrNoGlue.
func New() (*Doer, error) {
	a := jscall.NewAwaiter(AwaiterGlobal)
	if a == nil {
		return nil, ErrNoGlue
	}
	return &Doer{a: a}, nil
}

// Do sends r and returns the status it was answered with.
func (d *Doer) Do(ctx context.Context, r outbound.Request) (outbound.Response, error) {
	var head strings.Builder
	for _, h := range r.Header {
		if strings.ContainsAny(h[0], ":\r\n") || strings.ContainsAny(h[1], "\r\n") {
			return outbound.Response{}, fmt.Errorf("cffetch: header %q cannot be sent", h[0])
		}
		head.WriteString(h[0])
		head.WriteString(": ")
		head.WriteString(h[1])
		head.WriteByte('\n')
	}
	body := js.Null()
	if r.Body != nil {
		body = jscall.BytesToJS(r.Body)
	}
	v, err := d.a.Call(ctx, outbound.MethodOf(r), r.URL, head.String(), body, outbound.TimeoutOf(r).Milliseconds())
	if err != nil {
		if strings.HasPrefix(err.Error(), "TimeoutError") {
			return outbound.Response{}, fmt.Errorf("%w: %v", outbound.ErrTimeout, err)
		}
		return outbound.Response{}, fmt.Errorf("cffetch: %w", err)
	}
	if v.Type() != js.TypeNumber {
		return outbound.Response{}, errors.New("cffetch: no status")
	}
	return outbound.Response{Status: v.Int()}, nil
}
