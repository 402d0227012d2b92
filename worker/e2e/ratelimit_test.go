//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/wranglertest"
)

// TestRateLimitsUnderWrangler runs its own worker with tight limits, so that
// the limits are seen to hold in the real runtime and its local KV (the shared
// server of this package keeps the loose defaults).
func TestRateLimitsUnderWrangler(t *testing.T) {
	t.Parallel()
	srv := wranglertest.StartT(t, wranglertest.Options{Vars: map[string]string{
		"RATE_LIMIT_CONTACTS_PER_DEVICE": "2",
		"RATE_LIMIT_MESSAGES_PER_DEVICE": "3",
		"RATE_LIMIT_CONTACTS_PER_IP":     "5",
		"RATE_LIMIT_MESSAGES_PER_IP":     "0",
	}})
	c := contract.New(srv.URL, validator)
	call := func(method, path string, body any, headers ...string) (int, http.Header, map[string]any) {
		t.Helper()
		var opts []contract.Option
		for i := 0; i+1 < len(headers); i += 2 {
			opts = append(opts, contract.Header(headers[i], headers[i+1]))
		}
		res, err := c.Do(context.Background(), method, path, body, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if res.AnswerErr != nil {
			t.Errorf("%s: the answer drifts from internal/api/openapi/openapi.json: %v", res.What(), res.AnswerErr)
		}
		var out map[string]any
		_ = json.Unmarshal(res.Body, &out)
		return res.Status, res.Header, out
	}
	code := func(m map[string]any) string {
		e, _ := m["error"].(map[string]any)
		s, _ := e["code"].(string)
		return s
	}
	st, _, created := call("POST", "/v1/admin/orgs", map[string]any{"name": "Limits", "allowed_origins": []string{}}, "Authorization", "Bearer "+srv.AdminToken)
	if st != 201 {
		t.Fatalf("create org: %d %v", st, created)
	}
	pk := created["org"].(map[string]any)["widget_token"].(string)

	dev := newDevice()
	var tok string
	for i := range 2 {
		st, _, r := call("POST", "/v1/widget/contacts", map[string]any{"device_id": dev}, "X-Widget-Token", pk)
		if st != 200 {
			t.Fatalf("contact %d: %d %v", i, st, r)
		}
		tok = r["token"].(string)
	}
	st, h, r := call("POST", "/v1/widget/contacts", map[string]any{"device_id": dev}, "X-Widget-Token", pk)
	if st != 429 || code(r) != "rate_limited" {
		t.Fatalf("third contact of a device: %d %v, want 429 rate_limited", st, r)
	}
	if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n < 1 || n > 61 {
		t.Errorf("Retry-After %q, want 1 to 61 seconds", h.Get("Retry-After"))
	}

	// The per-address budget (5) is shared by every device of this client:
	// 2 spent above, 3 more devices get one each, the next is refused.
	for i := range 3 {
		if st, _, r := call("POST", "/v1/widget/contacts", map[string]any{"device_id": newDevice()}, "X-Widget-Token", pk); st != 200 {
			t.Fatalf("device %d: %d %v", i, st, r)
		}
	}
	if st, _, r := call("POST", "/v1/widget/contacts", map[string]any{"device_id": newDevice()}, "X-Widget-Token", pk); st != 429 || code(r) != "rate_limited" {
		t.Fatalf("sixth contact from one address: %d %v, want 429 rate_limited", st, r)
	}

	auth := []string{"X-Widget-Token", pk, "Authorization", "Bearer " + tok}
	st, _, s := call("POST", "/v1/widget/sessions", map[string]any{}, auth...)
	if st != 201 {
		t.Fatalf("session: %d %v", st, s)
	}
	path := "/v1/widget/sessions/" + s["session"].(map[string]any)["id"].(string) + "/messages"
	for i := range 3 {
		if st, _, r := call("POST", path, map[string]any{"content": "hi"}, append(auth, "Idempotency-Key", "k"+strconv.Itoa(i))...); st != 201 {
			t.Fatalf("message %d: %d %v", i, st, r)
		}
	}
	// A retry of an accepted message is answered from its key, not limited.
	if st, _, r := call("POST", path, map[string]any{"content": "hi"}, append(auth, "Idempotency-Key", "k0")...); st != 201 {
		t.Fatalf("retry of an accepted message: %d %v, want 201", st, r)
	}
	if st, _, r := call("POST", path, map[string]any{"content": "hi"}, auth...); st != 429 || code(r) != "rate_limited" {
		t.Fatalf("fourth message: %d %v, want 429 rate_limited", st, r)
	}
	_, _, got := call("GET", path[:len(path)-len("/messages")], nil, auth...)
	if msgs, _ := got["messages"].([]any); len(msgs) != 3 {
		t.Fatalf("stored %d messages, want the 3 accepted", len(msgs))
	}
}
