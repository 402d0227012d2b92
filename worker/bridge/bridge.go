//go:build js && wasm

// Package bridge serves every request of a Workers isolate from one
// long-lived Go instance.
//
// syumai/workers' generated worker.mjs starts a fresh Go program for every
// request (a new WebAssembly.Instance, go.run, wait for ready), which costs
// about 13 ms before the handler runs, and its handler closes a package-level
// channel after each response, so its instance cannot serve a second request.
// This package replaces only that part: worker/runtime/worker.mjs
// instantiates the module once per isolate and calls the function that
// Register sets for every request; worker/main.go registers it on the
// runtime context's binding and signals readiness through the "workers
// ready" import that worker.mjs provides. Of syumai/workers only
// workers-assets-gen's runtime.mjs remains; the worker uses none of its Go
// packages. The env bindings belong to the isolate and stay valid across
// its requests.
//
// Each request runs in a goroutine of its own (one that served an earlier
// request: conc.Go) with its own context; nothing about a request is
// kept in package state. Under Go's compiler a panic in a handler answers
// that request with a 500 and leaves the instance serving. Under TinyGo,
// which builds the worker and cannot recover on WebAssembly, a panic traps
// the instance: worker/runtime/worker.mjs then answers every request in
// flight with the same 500 (internalErrorBody) and serves the next from a
// fresh instance.
package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/worker/jscall"
)

var (
	jsPromise    = js.Global().Get("Promise")
	jsHeaders    = js.Global().Get("Headers")
	jsUint8Array = js.Global().Get("Uint8Array")
	jsError      = js.Global().Get("Error")
)

// Register sets target.handleRequest to a function that serves one JS
// Request with h.
//
// worker/runtime/worker.mjs calls it as
//
//	handleRequest(req, head, body, respond, reject)
//
// with head the method, URL and headers as one string ("METHOD URL\n" then
// "name: value\n" per header; neither can hold a newline), body the body as a
// Uint8Array when worker.mjs read it (null: no body; undefined: the bridge
// reads req.body, up to MaxBodyBytes+1), and respond(status, headers, body)
// the function that builds the JS Response, headers again as "name: value"
// lines and body a Uint8Array or null. It returns undefined and calls respond
// or reject once. This costs far fewer Go↔JS calls than converting the
// Request and Response field by field. glue.js is the one caller: any other
// call gets a rejected Promise.
func Register(target js.Value, h httpx.Handler) {
	// glue.js answers with it for the requests in flight when the instance
	// traps (worker/runtime/worker.mjs): the API's 500, written in one place.
	target.Set("internalErrorBody", internalBody)
	target.Set("handleRequest", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 1 {
			return jsPromise.Call("reject", jsError.New("handleRequest: no request"))
		}
		if len(args) < 5 || args[1].Type() != js.TypeString || args[3].Type() != js.TypeFunction {
			return jsPromise.Call("reject", jsError.New("handleRequest: not called as glue.js's goBridgeFetch calls it"))
		}
		req, head, body, respond, reject := args[0], args[1].String(), args[2], args[3], args[4]
		conc.Go(func() { serveLines(h, req, head, body, respond, reject) })
		return nil
	}))
}

// internalBody is the body of the bridge's own 500s: the API's.
var internalBody = string(api.InternalErrorBody)

// run runs h, answering a panic with a 500.
func run(h httpx.Handler, r *httpx.Request) *recorder {
	w := newRecorder()
	func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Printf("bridge: panic serving %s %s: %v\n", r.Method, r.URL.Path, p)
				w = newRecorder()
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(httpx.StatusInternalServerError)
				_, _ = w.Write([]byte(internalBody))
			}
		}()
		h.Serve(w, r)
	}()
	return w
}

// serveLines serves a request in worker.mjs's form and answers through
// respond (or, if even the answer to a failure fails, reject).
func serveLines(h httpx.Handler, jsReq js.Value, head string, body, respond, reject js.Value) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answer := func(f func()) (failure any) {
		defer func() { failure = recover() }()
		f()
		return nil
	}
	var w *recorder
	var method string
	if p := answer(func() {
		r, err := requestFromLines(ctx, jsReq, head, body)
		if err != nil {
			panic(err)
		}
		method = r.Method
		w = run(h, r)
	}); p != nil {
		w, method = nil, ""
		fmt.Printf("bridge: %v\n", p)
	}
	if w != nil {
		p := answer(func() {
			lines, ok := w.headerLines()
			if !ok {
				panic("response header name or value holds a newline or colon")
			}
			respond.Invoke(w.Status, lines, w.bodyJS(method))
		})
		if p == nil {
			return
		}
		fmt.Printf("bridge: %v\n", p)
	}
	if p := answer(func() {
		u := jsUint8Array.New(len(internalBody))
		js.CopyBytesToJS(u, []byte(internalBody))
		respond.Invoke(httpx.StatusInternalServerError, "content-type: application/json; charset=utf-8\n", u)
	}); p != nil {
		reject.Invoke(jsError.New(fmt.Sprint(p)))
	}
}

// requestFromLines converts a request in worker.mjs's form: head holds the
// method, URL and headers; body is the body read (a Uint8Array), null for
// none, or undefined for the bridge to read from jsReq.
func requestFromLines(ctx context.Context, jsReq js.Value, head string, body js.Value) (*httpx.Request, error) {
	method, rawURL, header, err := parseHead(head)
	if err != nil {
		return nil, err
	}
	var b []byte
	switch {
	case body.Type() == js.TypeObject && !body.IsNull():
		n := body.Get("length").Int()
		b = make([]byte, n)
		js.CopyBytesToGo(b, body)
		if len(b) > MaxBodyBytes+1 {
			b = b[:MaxBodyBytes+1]
		}
	case body.IsUndefined() && method != httpx.MethodGet && method != httpx.MethodHead:
		var err error
		if b, err = readBody(ctx, jsReq, header, MaxBodyBytes+1); err != nil {
			return nil, err
		}
	}
	return newRequest(ctx, method, rawURL, header, b), nil
}

// readBody reads req's body, at most max bytes: with one arrayBuffer() when
// its Content-Length is known and below max, else through a stream reader.
func readBody(ctx context.Context, req js.Value, header httpx.Header, max int) ([]byte, error) {
	b := req.Get("body")
	if b.IsNull() || b.IsUndefined() {
		return nil, nil
	}
	if cl, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && cl >= 0 && cl < int64(max) {
		buf, err := jscall.Await(ctx, req.Call("arrayBuffer"))
		if err != nil {
			return nil, fmt.Errorf("bridge: reading body: %w", err)
		}
		u := jsUint8Array.New(buf)
		out := make([]byte, u.Get("length").Int())
		js.CopyBytesToGo(out, u)
		if len(out) > max {
			out = out[:max]
		}
		return out, nil
	}
	return readStream(ctx, b, max)
}

// readStream reads a ReadableStream into memory, stopping after max bytes.
func readStream(ctx context.Context, stream js.Value, max int) ([]byte, error) {
	reader := stream.Call("getReader")
	var buf []byte
	for len(buf) < max {
		chunk, err := jscall.Await(ctx, reader.Call("read"))
		if err != nil {
			return nil, fmt.Errorf("bridge: reading body: %w", err)
		}
		if chunk.Get("done").Bool() {
			return buf, nil
		}
		v := chunk.Get("value")
		n := v.Get("length").Int()
		start := len(buf)
		buf = append(buf, make([]byte, n)...)
		js.CopyBytesToGo(buf[start:], v)
	}
	reader.Call("cancel")
	return buf[:max], nil
}

// bodyJS is the body as a Uint8Array, or null when there is none or the
// status or method allows none.
func (w *recorder) bodyJS(method string) js.Value {
	w.Status = w.StatusOrOK()
	noBody := w.Status == 101 || w.Status == 204 || w.Status == 205 || w.Status == 304 || strings.EqualFold(method, httpx.MethodHead)
	if noBody || w.Body.Len() == 0 {
		return js.Null()
	}
	u := jsUint8Array.New(w.Body.Len())
	js.CopyBytesToJS(u, w.Body.Bytes())
	return u
}
