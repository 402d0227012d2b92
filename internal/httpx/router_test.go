package httpx_test

import (
	"context"
	"net/textproto"
	"slices"
	"testing"

	"github.com/chatwidget/identity/internal/httpx"
)

func TestRouter(t *testing.T) {
	var rt httpx.Router
	hit := ""
	for _, p := range []string{"GET /v1/sessions", "GET /v1/sessions/{id}", "POST /v1/sessions/{id}/messages", "DELETE /v1/orgs/{org}/keys/{key}"} {
		rt.Handle(p, httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
			hit = r.Pattern + "|" + r.PathValue("id") + r.PathValue("org") + "," + r.PathValue("key")
		}))
	}
	tests := []struct {
		method, path string
		hit          string
		allowed      []string
	}{
		{"GET", "/v1/sessions", "GET /v1/sessions|,", []string{"GET"}},
		{"HEAD", "/v1/sessions", "GET /v1/sessions|,", []string{"GET"}},
		{"GET", "/v1/sessions/a%2Fb", "GET /v1/sessions/{id}|a/b,", []string{"GET"}},
		{"POST", "/v1/sessions/x/messages", "POST /v1/sessions/{id}/messages|x,", []string{"POST"}},
		{"DELETE", "/v1/orgs/o/keys/k", "DELETE /v1/orgs/{org}/keys/{key}|o,k", []string{"DELETE"}},
		{"PUT", "/v1/sessions", "", []string{"GET"}},
		{"GET", "/v1/sessions/", "", nil},
		{"GET", "/v1//sessions", "", nil},
		{"GET", "/v1/sessions/x/y", "", nil},
		{"GET", "", "", nil},
	}
	for _, tt := range tests {
		hit = ""
		m := rt.Match(tt.method, tt.path)
		if m.Handler != nil {
			r, _ := httpx.NewRequest(context.Background(), tt.method, tt.path, nil)
			m.Serve(nil, r)
		}
		if hit != tt.hit || !slices.Equal(m.Allowed, tt.allowed) {
			t.Errorf("%s %s: hit %q allowed %v, want %q %v", tt.method, tt.path, hit, m.Allowed, tt.hit, tt.allowed)
		}
	}
}

func TestRouterRefusesRepeatedPatterns(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var rt httpx.Router
	rt.Handle("GET /a", httpx.HandlerFunc(func(httpx.ResponseWriter, *httpx.Request) {}))
	rt.Handle("GET /a", httpx.HandlerFunc(func(httpx.ResponseWriter, *httpx.Request) {}))
}

func TestHeaderIsCanonical(t *testing.T) {
	h := httpx.Header{}
	h.Set("x-widget-token", "a")
	h.Add("X-WIDGET-TOKEN", "b")
	if h.Get("X-Widget-Token") != "a" || len(h.Values("x-widget-token")) != 2 {
		t.Fatalf("header %v", h)
	}
	h.Del("x-Widget-token")
	if len(h) != 0 {
		t.Fatalf("after Del: %v", h)
	}
}

func TestCanonicalKeyMatchesNetTextproto(t *testing.T) {
	for _, k := range []string{"x-widget-token", "X-WIDGET-TOKEN", "content-type", "Idempotency-Key", "cf-connecting-ip", "a", "", "-x-", "x y", "ünï"} {
		h := httpx.Header{}
		h.Set(k, "v")
		want := textproto.CanonicalMIMEHeaderKey(k)
		if _, ok := h[want]; !ok {
			t.Errorf("Set(%q) stored %v, want key %q", k, h, want)
		}
	}
}

func TestRecorderKeepsTheFirstStatusAndReplays(t *testing.T) {
	r := httpx.NewRecorder()
	r.Header().Set("X-A", "1")
	_, _ = r.Write([]byte("hi"))
	r.WriteHeader(500)
	if r.Status != 200 || r.Body.String() != "hi" {
		t.Fatalf("recorded %d %q", r.Status, r.Body.String())
	}
	out := httpx.NewRecorder()
	out.Header().Set("X-B", "2")
	r.WriteTo(out)
	if out.Status != 200 || out.Body.String() != "hi" || out.Header().Get("X-A") != "1" || out.Header().Get("X-B") != "2" {
		t.Fatalf("replayed %d %q %v", out.Status, out.Body.String(), out.HeaderMap)
	}
	if httpx.NewRecorder().StatusOrOK() != 200 {
		t.Fatal("an empty recorder is not 200")
	}
}
