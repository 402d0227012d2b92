package httpx_test

import (
	"context"
	"net/textproto"
	"slices"
	"strings"
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
		{"GET", "/v1/sessions", "GET /v1/sessions|,", []string{"GET", "HEAD"}},
		{"HEAD", "/v1/sessions", "GET /v1/sessions|,", []string{"GET", "HEAD"}},
		{"GET", "/v1/sessions/a%2Fb", "GET /v1/sessions/{id}|a/b,", []string{"GET", "HEAD"}},
		{"POST", "/v1/sessions/x/messages", "POST /v1/sessions/{id}/messages|x,", []string{"POST"}},
		{"DELETE", "/v1/orgs/o/keys/k", "DELETE /v1/orgs/{org}/keys/{key}|o,k", []string{"DELETE"}},
		{"PUT", "/v1/sessions", "", []string{"GET", "HEAD"}},
		{"GET", "/v1/sessions/", "", nil},
		{"GET", "/v1//sessions", "", nil},
		{"GET", "/v1/sessions/x/y", "", nil},
		{"GET", "", "", nil},
	}
	for _, tt := range tests {
		hit = ""
		m := rt.Match(tt.method, tt.path)
		if m.Handler != nil {
			r := httpx.NewRequest(context.Background(), tt.method, tt.path, nil)
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

// A target that net/url refuses still makes a request, routed on its path
// as sent; a {param} that is not valid percent-encoding is reported.
func TestMalformedTargets(t *testing.T) {
	var rt httpx.Router
	for _, p := range []string{"GET /v1/sessions", "GET /v1/sessions/{id}", "POST /v1/sessions/{id}/messages"} {
		rt.Handle(p, httpx.HandlerFunc(func(httpx.ResponseWriter, *httpx.Request) {}))
	}
	tests := []struct {
		target, path, query, pattern, bad string
	}{
		{"http://127.0.0.1:8787/%", "/%", "", "", ""},
		{"http://127.0.0.1:8787/%zz", "/%zz", "", "", ""},
		{"http://127.0.0.1:8787/%E0%A4%A", "/%E0%A4%A", "", "", ""},
		{"http://127.0.0.1:8787/v1/sessions/%zz", "/v1/sessions/%zz", "", "GET /v1/sessions/{id}", "id"},
		{"http://127.0.0.1:8787/v1/sessions/%?limit=%zz#x", "/v1/sessions/%", "limit=%zz", "GET /v1/sessions/{id}", "id"},
		{"http://127.0.0.1:8787/v1/sessions?cursor=%", "/v1/sessions", "cursor=%", "GET /v1/sessions", ""},
		{"http://127.0.0.1:8787/v1/sessions/a%2Fb", "/v1/sessions/a%2Fb", "", "GET /v1/sessions/{id}", ""},
		{"http://127.0.0.1:8787/v1/se%73sions", "/v1/se%73sions", "", "", ""},
		{"http://127.0.0.1:8787//v1/sessions", "//v1/sessions", "", "", ""},
		{"http://127.0.0.1:bad/v1/sessions", "/v1/sessions", "", "GET /v1/sessions", ""},
		{"http://127.0.0.1:8787/v1/sessions/\x7f", "/v1/sessions/\x7f", "", "GET /v1/sessions/{id}", ""},
		{"/v1/sessions/%", "/v1/sessions/%", "", "GET /v1/sessions/{id}", "id"},
		{"http://h", "", "", "", ""},
	}
	for _, tt := range tests {
		r := httpx.NewRequest(context.Background(), "GET", tt.target, nil)
		if r.EscapedPath() != tt.path || r.URL.RawQuery != tt.query {
			t.Errorf("%q: path %q query %q, want %q %q", tt.target, r.EscapedPath(), r.URL.RawQuery, tt.path, tt.query)
		}
		m := rt.Match("GET", r.EscapedPath())
		if m.Pattern != tt.pattern || m.BadParam != tt.bad {
			t.Errorf("%q: pattern %q bad %q, want %q %q", tt.target, m.Pattern, m.BadParam, tt.pattern, tt.bad)
		}
	}
}

// FuzzNewRequest: any target makes a request whose escaped path is the
// target's path as sent, and routing it never panics.
func FuzzNewRequest(f *testing.F) {
	var rt httpx.Router
	rt.Handle("GET /a/{id}/b", httpx.HandlerFunc(func(httpx.ResponseWriter, *httpx.Request) {}))
	for _, s := range []string{"http://h/%", "/a/%zz/b", "http://h:x/a/%E0%A4%A/b?%#%", "//x", "http://h", "a:b/c", "http://[::1/x", "/a/%2F/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		r := httpx.NewRequest(context.Background(), "GET", target, nil)
		if r.URL == nil || !strings.Contains(target, r.EscapedPath()) {
			t.Fatalf("%q: escaped path %q", target, r.EscapedPath())
		}
		m := rt.Match("GET", r.EscapedPath())
		if m.Handler != nil {
			m.Serve(nil, r)
		}
	})
}
