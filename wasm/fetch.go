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
	var s scope
	defer s.end()

	headers := s.keep(object())
	for k, v := range r.Header {
		headers.Set(k, s.str(v))
	}
	init := s.keep(object())
	init.Set("method", s.str(r.Method))
	init.Set("headers", headers)
	init.Set("mode", s.str("cors"))
	init.Set("credentials", s.str("omit"))
	init.Set("cache", s.str("no-store"))
	if r.Body != nil {
		init.Set("body", s.str(string(r.Body)))
	}
	abort := construct("AbortController")
	init.Set("signal", s.keep(abort.Get("signal")))
	stop := context.AfterFunc(ctx, func() {
		free(abort.Call("abort"), abort)
	})
	defer func() {
		if stop() { // else the AfterFunc has begun, and frees abort
			free(abort)
		}
	}()

	if !t.h.fetch.IsUndefined() {
		res, err := await(ctx, t.h, s.keep(t.h.fetch.Invoke(s.str(r.URL), init)))
		if err != nil {
			return nil, err
		}
		s.keep(res)
		return &widget.Response{
			Status:     res.Get("status").Int(),
			RetryAfter: prop(res, "retryAfter"),
			Body:       []byte(prop(res, "body")),
		}, nil
	}
	res, err := await(ctx, t.h, s.keep(js.Global().Call("fetch", s.str(r.URL), init)))
	if err != nil {
		return nil, err
	}
	s.keep(res)
	out := &widget.Response{Status: res.Get("status").Int()}
	// Retry-After is readable cross-origin only when the worker lists it in
	// Access-Control-Expose-Headers.
	ra := s.keep(s.keep(res.Get("headers")).Call("get", s.str("Retry-After")))
	if ra.Type() == js.TypeString {
		out.RetryAfter = ra.String()
	}
	text, err := await(ctx, t.h, s.keep(res.Call("text")))
	if err != nil {
		return nil, err
	}
	out.Body = []byte(s.keep(text).String())
	return out, nil
}
