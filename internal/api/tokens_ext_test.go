package api_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/config"
)

func TestRevocation(t *testing.T) {
	e := newEnv(t)
	a, b := e.newOrg("A", originA), e.newOrg("B", originB)
	before := e.verified(a, map[string]any{"email": "ann@example.com"})
	byUserID := e.verified(a, map[string]any{"user_id": "u-ann"})
	inB := e.verified(b, map[string]any{"email": "ann@example.com"})
	contact := e.contact(a, device1, map[string]any{"email": "ann@example.com"})
	sess := e.newSession(a, before, nil)["id"].(string)

	e.clock.Advance(1500 * time.Millisecond)
	r := e.server(a, "POST", "/v1/users/revoke", map[string]any{"email": "ANN@example.com"})
	if r.Status != 200 || len(r.Body) != 1 {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	at, err := time.Parse(time.RFC3339Nano, r.Body["revoked_before"].(string))
	if err != nil || !at.Equal(e.clock.Now().Truncate(time.Millisecond)) || at.Location() != time.UTC {
		t.Errorf("revoked_before %v (%v), clock %v", r.Body["revoked_before"], err, e.clock.Now())
	}

	// Every use of the token issued before is refused with token_revoked.
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/widget/me", ""},
		{"GET", "/v1/widget/sessions", ""},
		{"POST", "/v1/widget/sessions", `{}`},
		{"GET", "/v1/widget/sessions/" + sess, ""},
		{"POST", "/v1/widget/sessions/" + sess + "/messages", `{"content":"hi"}`},
	} {
		e.refused(t, 401, "token_revoked", func() resp { return e.widget(a, before, c.method, c.path, c.body) })
	}
	// Other identities, other orgs and contacts are not touched.
	for name, c := range map[string]struct {
		o   orgInfo
		tok string
	}{"user_id identity": {a, byUserID}, "other org": {b, inB}, "contact with that email": {a, contact}} {
		if r := e.widget(c.o, c.tok, "GET", "/v1/widget/me", nil); r.Status != 200 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	// A token issued after the revocation works and sees the sessions.
	e.clock.Advance(time.Millisecond)
	after := e.verified(a, map[string]any{"email": "ann@example.com"})
	if got := listIDs(t, e.widget(a, after, "GET", "/v1/widget/sessions", nil)); len(got) != 1 || got[0] != sess {
		t.Errorf("new token lists %q", got)
	}
	// The old one stays refused.
	e.clock.Advance(time.Hour)
	e.refused(t, 401, "token_revoked", func() resp { return e.widget(a, before, "GET", "/v1/widget/me", nil) })
	// Revoking again refuses the newer token too.
	if r := e.server(a, "POST", "/v1/users/revoke", map[string]any{"email": "ann@example.com"}); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	e.refused(t, 401, "token_revoked", func() resp { return e.widget(a, after, "GET", "/v1/widget/me", nil) })
}

// ttl_seconds is an integer as the OpenAPI document's JSON Schema says: any
// spelling of a whole number (60.0, 6e1: what a server whose lifetimes are
// floats sends) is that number; a fraction or a string is refused.
func TestTTLSecondsInAnyWholeNumberSpelling(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	for body, secs := range map[string]int{
		`{"user_id":"u","ttl_seconds":60.0}`:    60,
		`{"user_id":"u","ttl_seconds":6e1}`:     60,
		`{"user_id":"u","ttl_seconds":6.0E+1}`:  60,
		`{"user_id":"u","ttl_seconds":3600.00}`: 3600,
		`{"user_id":"u","ttl_seconds":2.592e6}`: 2592000,
		`{"user_id":"u","ttl_seconds":null}`:    86400,
	} {
		r := e.server(a, "POST", "/v1/users/authenticate", body)
		if r.Status != 200 {
			t.Errorf("%s: %d %s", body, r.Status, r.Raw)
			continue
		}
		exp, err := time.Parse(time.RFC3339, r.Body["expires_at"].(string))
		if want := e.clock.Now().Truncate(time.Second).Add(time.Duration(secs) * time.Second); err != nil || !exp.Equal(want) {
			t.Errorf("%s: expires_at %v, want %v", body, r.Body["expires_at"], want)
		}
	}
	for body, msg := range map[string]string{
		`{"user_id":"u","ttl_seconds":60.5}`:       "whole number",
		`{"user_id":"u","ttl_seconds":2592000.5}`:  "whole number",
		`{"user_id":"u","ttl_seconds":"60"}`:       "whole number",
		`{"user_id":"u","ttl_seconds":-0}`:         "from 60",
		`{"user_id":"u","ttl_seconds":1e400}`:      "from 60",
		`{"user_id":"u","ttl_seconds":-1e400}`:     "from 60",
		`{"user_id":"u","ttl_seconds":2.592001e6}`: "from 60",
	} {
		r := e.refused(t, 400, "invalid_request", func() resp { return e.server(a, "POST", "/v1/users/authenticate", body) })
		if m, _ := r.Body["error"].(map[string]any)["message"].(string); !strings.Contains(m, "ttl_seconds") || !strings.Contains(m, msg) {
			t.Errorf("%s: message %q, want it to name ttl_seconds and say %q", body, m, msg)
		}
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	r := e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "u", "ttl_seconds": 60})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	short := r.Body["token"].(string)
	exp, err := time.Parse(time.RFC3339, r.Body["expires_at"].(string))
	if err != nil || !exp.Equal(e.clock.Now().Truncate(time.Second).Add(time.Minute)) {
		t.Errorf("expires_at %v, %v", r.Body["expires_at"], err)
	}
	long := e.verified(a, map[string]any{"user_id": "u"}) // 24 hours
	contact := e.contact(a, device1)                      // ContactTokenTTL: 1 hour

	// The token works until expires_at and not from then on: no leeway
	// past the instant the answer named.
	e.clock.Advance(exp.Sub(e.clock.Now()) - time.Second)
	if r := e.widget(a, short, "GET", "/v1/widget/me", nil); r.Status != 200 {
		t.Errorf("a second before expires_at: %d %s", r.Status, r.Raw)
	}
	e.clock.Advance(time.Second)
	e.refused(t, 401, "token_expired", func() resp { return e.widget(a, short, "GET", "/v1/widget/me", nil) })
	e.clock.Advance(time.Minute)
	// The widget must be able to read it, to ask for a fresh token.
	r = e.widget(a, short, "GET", "/v1/widget/sessions", nil, "Origin", originA)
	if r.code() != "token_expired" || r.Header.Get("Access-Control-Allow-Origin") != originA {
		t.Errorf("token_expired from an allowed origin: %d %s %v", r.Status, r.Raw, r.Header)
	}
	for _, tok := range []string{long, contact} {
		if r := e.widget(a, tok, "GET", "/v1/widget/me", nil); r.Status != 200 {
			t.Errorf("%d %s", r.Status, r.Raw)
		}
	}
	e.clock.Advance(2 * time.Hour)
	e.refused(t, 401, "token_expired", func() resp { return e.widget(a, contact, "GET", "/v1/widget/me", nil) })
	e.clock.Advance(24 * time.Hour)
	e.refused(t, 401, "token_expired", func() resp { return e.widget(a, long, "GET", "/v1/widget/sessions", nil) })
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.RateLimits = config.RateLimits{ContactsPerDevice: 2, MessagesPerDevice: 3, Window: time.Minute}
	})
	a := e.newOrg("A", originA)
	e.contact(a, device1)
	tok := e.contact(a, device1)
	r := e.refused(t, 429, "rate_limited", func() resp {
		return e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1})
	})
	if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 61 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Another device is not limited by the first one's budget.
	if r := e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device2}); r.Status != 200 {
		t.Errorf("other device: %d %s", r.Status, r.Raw)
	}
	// A new session spends from the budget of the widget's writes (3), and
	// so does each message: one session and two messages use it up.
	sess := e.newSession(a, tok, nil)["id"].(string)
	path := "/v1/widget/sessions/" + sess + "/messages"
	for range 2 {
		if r := e.widget(a, tok, "POST", path, map[string]any{"content": "hi"}); r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Raw)
		}
	}
	e.refused(t, 429, "rate_limited", func() resp {
		return e.widget(a, tok, "POST", "/v1/widget/sessions", map[string]any{})
	})
	r = e.refused(t, 429, "rate_limited", func() resp {
		return e.widget(a, tok, "POST", path, map[string]any{"content": "hi"}, "Origin", originA)
	})
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if r.Header.Get("Access-Control-Allow-Origin") != originA {
		t.Error("the page cannot read the 429 (no Access-Control-Allow-Origin)")
	}
	// The org's server is not limited by the widget's budget.
	if r := e.server(a, "POST", "/v1/sessions/"+sess+"/messages", map[string]any{"content": "hi"}); r.Status != 201 {
		t.Errorf("agent: %d %s", r.Status, r.Raw)
	}
	// The next window has a new budget.
	e.clock.Advance(time.Minute)
	if r := e.widget(a, tok, "POST", path, map[string]any{"content": "hi"}); r.Status != 201 {
		t.Errorf("next window: %d %s", r.Status, r.Raw)
	}
}

// TestRateLimitPerIPv6Block: the per-address budget of an IPv6 client is
// its /64's, the block one subscriber gets and takes any address from; an
// address of another block has its own, and an IPv4 address written as
// IPv4-mapped IPv6 is that IPv4 address.
func TestRateLimitPerIPv6Block(t *testing.T) {
	e := newEnv(t, func(c *config.Config) {
		c.RateLimits = config.RateLimits{ContactsPerIP: 2, Window: time.Hour}
	})
	a := e.newOrg("A", originA)
	n := 0
	contact := func(ip string) resp {
		n++
		return e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": fmt.Sprintf("00000000-0000-4000-8000-%012x", n)}, "CF-Connecting-IP", ip)
	}
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:9"} {
		if r := contact(ip); r.Status != 200 {
			t.Fatalf("%s: %d %s", ip, r.Status, r.Raw)
		}
	}
	e.refused(t, 429, "rate_limited", func() resp { return contact("2001:0db8:0001:0002:abcd::1") })
	if r := contact("2001:db8:1:3::1"); r.Status != 200 {
		t.Errorf("another /64: %d %s", r.Status, r.Raw)
	}
	for _, ip := range []string{"198.51.100.7", "198.51.100.7"} {
		if r := contact(ip); r.Status != 200 {
			t.Fatalf("%s: %d %s", ip, r.Status, r.Raw)
		}
	}
	e.refused(t, 429, "rate_limited", func() resp { return contact("::ffff:198.51.100.7") })
}

// TestRateLimitAboveOneListPage: a budget larger than one KV list page (1000
// keys) is still enforced. The default MessagesPerIP is 1200.
func TestRateLimitAboveOneListPage(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 requests")
	}
	const limit = 1001
	e := newEnv(t, func(c *config.Config) {
		c.RateLimits = config.RateLimits{ContactsPerIP: limit, Window: time.Hour}
	})
	a := e.newOrg("A", originA)
	device := func(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", i) }
	for i := range limit {
		if r := e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device(i)}, "CF-Connecting-IP", "198.51.100.7"); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Raw)
		}
	}
	e.refused(t, 429, "rate_limited", func() resp {
		return e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device(limit)}, "CF-Connecting-IP", "198.51.100.7")
	})
}
