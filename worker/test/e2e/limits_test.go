//go:build !js

package e2e

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// TestRateLimitsUnderWrangler runs its own worker with tight limits, so that
// the limits are seen to hold in the real runtime and its local KV (the shared
// server of this package keeps the loose defaults).
func TestRateLimitsUnderWrangler(t *testing.T) {
	t.Parallel()
	// Of the per-address limits LoopbackLoadVars turns off, the contacts' is 5.
	srv := wranglertest.StartT(t, wranglertest.Options{Vars: contract.LoopbackLoadVars(
		"RATE_LIMIT_CONTACTS_PER_DEVICE", "2", "RATE_LIMIT_MESSAGES_PER_DEVICE", "3", "RATE_LIMIT_CONTACTS_PER_IP", "5")})
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

	// A new session and each message spend from the device's budget of
	// widget writes (3): the session and two messages use it up.
	u := w.With(contract.Bearer(tok))
	s, err := u.CreateSession(ctx, contract.SessionRequest{})
	want("session", s.Response, err, 201)
	say := func(what string, status int, opts ...contract.Option) {
		t.Helper()
		m, err := u.PostUserMessage(ctx, s.Value.Session.ID, "hi", opts...)
		want(what, m.Response, err, status)
	}
	for i := range 2 {
		say(fmt.Sprintf("message %d", i), 201, contract.IdempotencyKey("k"+strconv.Itoa(i)))
	}
	// A retry of an accepted message is answered from its key, not limited.
	say("retry of an accepted message", 201, contract.IdempotencyKey("k0"))
	say("third message", 429)
	s2, err := u.CreateSession(ctx, contract.SessionRequest{})
	want("second session", s2.Response, err, 429)
	d, err := u.GetSession(ctx, s.Value.Session.ID, "")
	if want("the session", d.Response, err, 200); len(d.Value.Messages) != 2 {
		t.Fatalf("stored %d messages, want the 2 accepted", len(d.Value.Messages))
	}
}

// TestPayloadTooLarge: a body over 64 KiB, with a length or chunked, is 413
// on every route that reads one, and changes nothing of an org with a little
// of everything; 64 KiB exactly is not too large.
func TestPayloadTooLarge(t *testing.T) {
	t.Parallel()
	o, device := newOrg(t), newDevice()
	contact := o.contact(t, device, map[string]any{"name": "Fixture", "custom_data": map[string]any{"v": 1}})
	verified := o.authenticate(t, map[string]any{"user_id": uniq("fixture"), "name": "Fixed", "custom_data": map[string]any{"v": 1}})
	w := o.widget(contact.Token)
	session := createSession(t, w, nil)
	say(t, w, session.ID, "hello")
	// Everything a refused write could have changed, read through the API;
	// the verified user's /me also says it was not revoked.
	snap := func() any {
		return []any{sessionIDs(orgSessions(t, o, nil)), messageIDs(orgSession(t, o, session.ID).Messages),
			o.me(t, contact.Token), o.me(t, verified.Token)}
	}
	before := snap()

	big := func() []byte {
		return []byte(`{"device_id":"` + device + `","user_id":"x","name":"Big","content":"` + strings.Repeat("x", 70<<10) + `"}`)
	}
	sid := url.PathEscape(session.ID)
	routes := []struct {
		name string
		c    *caller
		path string
	}{
		{"admin orgs", vendor(t), "/v1/admin/orgs"},
		{"authenticate", o.api(), "/v1/users/authenticate"},
		{"revoke", o.api(), "/v1/users/revoke"},
		{"agent message", o.api(), "/v1/sessions/" + sid + "/messages"},
		{"contacts", o.widget(""), "/v1/widget/contacts"},
		{"widget sessions", w, "/v1/widget/sessions"},
		{"widget message", w, "/v1/widget/sessions/" + sid + "/messages"},
	}
	t.Run("routes", func(t *testing.T) {
		for _, rt := range routes {
			t.Run(rt.name+"/with length", func(t *testing.T) {
				t.Parallel()
				rt.c.post(t, rt.path, contract.Raw(big())).fails(413, "payload_too_large")
			})
			t.Run(rt.name+"/chunked", func(t *testing.T) {
				t.Parallel()
				rt.c.post(t, rt.path, contract.Stream{R: bytes.NewReader(big())}).fails(413, "payload_too_large")
			})
		}
		t.Run("admin api-keys", func(t *testing.T) {
			t.Parallel()
			vendor(t).post(t, "/v1/admin/orgs/"+url.PathEscape(o.ID)+"/api-keys", contract.Raw(big())).fails(413, "payload_too_large")
		})
	})
	match(t, "after the refused requests", snap(), before)

	// Exactly 64 KiB is not too large (unknown fields are ignored).
	pad := func(n int) []byte {
		head := `{"device_id":"` + newDevice() + `","name":"Boundary","pad":"`
		tail := `"}`
		return []byte(head + strings.Repeat("p", n-len(head)-len(tail)) + tail)
	}
	at := pad(64 << 10)
	if len(at) != 64<<10 {
		t.Fatalf("built %d bytes", len(at))
	}
	c := as[contract.ContactSignedIn](o.widget("").post(t, "/v1/widget/contacts", contract.Raw(at)), 200)
	match(t, "64 KiB body: contact", c.Contact, M{"name": "Boundary"})
	o.widget("").post(t, "/v1/widget/contacts", contract.Raw(pad(64<<10+1))).fails(413, "payload_too_large")
}
