//go:build !js

package e2e

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

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
