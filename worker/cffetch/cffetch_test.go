//go:build js && wasm

package cffetch

import (
	"context"
	"errors"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/outbound"
	"github.com/chatwidget/identity/worker/jscall"
	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

// server starts a Node http server on 127.0.0.1 that answers /ok with 204
// (after recording the request), /redirect with a 302, /slow never; it
// resolves to its port.
var server = js.Global().Get("Function").New(`return (log) => new Promise((resolve) => {
	const http = globalThis.require("http");
	const s = http.createServer((req, res) => {
		let body = "";
		req.on("data", (c) => (body += c));
		req.on("end", () => {
			log.push(req.method + " " + req.url + " " + req.headers["webhook-id"] + " " + req.headers["content-type"] + " " + body);
			if (req.url === "/ok") { res.statusCode = 204; res.end(); }
			else if (req.url === "/redirect") { res.statusCode = 302; res.setHeader("Location", "/ok"); res.end(); }
			else if (req.url === "/slow") { /* never answers */ }
			else { res.statusCode = 500; res.end("no"); }
		});
	});
	s.listen(0, "127.0.0.1", () => { s.unref(); resolve(s.address().port); });
})`).Invoke()

func TestDo(t *testing.T) {
	gluetest.Load()
	d, err := New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log := js.Global().Get("Array").New()
	port, err := jscall.Await(ctx, server.Invoke(log))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://127.0.0.1:" + js.Global().Get("String").Invoke(port).String()
	hdr := [][2]string{{"webhook-id", "msg_1"}, {"Content-Type", "application/json"}}
	// In this order: the log's first entry is /ok's (a map's order would
	// vary from run to run).
	for _, c := range []struct {
		path string
		want int
	}{{"/ok", 204}, {"/redirect", 302}, {"/fail", 500}} {
		res, err := d.Do(ctx, outbound.Request{URL: base + c.path, Header: hdr, Body: []byte(`{"a":1}`)})
		if err != nil || res.Status != c.want {
			t.Errorf("%s: %v %v, want %d", c.path, res, err, c.want)
		}
	}
	if got := log.Index(0).String(); got != `POST /ok msg_1 application/json {"a":1}` {
		t.Errorf("the receiver saw %q", got)
	}
	if n := log.Length(); n != 3 {
		t.Errorf("the receiver saw %d requests, want 3 (the redirect not followed)", n)
	}
	_, err = d.Do(ctx, outbound.Request{URL: base + "/slow", Timeout: 200 * time.Millisecond})
	if !errors.Is(err, outbound.ErrTimeout) {
		t.Errorf("a receiver that never answers: %v, want ErrTimeout", err)
	}
	if _, err := d.Do(ctx, outbound.Request{URL: "http://127.0.0.1:1/"}); err == nil || errors.Is(err, outbound.ErrTimeout) {
		t.Errorf("a refused connection: %v", err)
	}
	if _, err := d.Do(ctx, outbound.Request{URL: base + "/ok", Header: [][2]string{{"X", "a\nb"}}}); err == nil {
		t.Error("a header with a newline was sent")
	}
}
