//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/widget"
)

// requestTimeout bounds one fetch; the client's retries come on top.
const requestTimeout = 20 * time.Second

// fetchTransport is widget.Transport over the browser's fetch: CORS, no
// cookies, no cache. It asks through the host's fetch when there is one.
type fetchTransport struct{ h host }

func (t fetchTransport) Do(ctx context.Context, r *widget.Request) (resp *widget.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, errors.New("fetch threw an exception")
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()

	headers := object()
	for k, v := range r.Header {
		headers.Set(k, v)
	}
	init := object()
	init.Set("method", r.Method)
	init.Set("headers", headers)
	init.Set("mode", "cors")
	init.Set("credentials", "omit")
	init.Set("cache", "no-store")
	if r.Body != nil {
		init.Set("body", string(r.Body))
	}
	abort := construct("AbortController")
	init.Set("signal", abort.Get("signal"))
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()

	if !t.h.fetch.IsUndefined() {
		res, err := await(ctx, t.h, t.h.fetch.Invoke(r.URL, init))
		if err != nil {
			return nil, err
		}
		return &widget.Response{
			Status:     res.Get("status").Int(),
			RetryAfter: prop(res, "retryAfter"),
			Body:       []byte(prop(res, "body")),
		}, nil
	}
	res, err := await(ctx, t.h, js.Global().Call("fetch", r.URL, init))
	if err != nil {
		return nil, err
	}
	out := &widget.Response{Status: res.Get("status").Int()}
	// Retry-After is readable cross-origin only when the worker lists it in
	// Access-Control-Expose-Headers.
	ra := res.Get("headers").Call("get", "Retry-After")
	if ra.Type() == js.TypeString {
		out.RetryAfter = ra.String()
	}
	text, err := await(ctx, t.h, res.Call("text"))
	if err != nil {
		return nil, err
	}
	out.Body = []byte(text.String())
	return out, nil
}
