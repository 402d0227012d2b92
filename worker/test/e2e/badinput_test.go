//go:build !js

package e2e

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// fixture is an org with a little of everything, for the bad-input tables.
type fixture struct {
	o        *org
	device   string
	contact  contract.ContactSignedIn
	verified contract.Authenticated
	session  contract.Session
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{o: newOrg(t), device: newDevice()}
	f.contact = f.o.contact(t, f.device, map[string]any{"name": "Fixture", "custom_data": map[string]any{"v": 1}})
	f.verified = f.o.authenticate(t, map[string]any{"user_id": uniq("fixture"), "name": "Fixed", "custom_data": map[string]any{"v": 1}})
	f.session = createSession(t, f.o.widget(f.contact.Token), nil)
	say(t, f.o.widget(f.contact.Token), f.session.ID, "hello")
	return f
}

// snapshot is, read through the API, everything a refused write could have
// changed; reading the verified user's /me also says it was not revoked.
type snapshot struct {
	Sessions, Messages []string
	Contact, User      contract.Me
}

func (f *fixture) snap(t testing.TB) snapshot {
	t.Helper()
	return snapshot{sessionIDs(orgSessions(t, f.o, nil)), messageIDs(orgSession(t, f.o, f.session.ID).Messages),
		f.o.me(t, f.contact.Token), f.o.me(t, f.verified.Token)}
}

func (f *fixture) unchanged(t testing.TB, before snapshot) {
	t.Helper()
	match(t, "after the refused requests", f.snap(t), before)
}

// bodyRoute is a route that reads a body, with its caller.
type bodyRoute struct {
	name string
	c    *caller
	path string
}

func (f *fixture) bodyRoutes(t testing.TB) []bodyRoute {
	t.Helper()
	sid := url.PathEscape(f.session.ID)
	return []bodyRoute{
		{"admin orgs", vendor(t), "/v1/admin/orgs"},
		{"authenticate", f.o.api(), "/v1/users/authenticate"},
		{"revoke", f.o.api(), "/v1/users/revoke"},
		{"agent message", f.o.api(), "/v1/sessions/" + sid + "/messages"},
		{"contacts", f.o.widget(""), "/v1/widget/contacts"},
		{"widget sessions", f.o.widget(f.contact.Token), "/v1/widget/sessions"},
		{"widget message", f.o.widget(f.contact.Token), "/v1/widget/sessions/" + sid + "/messages"},
	}
}

func TestPayloadTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.snap(t)
	big := func() []byte {
		return []byte(`{"device_id":"` + f.device + `","user_id":"x","name":"Big","content":"` + strings.Repeat("x", 70<<10) + `"}`)
	}
	t.Run("routes", func(t *testing.T) {
		for _, rt := range f.bodyRoutes(t) {
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
			vendor(t).post(t, "/v1/admin/orgs/"+url.PathEscape(f.o.ID)+"/api-keys", contract.Raw(big())).fails(413, "payload_too_large")
		})
	})
	f.unchanged(t, before)

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
	c := as[contract.ContactSignedIn](f.o.widget("").post(t, "/v1/widget/contacts", contract.Raw(at)), 200)
	match(t, "64 KiB body: contact", c.Contact, M{"name": "Boundary"})
	f.o.widget("").post(t, "/v1/widget/contacts", contract.Raw(pad(64<<10+1))).fails(413, "payload_too_large")
}
