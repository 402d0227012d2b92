//go:build !js

package e2e

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
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
	ctx := t.Context()
	c := contract.Validated(srv.URL)
	// want fails unless the answer has the status and fits the document (a
	// 429 with the code rate_limited).
	want := func(what string, r *contract.Response, err error, status int) {
		t.Helper()
		if err := contract.Fits(r, err, status); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if status == 429 && (r.Error == nil || r.Error.Code != "rate_limited") {
			t.Fatalf("%s: %s, want the error rate_limited", what, r.Body)
		}
	}
	org, err := c.CreateOrg(ctx, contract.CreateOrgRequest{Name: "Limits", AllowedOrigins: []string{}}, contract.Bearer(srv.AdminToken))
	want("create org", org.Response, err, 201)
	w := c.With(contract.WidgetToken(org.Value.Org.WidgetToken))
	contact := func(what, device string, status int) contract.Call[contract.ContactSignedIn] {
		t.Helper()
		r, err := w.CreateContact(ctx, contract.ContactRequest{DeviceID: device})
		want(what, r.Response, err, status)
		return r
	}

	dev := newDevice()
	contact("contact 0", dev, 200)
	tok := contact("contact 1", dev, 200).Value.Token
	h := contact("third contact of a device", dev, 429).Header
	if n, err := strconv.Atoi(h.Get("Retry-After")); err != nil || n < 1 || n > 61 {
		t.Errorf("Retry-After %q, want 1 to 61 seconds", h.Get("Retry-After"))
	}
	// The per-address budget (5) is shared by every device of this client:
	// 2 spent above, 3 more devices get one each, the next is refused.
	for i := range 3 {
		contact(fmt.Sprintf("device %d", i), newDevice(), 200)
	}
	contact("sixth contact from one address", newDevice(), 429)

	u := w.With(contract.Bearer(tok))
	s, err := u.CreateSession(ctx, contract.SessionRequest{})
	want("session", s.Response, err, 201)
	say := func(what string, status int, opts ...contract.Option) {
		t.Helper()
		m, err := u.PostUserMessage(ctx, s.Value.Session.ID, "hi", opts...)
		want(what, m.Response, err, status)
	}
	for i := range 3 {
		say(fmt.Sprintf("message %d", i), 201, contract.IdempotencyKey("k"+strconv.Itoa(i)))
	}
	// A retry of an accepted message is answered from its key, not limited.
	say("retry of an accepted message", 201, contract.IdempotencyKey("k0"))
	say("fourth message", 429)
	d, err := u.GetSession(ctx, s.Value.Session.ID, "")
	if want("the session", d.Response, err, 200); len(d.Value.Messages) != 3 {
		t.Fatalf("stored %d messages, want the 3 accepted", len(d.Value.Messages))
	}
}
