package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
)

const adminToken = "test-admin-token"

type harness struct {
	t   *testing.T
	h   http.Handler
	mem *kv.Memory
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "test", ContactTokenTTL: 3600e9, RateLimits: config.DefaultRateLimits}
	mem := kv.NewMemory()
	a, err := api.New(mem, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, h: a, mem: mem}
}

type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r resp) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (h *harness) do(method, path string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	out := resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.Body)
	if rec.Code >= 500 {
		h.t.Errorf("%s %s: %d %s", method, path, rec.Code, rec.Body.String())
	}
	return out
}

func (h *harness) org() (pk, sk, id string) {
	h.t.Helper()
	r := h.do("POST", "/v1/admin/orgs", map[string]any{"name": "Shop", "allowed_origins": []string{"https://shop.example"}}, "Authorization", "Bearer "+adminToken)
	if r.Status != 201 {
		h.t.Fatalf("create org: %d %s", r.Status, r.Raw)
	}
	org := r.Body["org"].(map[string]any)
	key := r.Body["api_key"].(map[string]any)
	return org["widget_token"].(string), key["secret"].(string), org["id"].(string)
}

func TestSmokeFlow(t *testing.T) {
	h := newHarness(t)
	pk, sk, _ := h.org()
	dev := "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	r := h.do("POST", "/v1/widget/contacts", map[string]any{"device_id": dev, "name": "Ann", "custom_data": map[string]any{"plan": "x"}}, "X-Widget-Token", pk)
	if r.Status != 200 {
		t.Fatalf("contacts: %d %s", r.Status, r.Raw)
	}
	ct := r.Body["token"].(string)
	r = h.do("POST", "/v1/widget/sessions", map[string]any{}, "X-Widget-Token", pk, "Authorization", "Bearer "+ct, "Idempotency-Key", "a1")
	if r.Status != 201 {
		t.Fatalf("session: %d %s", r.Status, r.Raw)
	}
	sid := r.Body["session"].(map[string]any)["id"].(string)
	r2 := h.do("POST", "/v1/widget/sessions", map[string]any{}, "X-Widget-Token", pk, "Authorization", "Bearer "+ct, "Idempotency-Key", "a1")
	if r2.Raw != r.Raw {
		t.Fatalf("replay differs: %s vs %s", r2.Raw, r.Raw)
	}
	for i := 0; i < 3; i++ {
		r = h.do("POST", "/v1/widget/sessions/"+sid+"/messages", map[string]any{"content": "hi"}, "X-Widget-Token", pk, "Authorization", "Bearer "+ct)
		if r.Status != 201 {
			t.Fatalf("msg: %d %s", r.Status, r.Raw)
		}
	}
	r = h.do("POST", "/v1/sessions/"+sid+"/messages", map[string]any{"content": "hello", "author_name": "Bob"}, "Authorization", "Bearer "+sk)
	if r.Status != 201 {
		t.Fatalf("agent: %d %s", r.Status, r.Raw)
	}
	r = h.do("GET", "/v1/widget/sessions/"+sid, nil, "X-Widget-Token", pk, "Authorization", "Bearer "+ct)
	if n := len(r.Body["messages"].([]any)); n != 4 {
		t.Fatalf("messages: %d %s", n, r.Raw)
	}
	r = h.do("GET", "/v1/widget/sessions", nil, "X-Widget-Token", pk, "Authorization", "Bearer "+ct)
	if n := len(r.Body["items"].([]any)); n != 1 {
		t.Fatalf("list: %d %s", n, r.Raw)
	}
	t.Log(r.Raw)
	// verified
	r = h.do("POST", "/v1/users/authenticate", map[string]any{"email": "Ann@X.com", "external_id": "ws1"}, "Authorization", "Bearer "+sk)
	if r.Status != 200 {
		t.Fatalf("auth: %d %s", r.Status, r.Raw)
	}
	vt := r.Body["token"].(string)
	r = h.do("GET", "/v1/widget/sessions", nil, "X-Widget-Token", pk, "Authorization", "Bearer "+vt)
	if n := len(r.Body["items"].([]any)); n != 0 {
		t.Fatalf("verified list: %d %s", n, r.Raw)
	}
	r = h.do("POST", "/v1/widget/sessions", map[string]any{"external_id": "other"}, "X-Widget-Token", pk, "Authorization", "Bearer "+vt)
	if r.code() != "external_id_mismatch" {
		t.Fatalf("mismatch: %d %s", r.Status, r.Raw)
	}
	r = h.do("POST", "/v1/users/revoke", map[string]any{"email": "ann@x.com"}, "Authorization", "Bearer "+sk)
	if r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	r = h.do("GET", "/v1/widget/me", nil, "X-Widget-Token", pk, "Authorization", "Bearer "+vt)
	if r.code() != "token_revoked" {
		t.Fatalf("revoked: %d %s", r.Status, r.Raw)
	}
	r = h.do("GET", "/v1/sessions?verified=false", nil, "Authorization", "Bearer "+sk)
	if n := len(r.Body["items"].([]any)); n != 1 {
		t.Fatalf("org list: %d %s", n, r.Raw)
	}
	r = h.do("PUT", "/v1/sessions", nil)
	if r.code() != "method_not_allowed" {
		t.Fatalf("405: %d %s", r.Status, r.Raw)
	}
	r = h.do("GET", "/nope", nil)
	if r.code() != "not_found" {
		t.Fatalf("404: %d %s", r.Status, r.Raw)
	}
	r = h.do("OPTIONS", "/v1/widget/contacts", nil, "Origin", "https://shop.example", "Access-Control-Request-Method", "POST")
	if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("preflight: %d %v", r.Status, r.Header)
	}
	t.Log(h.mem.Ops())
}
