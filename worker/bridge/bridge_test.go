//go:build js && wasm

package bridge

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/worker/jscall"

	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

// These tests run under Node (GOOS=js GOARCH=wasm go test), whose Request,
// Response and Headers are the same web APIs workerd has.

func handler() httpx.Handler {
	var mux httpx.Router
	handle := func(pattern string, f func(w httpx.ResponseWriter, r *httpx.Request)) {
		mux.Handle(pattern, httpx.HandlerFunc(f))
	}
	handle("POST /echo", func(w httpx.ResponseWriter, r *httpx.Request) {
		b, _ := io.ReadAll(r.Body)
		time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		w.Header().Set("X-Echo", r.Header.Get("X-Id"))
		w.WriteHeader(201)
		fmt.Fprintf(w, "%s|%s|%d", r.URL.Query().Get("n"), b, r.ContentLength)
	})
	handle("GET /panic", func(w httpx.ResponseWriter, r *httpx.Request) {
		panic("boom")
	})
	handle("GET /empty", func(w httpx.ResponseWriter, r *httpx.Request) {
		w.WriteHeader(204)
	})
	handle("GET /badheader", func(w httpx.ResponseWriter, r *httpx.Request) {
		w.Header().Set("X-Bad", "a\nb")
		w.WriteHeader(200)
	})
	handle("POST /size", func(w httpx.ResponseWriter, r *httpx.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprint(w, len(b))
	})
	return httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
		m := mux.Match(r.Method, r.URL.EscapedPath())
		if m.Handler == nil {
			w.WriteHeader(404)
			return
		}
		m.Serve(w, r)
	})
}

// mjsFetch is worker.mjs's fetch once the Go instance runs.
var mjsFetch = func() js.Value {
	gluetest.Load()
	return js.Global().Get("goBridgeFetch")
}()

// modes are the ways to call handleRequest: the one worker.mjs uses
// (through glue.js's goBridgeFetch).
var modes = []string{"worker.mjs"}

func newTargetFor(h httpx.Handler, _ string) js.Value {
	target := js.Global().Get("Object").New()
	Register(target, h)
	target.Set("fetch", mjsFetch.Call("bind", nil, target))
	return target
}

// serveJS sends req through target as worker.mjs does.
func serveJS(target, req js.Value) js.Value { return target.Get("fetch").Invoke(req) }

func newTarget(t *testing.T, mode string) js.Value {
	t.Helper()
	return newTargetFor(handler(), mode)
}

type answer struct {
	status int
	header string
	body   string
}

func call(t *testing.T, target js.Value, method, url, body string, headers map[string]string) answer {
	t.Helper()
	init := js.Global().Get("Object").New()
	init.Set("method", method)
	h := jsHeaders.New()
	for k, v := range headers {
		h.Call("set", k, v)
	}
	init.Set("headers", h)
	if body != "" {
		init.Set("body", body)
	}
	req := js.Global().Get("Request").New(url, init)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := jscall.Await(ctx, serveJS(target, req))
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	text, err := jscall.Await(ctx, res.Call("text"))
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return answer{status: res.Get("status").Int(), header: res.Get("headers").Call("get", "X-Echo").String(), body: text.String()}
}

func TestConcurrentRequestsKeepTheirOwnState(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			target := newTarget(t, mode)
			const n = 64
			var wg sync.WaitGroup
			errs := make(chan string, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("req-%d", i)
					hdr := map[string]string{"X-Id": id}
					if i%2 == 0 {
						hdr["Content-Length"] = fmt.Sprint(len("body-" + id))
					}
					a := call(t, target, "POST", fmt.Sprintf("https://w.example/echo?n=%d", i), "body-"+id, hdr)
					want := fmt.Sprintf("%d|body-%s|%d", i, id, len("body-"+id))
					if a.status != 201 || a.header != id || a.body != want {
						errs <- fmt.Sprintf("request %d got %d %q %q, want 201 %q %q", i, a.status, a.header, a.body, id, want)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
	}
}

func TestPanicAnswers500AndInstanceKeepsServing(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			target := newTarget(t, mode)
			a := call(t, target, "GET", "https://w.example/panic", "", nil)
			if a.status != 500 || !strings.Contains(a.body, `"internal"`) {
				t.Fatalf("panic: got %d %q", a.status, a.body)
			}
			for i := range 3 {
				a = call(t, target, "POST", "https://w.example/echo?n=1", "x", map[string]string{"X-Id": "after"})
				if a.status != 201 || a.header != "after" {
					t.Fatalf("request %d after panic: %d %q", i, a.status, a.body)
				}
			}
		})
	}
}

func TestNoBodyStatus(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			target := newTarget(t, mode)
			if a := call(t, target, "GET", "https://w.example/empty", "", nil); a.status != 204 || a.body != "" {
				t.Fatalf("got %d %q", a.status, a.body)
			}
		})
	}
}

func TestBodyReadIsCapped(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			target := newTarget(t, mode)
			big := strings.Repeat("a", MaxBodyBytes+5000)
			a := call(t, target, "POST", "https://w.example/size", big, nil)
			if a.status != 200 || a.body != fmt.Sprint(MaxBodyBytes+1) {
				t.Fatalf("got %d %q, want %d bytes read", a.status, a.body, MaxBodyBytes+1)
			}
		})
	}
}

func TestBadResponseHeaderAnswers500(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			target := newTarget(t, mode)
			if a := call(t, target, "GET", "https://w.example/badheader", "", nil); a.status != 500 {
				t.Fatalf("got %d %q, want 500", a.status, a.body)
			}
		})
	}
}

func TestDeclaredBodyLengths(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			target := newTarget(t, mode)
			for _, n := range []int{0, 1, MaxBodyBytes, MaxBodyBytes + 1, MaxBodyBytes + 5000} {
				want := min(n, MaxBodyBytes+1)
				a := call(t, target, "POST", "https://w.example/size", strings.Repeat("a", n), map[string]string{"Content-Length": fmt.Sprint(n)})
				if a.status != 200 || a.body != fmt.Sprint(want) {
					t.Fatalf("body of %d: got %d %q, want %d bytes read", n, a.status, a.body, want)
				}
			}
		})
	}
}
