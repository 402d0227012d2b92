// Package gocost measures the Go worker's own work per route, without
// workerd around it, to tell where a request's time in the isolate goes:
//
//   - BenchmarkRoute: internal/api over an in-memory KV, called directly:
//     the handler's computation (JSON, validation, store logic, tokens);
//   - BenchmarkToken: the EdDSA signature and verification inside it, with
//     crypto/ed25519 (BenchmarkTokenWebCrypto, js/wasm only: with WebCrypto,
//     as the worker does);
//   - BenchmarkStack (js/wasm only): the same requests through the whole Go
//     worker, bridge, cfkv and WebCrypto, as JS Requests over a JS KV that answers on the
//     next turn of the event loop: the difference to BenchmarkRoute is the
//     bridge, the KV binding and the JS↔Go round trips;
//   - BenchmarkAwait (js/wasm only): one Go → JS promise → Go round trip.
//
// Run as wasm under Node (V8, the engine of workerd); `make bench` runs:
//
//	PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm \
//	  go test -run '^$' -bench . -benchtime 400x ./worker/test/bench/gocost
//
// kv-calls/op counts the KV calls of a request (kv.Memory counts them).
package gocost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
)

const (
	adminToken = "gocost-admin-token-0123456789abcdef"
	origin     = "https://shop.bench.example"
)

// fixture is an org with a verified user owning three sessions, and another
// verified user that creates sessions.
type fixture struct {
	pk, sk   string
	orgID    string
	verified string
	sessions []string
	maker    string
}

// sender serves one request and returns its body, failing on another status.
type sender func(method, path string, hdr map[string]string, body string, want int) []byte

func setupThrough(tb testing.TB, send sender) *fixture {
	f := &fixture{}
	var org struct {
		Org struct {
			ID          string `json:"id"`
			WidgetToken string `json:"widget_token"`
		} `json:"org"`
		APIKey struct {
			Secret string `json:"secret"`
		} `json:"api_key"`
	}
	b := send("POST", "/v1/admin/orgs", map[string]string{"Authorization": "Bearer " + adminToken},
		`{"name":"gocost","allowed_origins":["`+origin+`"]}`, 201)
	if err := json.Unmarshal(b, &org); err != nil {
		tb.Fatal(err)
	}
	f.orgID, f.pk, f.sk = org.Org.ID, org.Org.WidgetToken, org.APIKey.Secret
	auth := func(uid string) string {
		var out struct {
			Token string `json:"token"`
		}
		b := send("POST", "/v1/users/authenticate", map[string]string{"Authorization": "Bearer " + f.sk}, `{"user_id":"`+uid+`"}`, 200)
		if err := json.Unmarshal(b, &out); err != nil {
			tb.Fatal(err)
		}
		return out.Token
	}
	f.verified, f.maker = auth("bench-user-0"), auth("bench-maker-0")
	for i := 0; i < 3; i++ {
		var out struct {
			Session struct {
				ID string `json:"id"`
			} `json:"session"`
		}
		b := send("POST", "/v1/widget/sessions", f.widget(f.verified), `{}`, 201)
		if err := json.Unmarshal(b, &out); err != nil {
			tb.Fatal(err)
		}
		f.sessions = append(f.sessions, out.Session.ID)
	}
	return f
}

func (f *fixture) widget(tok string) map[string]string {
	h := map[string]string{"X-Widget-Token": f.pk, "Origin": origin}
	if tok != "" {
		h["Authorization"] = "Bearer " + tok
	}
	return h
}

func uuid4(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, time.Now().UnixNano()&0xffffffffffff)
}

type routeReq struct {
	name string
	req  func(i int) (method, path string, hdr map[string]string, body string, want int)
}

// routesOf are the requests of worker/test/bench's load, with the same bodies.
func routesOf(f *fixture) []routeReq {
	return []routeReq{
		{"authenticate", func(i int) (string, string, map[string]string, string, int) {
			return "POST", "/v1/users/authenticate", map[string]string{"Authorization": "Bearer " + f.sk},
				fmt.Sprintf(`{"user_id":"bench-user-0","email":"user0@bench.example","name":"Bench User 0","custom_data":{"plan":"pro","seats":%d}}`, i%50), 200
		}},
		{"contacts", func(i int) (string, string, map[string]string, string, int) {
			return "POST", "/v1/widget/contacts", f.widget(""),
				fmt.Sprintf(`{"device_id":%q,"name":"Visitor %d","email":"visitor0@bench.example"}`, uuid4(i), i), 200
		}},
		{"list-sessions", func(i int) (string, string, map[string]string, string, int) {
			return "GET", "/v1/widget/sessions", f.widget(f.verified), "", 200
		}},
		{"post-message", func(i int) (string, string, map[string]string, string, int) {
			return "POST", "/v1/widget/sessions/" + f.sessions[i%len(f.sessions)] + "/messages", f.widget(f.verified),
				fmt.Sprintf(`{"content":"Hello from the bench, message %d of client 0."}`, i), 201
		}},
		{"create-session", func(i int) (string, string, map[string]string, string, int) {
			return "POST", "/v1/widget/sessions", f.widget(f.maker), `{"custom_data":{"page":"/pricing"}}`, 201
		}},
		{"jwks", func(i int) (string, string, map[string]string, string, int) {
			return "GET", "/.well-known/jwks.json", nil, "", 200
		}},
	}
}

func newAPI(tb testing.TB) (http.Handler, *kv.Memory, *token.Service) {
	spec, err := token.GenerateKeySpec("gocost-1")
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "http://127.0.0.1:1", ContactTokenTTL: 7 * 24 * time.Hour}
	mem := kv.NewMemory()
	a, err := api.New(mem, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := token.ParseKeyRing(spec)
	if err != nil {
		tb.Fatal(err)
	}
	return a, mem, token.NewService(ring, cfg.Issuer)
}

func direct(tb testing.TB, h http.Handler) sender {
	return func(method, path string, hdr map[string]string, body string, want int) []byte {
		var req *http.Request
		if body != "" {
			req = httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest(method, path, nil)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			tb.Fatalf("%s %s: %d %s, want %d", method, path, rec.Code, rec.Body.String(), want)
		}
		return rec.Body.Bytes()
	}
}

// BenchmarkRoute serves the bench's requests straight into the API over an
// in-memory KV.
func BenchmarkRoute(b *testing.B) {
	h, mem, _ := newAPI(b)
	send := direct(b, h)
	f := setupThrough(b, send)
	for _, rt := range routesOf(f) {
		b.Run(rt.name, func(b *testing.B) {
			warmUp(func(i int) { send(rt.req(i)) })
			before := total(mem.Ops())
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				send(rt.req(i))
			}
			b.ReportMetric(float64(total(mem.Ops())-before)/float64(b.N), "kv-calls/op")
		})
	}
}

// warmUp runs f before the timed loop, so that V8 has compiled the hot
// code by then (it compiles wasm lazily and optimises what runs often).
func warmUp(f func(i int)) {
	for i := 0; i < 50; i++ {
		f(1_000_000 + i)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// BenchmarkToken is the token work inside those routes: one EdDSA signature
// (authenticate, contacts) or one verification (every session route).
func BenchmarkToken(b *testing.B) {
	_, _, tokens := newAPI(b)
	benchTokens(b, tokens)
}

// benchTokens times one Issue and one Verify of tokens.
func benchTokens(b *testing.B, tokens *token.Service) {
	c := token.Claims{Kind: token.KindVerified, UserID: "bench-user-0"}
	c.Subject = "bench-user-0"
	c.Audience = []string{"org-1"}
	tok, _, err := tokens.Issue(c, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("issue", func(b *testing.B) {
		warmUp(func(int) { _, _, _ = tokens.Issue(c, time.Hour) })
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := tokens.Issue(c, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		warmUp(func(int) { _, _ = tokens.Verify(tok, "org-1") })
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tokens.Verify(tok, "org-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
