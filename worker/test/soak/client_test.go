//go:build !js

package soak

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// TestClientRetriesWithTheSameKey: 503, 429 and a cut connection are retried
// with the same Idempotency-Key and body until the 201; a 400 is final.
func TestClientRetriesWithTheSameKey(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	answers := []func(w http.ResponseWriter){
		func(w http.ResponseWriter) { w.WriteHeader(503) },
		func(w http.ResponseWriter) { w.Header().Set("Retry-After", "0"); w.WriteHeader(429) },
		func(w http.ResponseWriter) { // the worker dies mid-request
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		},
		func(w http.ResponseWriter) { w.WriteHeader(201); io.WriteString(w, `{"ok":true}`) },
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		n := len(seen)
		seen = append(seen, r.Header.Get("Idempotency-Key")+" "+string(b))
		mu.Unlock()
		answers[min(n, len(answers)-1)](w)
	}))
	defer srv.Close()
	st := newStats()
	st.setPhase(PhaseLoad)
	c := newClient(srv.URL, 5*time.Second, st)
	res, err := c.expect(201).Do(context.Background(), "POST", "/x", contract.Raw(`{"content":"hi"}`), contract.IdempotencyKey("k1"))
	if err != nil || res.Status != 201 {
		t.Fatalf("do: %v %v", res, err)
	}
	if len(seen) != 4 {
		t.Fatalf("%d attempts, want 4: %q", len(seen), seen)
	}
	for _, s := range seen {
		if s != `k1 {"content":"hi"}` {
			t.Errorf("an attempt sent %q", s)
		}
	}
	if kinds := st.errors; kinds["status 503"] != 1 || kinds["status 429"] != 1 || len(kinds) != 3 {
		t.Errorf("errors by kind %v, want a 503, a 429 and a network error", kinds)
	}
	if st.sent[PhaseLoad] != 4 {
		t.Errorf("%d requests counted, the worker got 4", st.sent[PhaseLoad])
	}

	answers = []func(w http.ResponseWriter){func(w http.ResponseWriter) { w.WriteHeader(400); io.WriteString(w, `{"error":{}}`) }}
	mu.Lock()
	seen = nil
	mu.Unlock()
	_, err = c.expect(201).Do(context.Background(), "POST", "/v1/widget/sessions/01a20cca-df76-76f1-8a34-a81b5ab40157/messages", contract.Raw(`{}`))
	if err == nil || len(seen) != 1 {
		t.Fatalf("a 400: %v after %d attempts, want an error after 1", err, len(seen))
	}
	if len(st.anomalies) != 2 || st.anomalies[1].Count != 1 || st.anomalies[1].Route != "/v1/widget/sessions/{id}/messages" || st.anomalies[1].Status != 400 {
		t.Errorf("anomalies %+v", st.anomalies)
	}
}

func TestNetworkKindOfRefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = http.Get("http://" + addr)
	if got := networkKind(err); got != "network: connection refused" {
		t.Errorf("networkKind(%v) = %q", err, got)
	}
}

// TestRestartCost: from the restart call to the first success of a request
// sent after a client saw the worker down.
func TestRestartCost(t *testing.T) {
	t0 := time.Now()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, c := range []struct {
		events []event
		want   time.Duration // Restart returns at 600 ms
	}{{[]event{
		{sent: at(-50), done: at(5), ok: true},   // served by the old worker
		{sent: at(1), done: at(8), ok: true},     // also, before the kill
		{sent: at(2), done: at(20), ok: false},   // cut: the worker is down
		{sent: at(30), done: at(31), ok: false},  // refused
		{sent: at(15), done: at(900), ok: true},  // sent before it was seen down
		{sent: at(700), done: at(750), ok: true}, // the first one served again
	}, 750 * time.Millisecond}, {[]event{ // no client saw it down: count from when Restart returned
		{sent: at(1), done: at(2), ok: true},
		{sent: at(650), done: at(660), ok: true},
	}, 660 * time.Millisecond}} {
		s := newStats()
		s.setPhase(PhaseLoad)
		for _, e := range c.events {
			s.record(e)
		}
		if cost, ok := s.restartCost(t0, at(600)); !ok || cost != c.want {
			t.Errorf("restartCost = %v, %v; want %v", cost, ok, c.want)
		}
	}
}

func TestRouteOf(t *testing.T) {
	got := routeOf("/v1/widget/sessions/01a20cca-df76-76f1-8a34-a81b5ab40157?after=01a20cca-df8f-7e64-bb13-ad66c4338bf8")
	if !strings.HasSuffix(got, "/sessions/{id}") {
		t.Errorf("routeOf = %q", got)
	}
}
