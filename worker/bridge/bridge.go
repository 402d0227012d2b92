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
// runtime context's binding and signals readiness with workers.Ready. syumai/workers still provides the assets
// (wasm_exec.js, runtime.mjs), the ready signal and the env bindings, which
// belong to the isolate and stay valid across its requests.
//
// Each request runs in its own goroutine with its own context; nothing about
// a request is kept in package state. A panic in a handler answers that
// request with a 500 and leaves the instance serving.
package bridge

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/chatwidget/identity/internal/httpx"
)

// MaxBodyBytes is how much of a request body the bridge reads; a handler
// that refuses larger bodies sees one byte more than it accepts.
const MaxBodyBytes = 1 << 20

var (
	jsPromise    = js.Global().Get("Promise")
	jsResponse   = js.Global().Get("Response")
	jsHeaders    = js.Global().Get("Headers")
	jsUint8Array = js.Global().Get("Uint8Array")
	jsObject     = js.Global().Get("Object")
	jsError      = js.Global().Get("Error")
)

// Register sets target.handleRequest to a function that serves one JS
// Request with h and returns a Promise of the JS Response.
func Register(target js.Value, h httpx.Handler) {
	target.Set("handleRequest", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 1 {
			return jsPromise.Call("reject", jsError.New("handleRequest: no request"))
		}
		req := args[0]
		var executor js.Func
		executor = js.FuncOf(func(_ js.Value, p []js.Value) any {
			executor.Release()
			resolve, reject := p[0], p[1]
			go func() {
				res, err := serve(h, req)
				if err != nil {
					reject.Invoke(jsError.New(err.Error()))
					return
				}
				resolve.Invoke(res)
			}()
			return nil
		})
		return jsPromise.New(executor)
	}))
}

// serve converts req, runs h and converts the answer.
func serve(h httpx.Handler, jsReq js.Value) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			// A failure converting the request or response: answer it alone.
			res, err = internalError(fmt.Sprint(r)), nil
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := toRequest(ctx, jsReq)
	if err != nil {
		return internalError(err.Error()), nil
	}
	w := newRecorder()
	func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Printf("bridge: panic serving %s %s: %v\n", r.Method, r.URL.Path, p)
				w = newRecorder()
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(httpx.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"error":{"code":"internal","message":"Something went wrong on our side; retry later."}}`))
			}
		}()
		h.Serve(w, r)
	}()
	return w.toJS(r.Method), nil
}

func internalError(detail string) js.Value {
	fmt.Printf("bridge: %s\n", detail)
	init := jsObject.New()
	init.Set("status", httpx.StatusInternalServerError)
	hdr := jsHeaders.New()
	hdr.Call("set", "Content-Type", "application/json; charset=utf-8")
	init.Set("headers", hdr)
	return jsResponse.New(`{"error":{"code":"internal","message":"Something went wrong on our side; retry later."}}`, init)
}

// toRequest converts a JS Request, reading at most MaxBodyBytes+1 of its body.
func toRequest(ctx context.Context, req js.Value) (*httpx.Request, error) {
	u, err := url.Parse(req.Get("url").String())
	if err != nil {
		return nil, fmt.Errorf("bridge: request url: %w", err)
	}
	header := httpx.Header{}
	it := req.Get("headers").Call("entries")
	for {
		next := it.Call("next")
		if next.Get("done").Bool() {
			break
		}
		kv := next.Get("value")
		// Headers joins repeated values with ", " (Set-Cookie aside).
		header.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	method := req.Get("method").String()
	var body []byte
	if b := req.Get("body"); !b.IsNull() && !b.IsUndefined() {
		if body, err = readStream(ctx, b, MaxBodyBytes+1); err != nil {
			return nil, err
		}
	}
	r, err := httpx.NewRequest(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("bridge: request: %w", err)
	}
	r.Header = header
	r.Host = u.Host
	switch cl, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); {
	case len(body) <= MaxBodyBytes:
		r.ContentLength = int64(len(body)) // read whole
	case err == nil:
		r.ContentLength = cl
	default:
		r.ContentLength = -1
	}
	r.RemoteAddr = header.Get("Cf-Connecting-Ip")
	return r, nil
}

// readStream reads a ReadableStream into memory, stopping after max bytes.
func readStream(ctx context.Context, stream js.Value, max int) ([]byte, error) {
	reader := stream.Call("getReader")
	var buf []byte
	for len(buf) < max {
		chunk, err := await(ctx, reader.Call("read"))
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

// recorder buffers a handler's answer.
type recorder struct {
	header httpx.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: httpx.Header{}} }

func (w *recorder) Header() httpx.Header { return w.header }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = httpx.StatusOK
	}
	return w.body.Write(b)
}

func (w *recorder) toJS(method string) js.Value {
	if w.status == 0 {
		w.status = httpx.StatusOK
	}
	hdr := jsHeaders.New()
	for k, vs := range w.header {
		for _, v := range vs {
			hdr.Call("append", k, v)
		}
	}
	init := jsObject.New()
	init.Set("status", w.status)
	init.Set("headers", hdr)
	body := js.Null()
	noBody := w.status == 101 || w.status == 204 || w.status == 205 || w.status == 304 || strings.EqualFold(method, httpx.MethodHead)
	if !noBody && w.body.Len() > 0 {
		u := jsUint8Array.New(w.body.Len())
		js.CopyBytesToJS(u, w.body.Bytes())
		body = u
	}
	return jsResponse.New(body, init)
}
