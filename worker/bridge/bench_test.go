//go:build js && wasm

package bridge

import (
	"context"
	"io"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/worker/jscall"
)

// benchHandler answers like an API route: reads the body, sets a few
// headers, writes a small JSON body.
var benchHandler = httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
	b, _ := io.ReadAll(r.Body)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
	h.Set("Vary", "Origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	_, _ = w.Write([]byte(`{"ok":true,"n":` + string(rune('0'+len(b)%10)) + `,"items":[` + strings.Repeat(`{"id":"0123456789abcdef","v":1},`, 8) + `{}]}`))
})

var benchHeaders = map[string]string{
	"Origin":            "https://shop.bench.example",
	"Authorization":     "Bearer eyJhbGciOiJFZERTQSIsImtpZCI6ImdvY29zdC0xIn0.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
	"Accept":            "application/json",
	"Accept-Encoding":   "gzip, br",
	"User-Agent":        "Mozilla/5.0 (X11; Linux x86_64) bench",
	"Cf-Connecting-Ip":  "203.0.113.7",
	"Cf-Ray":            "8a1b2c3d4e5f6789-AMS",
	"X-Forwarded-Proto": "https",
}

func benchRequest(method, body string) js.Value {
	init := js.Global().Get("Object").New()
	init.Set("method", method)
	h := jsHeaders.New()
	for k, v := range benchHeaders {
		h.Call("set", k, v)
	}
	if body != "" {
		h.Call("set", "Content-Type", "application/json")
		h.Call("set", "Content-Length", strconv.Itoa(len(body)))
		init.Set("body", body)
	}
	init.Set("headers", h)
	return js.Global().Get("Request").New("https://w.example/v1/widget/sessions?limit=20", init)
}

func BenchmarkServe(b *testing.B) {
	// baseline: building the JS Request in Go and awaiting a promise, what
	// every other case spends besides the bridge.
	b.Run("baseline/POST", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			if _, err := jscall.Await(ctx, jsPromise.Call("resolve", benchRequest("POST", "{}"))); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, mode := range modes {
		target := newTargetFor(benchHandler, mode)
		for _, tc := range []struct{ name, method, body string }{
			{"GET", "GET", ""},
			{"POST", "POST", `{"user_id":"u-0123456789","name":"Ada Lovelace","email":"ada@example.com"}`},
		} {
			b.Run(mode+"/"+tc.name, func(b *testing.B) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				for b.Loop() {
					res, err := jscall.Await(ctx, serveJS(target, benchRequest(tc.method, tc.body)))
					if err != nil || res.Get("status").Int() != 200 {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
