//go:build js && wasm

package gocost

import (
	"errors"
	"strconv"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/worker/bridge"
	"github.com/chatwidget/identity/worker/cfkv"
	"github.com/chatwidget/identity/worker/webcrypto"

	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

// instantNamespace is a Workers KV namespace in JavaScript whose calls settle
// on the next turn of Node's event loop (setImmediate), as I/O would, with no
// latency of its own: what the Go worker does around KV, nothing else.
const instantNamespace = `
const items = new Map();
const later = (f) => new Promise((resolve, reject) => setImmediate(() => { try { resolve(f()); } catch (e) { reject(e); } }));
return {
  get(key, opts) { return later(() => { const it = items.get(key); return it ? it.value.buffer.slice(0) : null; }); },
  put(key, value, opts) { return later(() => { items.set(key, { value: new Uint8Array(value), metadata: opts && opts.metadata !== undefined ? structuredClone(opts.metadata) : undefined }); }); },
  delete(key) { return later(() => { items.delete(key); }); },
  list(opts) {
    return later(() => {
      const prefix = opts.prefix || "";
      const names = [...items.keys()].filter((k) => k.startsWith(prefix)).sort().slice(0, opts.limit);
      return { keys: names.map((name) => { const k = { name }; const m = items.get(name).metadata; if (m !== undefined) k.metadata = m; return k; }), list_complete: true, cacheStatus: null };
    });
  },
};
`

// fetch is worker.mjs's fetch once the Go instance runs; loading glue.js
// also defines the awaiter, before cfkv first awaits.
var fetch = func() js.Value {
	gluetest.Load()
	return js.Global().Get("goBridgeFetch")
}()

// stack is the whole Go worker as worker/main.go builds it (bridge, api,
// cfkv) over instantNamespace, called as worker.mjs calls it, with a JS
// Request.
type stack struct {
	target js.Value
	f      *fixture // the same org and principals, made through the stack
}

func await(p js.Value) (js.Value, error) {
	ch := make(chan js.Value, 1)
	errc := make(chan error, 1)
	var ok, ko js.Func
	ok = js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- a[0]; return nil })
	ko = js.FuncOf(func(_ js.Value, a []js.Value) any {
		errc <- errors.New(js.Global().Get("String").Invoke(a[0]).String())
		return nil
	})
	defer ok.Release()
	defer ko.Release()
	p.Call("then", ok, ko)
	select {
	case v := <-ch:
		return v, nil
	case err := <-errc:
		return js.Value{}, err
	case <-time.After(30 * time.Second):
		return js.Value{}, errors.New("timeout")
	}
}

// do sends a request through handleRequest and returns the status and body.
func (s *stack) do(tb testing.TB, method, path string, hdr map[string]string, body string, want int) string {
	init := js.Global().Get("Object").New()
	init.Set("method", method)
	h := js.Global().Get("Headers").New()
	for k, v := range hdr {
		h.Call("set", k, v)
	}
	if body != "" {
		h.Call("set", "Content-Type", "application/json")
		h.Call("set", "Content-Length", strconv.Itoa(len(body))) // as workerd sets it
		init.Set("body", body)
	}
	init.Set("headers", h)
	req := js.Global().Get("Request").New("https://worker.bench.example"+path, init)
	res, err := await(fetch.Invoke(s.target, req))
	if err != nil {
		tb.Fatal(err)
	}
	text, err := await(res.Call("text"))
	if err != nil {
		tb.Fatal(err)
	}
	if st := res.Get("status").Int(); st != want {
		tb.Fatalf("%s %s: %d %s, want %d", method, path, st, text.String(), want)
	}
	return text.String()
}

func newStack(tb testing.TB) *stack {
	spec, err := token.GenerateKeySpec("gocost-1")
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "http://127.0.0.1:1", ContactTokenTTL: 7 * 24 * time.Hour}
	ns := js.Global().Get("Function").New(instantNamespace).Invoke()
	engine, err := webcrypto.New()
	if err != nil {
		tb.Fatal(err)
	}
	a, err := api.New(cfkv.New(ns), cfg, api.WithTokenEngine(engine))
	if err != nil {
		tb.Fatal(err)
	}
	target := js.Global().Get("Object").New()
	bridge.Register(target, a)
	s := &stack{target: target}
	// The fixture's setup, through the stack.
	s.f = setupThrough(tb, func(method, path string, hdr map[string]string, body string, want int) []byte {
		return []byte(s.do(tb, method, path, hdr, body, want))
	})
	return s
}

// BenchmarkStack serves the routes of BenchmarkRoute through the bridge and
// cfkv, as in the worker; the difference to BenchmarkRoute is what the
// bridge, the KV binding and the awaits cost.
func BenchmarkStack(b *testing.B) {
	s := newStack(b)
	for _, rt := range routesOf(s.f) {
		b.Run(rt.name, func(b *testing.B) {
			warmUp(func(i int) {
				method, path, hdr, body, want := rt.req(i)
				s.do(b, method, path, hdr, body, want)
			})
			for i := 0; b.Loop(); i++ {
				method, path, hdr, body, want := rt.req(i)
				s.do(b, method, path, hdr, body, want)
			}
		})
	}
}

// BenchmarkAwait is one round trip Go → JS promise → Go, as every KV call
// makes: a promise that settles on the next turn of the event loop.
func BenchmarkAwait(b *testing.B) {
	later := js.Global().Get("Function").New(`return () => new Promise((r) => setImmediate(() => r(1)));`).Invoke()
	warmUp(func(int) { _, _ = await(later.Invoke()) })
	for b.Loop() {
		if _, err := await(later.Invoke()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenWebCrypto is BenchmarkToken with the worker's engine.
func BenchmarkTokenWebCrypto(b *testing.B) {
	spec, err := token.GenerateKeySpec("gocost-1")
	if err != nil {
		b.Fatal(err)
	}
	engine, err := webcrypto.New()
	if err != nil {
		b.Fatal(err)
	}
	ring, err := token.ParseKeyRing(spec, token.WithEngine(engine))
	if err != nil {
		b.Fatal(err)
	}
	benchTokens(b, token.NewService(ring, "http://127.0.0.1:1"))
}
