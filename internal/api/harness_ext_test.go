package api_test

// An extension of the harness of api_test.go: a settable clock, any number
// of orgs, the three kinds of caller, and assertions on the contract's error
// shape and on KV being left alone by refused requests.

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/testclock"
	"github.com/chatwidget/identity/internal/token"
)

const (
	device1 = "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
	device2 = "5d9c1e2f-3a4b-4c5d-9e6f-7a8b9c0d1e2f"

	originA = "https://shop.example"
	originB = "https://other.example"
)

// env is a harness whose API runs on a test clock.
type env struct {
	*harness
	clock *testclock.Clock
	cfg   config.Config
}

// buildAPI makes an API over a fresh Memory KV with a test clock; change
// adjusts the config first.
func buildAPI(tb testing.TB, change func(*config.Config)) (*api.API, *kv.Memory, *testclock.Clock, config.Config) {
	tb.Helper()
	return buildAPIOver(tb, change, nil)
}

// buildAPIOver is buildAPI with the API over wrap(the Memory KV) when wrap
// is not nil: a KV that delays or fails some calls.
func buildAPIOver(tb testing.TB, change func(*config.Config), wrap func(*kv.Memory) kv.KV) (*api.API, *kv.Memory, *testclock.Clock, config.Config) {
	tb.Helper()
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		tb.Fatal(err)
	}
	cfg := config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "test", ContactTokenTTL: time.Hour, RateLimits: config.DefaultRateLimits}
	if change != nil {
		change(&cfg)
	}
	clock := testclock.New(time.Now().UTC().Truncate(time.Second).Add(123 * time.Millisecond)) // the API's clock in these tests
	mem := kv.NewMemory()
	var store kv.KV = mem
	if wrap != nil {
		store = wrap(mem)
	}
	a, err := api.New(store, cfg, api.WithClock(clock.Now))
	if err != nil {
		tb.Fatal(err)
	}
	return a, mem, clock, cfg
}

func newEnv(t *testing.T, change ...func(*config.Config)) *env {
	t.Helper()
	var ch func(*config.Config)
	if len(change) > 0 {
		ch = change[0]
	}
	a, mem, clock, cfg := buildAPI(t, ch)
	return &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
}

// orgInfo is what the vendor gets back when creating an org.
type orgInfo struct {
	ID, PK, SK, KeyID string
	Origins           []string
}

func (e *env) newOrg(name string, origins ...string) orgInfo {
	e.t.Helper()
	if origins == nil {
		origins = []string{}
	}
	r := e.admin("POST", "/v1/admin/orgs", map[string]any{"name": name, "allowed_origins": origins})
	if r.Status != 201 {
		e.t.Fatalf("create org: %d %s", r.Status, r.Raw)
	}
	org := r.Body["org"].(map[string]any)
	key := r.Body["api_key"].(map[string]any)
	return orgInfo{ID: org["id"].(string), PK: org["widget_token"].(string), SK: key["secret"].(string), KeyID: key["id"].(string), Origins: origins}
}

// send serves req and decodes the answer; a 5xx fails the test.
func (e *env) send(req *http.Request) resp {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	out := resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.String()}
	_ = json.Unmarshal(rec.Body.Bytes(), &out.Body)
	if rec.Code >= 500 {
		e.t.Errorf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body.String())
	}
	return out
}

// request builds a request; body is nil, a string sent as is, or a value
// sent as JSON.
func request(method, path string, body any, headers ...string) *http.Request {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			panic(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return req
}

func (e *env) admin(method, path string, body any, headers ...string) resp {
	e.t.Helper()
	return e.send(request(method, path, body, append([]string{"Authorization", "Bearer " + adminToken}, headers...)...))
}

func (e *env) server(o orgInfo, method, path string, body any, headers ...string) resp {
	e.t.Helper()
	return e.send(request(method, path, body, append([]string{"Authorization", "Bearer " + o.SK}, headers...)...))
}

// widget calls a widget route with o's widget token and, when not empty, a
// user token.
func (e *env) widget(o orgInfo, userToken, method, path string, body any, headers ...string) resp {
	e.t.Helper()
	h := []string{"X-Widget-Token", o.PK}
	if userToken != "" {
		h = append(h, "Authorization", "Bearer "+userToken)
	}
	return e.send(request(method, path, body, append(h, headers...)...))
}

// contact returns a contact token of o for device.
func (e *env) contact(o orgInfo, device string, extra ...map[string]any) string {
	e.t.Helper()
	body := map[string]any{"device_id": device}
	for _, x := range extra {
		maps.Copy(body, x)
	}
	r := e.widget(o, "", "POST", "/v1/widget/contacts", body)
	if r.Status != 200 {
		e.t.Fatalf("contact: %d %s", r.Status, r.Raw)
	}
	return r.Body["token"].(string)
}

// contactID is the id of the contact whose token tok is (GET /v1/widget/me).
func (e *env) contactID(o orgInfo, tok string) string {
	e.t.Helper()
	r := e.widget(o, tok, "GET", "/v1/widget/me", nil)
	c, ok := r.Body["contact"].(map[string]any)
	if r.Status != 200 || !ok {
		e.t.Fatalf("GET /v1/widget/me: %d %s", r.Status, r.Raw)
	}
	return c["id"].(string)
}

// verified returns a verified token of o for the user described by body.
func (e *env) verified(o orgInfo, body map[string]any) string {
	e.t.Helper()
	r := e.server(o, "POST", "/v1/users/authenticate", body)
	if r.Status != 200 {
		e.t.Fatalf("authenticate: %d %s", r.Status, r.Raw)
	}
	return r.Body["token"].(string)
}

// newSession creates a session with a user token and returns it.
func (e *env) newSession(o orgInfo, userToken string, body map[string]any) map[string]any {
	e.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	r := e.widget(o, userToken, "POST", "/v1/widget/sessions", body)
	if r.Status != 201 {
		e.t.Fatalf("create session: %d %s", r.Status, r.Raw)
	}
	return r.Body["session"].(map[string]any)
}

// listIDs returns the ids of a listing's items.
func listIDs(t *testing.T, r resp) []string {
	t.Helper()
	items, ok := r.Body["items"].([]any)
	if r.Status != 200 || !ok {
		t.Fatalf("listing: %d %s", r.Status, r.Raw)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// checkError asserts the contract's error: the status, and a body that is
// exactly {"error": {"code": code, "message": "<a sentence>"}} in JSON.
func checkError(t *testing.T, r resp, status int, code string) {
	t.Helper()
	if r.Status != status || r.code() != code {
		t.Errorf("got %d %s, want %d %s", r.Status, r.Raw, status, code)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var shape map[string]map[string]any
	if err := json.Unmarshal([]byte(r.Raw), &shape); err != nil || len(shape) != 1 || shape["error"] == nil {
		t.Errorf("error body is not {\"error\": {...}}: %s", r.Raw)
		return
	}
	e := shape["error"]
	msg, _ := e["message"].(string)
	if len(e) != 2 || msg == "" {
		t.Errorf("error object is not {code, message}: %s", r.Raw)
	}
	if strings.Contains(msg, "goroutine") || strings.Contains(msg, ".go:") {
		t.Errorf("message shows internals: %q", msg)
	}
}

// checkErrorNames is checkError plus: the message names field.
func checkErrorNames(t *testing.T, r resp, status int, code, field string) {
	t.Helper()
	checkError(t, r, status, code)
	e, _ := r.Body["error"].(map[string]any)
	if msg, _ := e["message"].(string); !strings.Contains(msg, field) {
		t.Errorf("message %q does not name %q", msg, field)
	}
}

// unchanged runs do and fails when it changed anything stored.
func (e *env) unchanged(t *testing.T, do func() resp) resp {
	t.Helper()
	return e.unchangedBut(t, "", do)
}

// unchangedBut is unchanged, ignoring keys under prefix ("" ignores none):
// a replayed request may count against a rate limit, and nothing else.
func (e *env) unchangedBut(t *testing.T, prefix string, do func() resp) resp {
	t.Helper()
	snapshot := func() map[string]string {
		m := e.mem.Snapshot()
		if prefix != "" {
			maps.DeleteFunc(m, func(k, _ string) bool { return strings.HasPrefix(k, prefix) })
		}
		return m
	}
	before := snapshot()
	r := do()
	after := snapshot()
	if !maps.Equal(before, after) {
		var diff []string
		for k := range after {
			if before[k] != after[k] {
				diff = append(diff, k)
			}
		}
		for k := range before {
			if _, ok := after[k]; !ok {
				diff = append(diff, "-"+k)
			}
		}
		sort.Strings(diff)
		t.Errorf("a refused request (%d %s) changed KV: %q", r.Status, r.Raw, diff)
	}
	return r
}

// refused asserts that do is refused with status and code and changes
// nothing stored.
func (e *env) refused(t *testing.T, status int, code string, do func() resp) resp {
	t.Helper()
	r := e.unchanged(t, do)
	checkError(t, r, status, code)
	return r
}

// hasCORS reports whether h holds any Access-Control-* header.
func hasCORS(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Access-Control-") {
			out = append(out, k)
		}
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// sees asserts that userToken (of org o) lists exactly want and can open
// each of them, and that it gets 404 for reading and writing every id of
// hidden. The six access rules themselves are worker/test/access's table.
func (e *env) sees(t *testing.T, o orgInfo, userToken string, want, hidden []string) {
	t.Helper()
	got := listIDs(t, e.widget(o, userToken, "GET", "/v1/widget/sessions?limit=100", nil))
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("lists %q, want %q", got, want)
	}
	for _, id := range want {
		if r := e.widget(o, userToken, "GET", "/v1/widget/sessions/"+id, nil); r.Status != 200 {
			t.Errorf("GET own session %s: %d %s", id, r.Status, r.Raw)
		}
	}
	for _, id := range hidden {
		e.refused(t, 404, "not_found", func() resp { return e.widget(o, userToken, "GET", "/v1/widget/sessions/"+id, nil) })
		e.refused(t, 404, "not_found", func() resp {
			return e.widget(o, userToken, "POST", "/v1/widget/sessions/"+id+"/messages", map[string]any{"content": "peek"})
		})
	}
}
