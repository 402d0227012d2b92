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

type bodyRoute struct {
	name      string
	c         *caller
	path      string
	wrongType any    // a body with one field of the wrong type
	field     string // that field
}

func (f *fixture) bodyRoutes(t testing.TB) []bodyRoute {
	t.Helper()
	sid := url.PathEscape(f.session.ID)
	uid := *f.verified.User.UserID
	return []bodyRoute{
		{"admin orgs", vendor(t), "/v1/admin/orgs", map[string]any{"name": 5, "allowed_origins": []string{"https://a.example"}}, "name"},
		{"admin orgs (origins)", vendor(t), "/v1/admin/orgs", map[string]any{"name": "x", "allowed_origins": "x"}, "allowed_origins"},
		{"authenticate", f.o.api(), "/v1/users/authenticate", map[string]any{"user_id": uid, "custom_data": "x"}, "custom_data"},
		{"authenticate (name)", f.o.api(), "/v1/users/authenticate", map[string]any{"user_id": uid, "name": 5}, "name"},
		{"revoke", f.o.api(), "/v1/users/revoke", map[string]any{"user_id": 5}, "user_id"},
		{"agent message", f.o.api(), "/v1/sessions/" + sid + "/messages", map[string]any{"content": 5}, "content"},
		{"contacts", f.o.widget(""), "/v1/widget/contacts", map[string]any{"device_id": f.device, "name": 5}, "name"},
		{"contacts (custom_data)", f.o.widget(""), "/v1/widget/contacts", map[string]any{"device_id": f.device, "custom_data": "x"}, "custom_data"},
		{"widget sessions", f.o.widget(f.contact.Token), "/v1/widget/sessions", map[string]any{"custom_data": "x"}, "custom_data"},
		{"widget sessions (external_id)", f.o.widget(f.contact.Token), "/v1/widget/sessions", map[string]any{"external_id": 5}, "external_id"},
		{"widget message", f.o.widget(f.contact.Token), "/v1/widget/sessions/" + sid + "/messages", map[string]any{"content": true}, "content"},
	}
}

func TestBadJSONAndTypesOnEveryRoute(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.snap(t)
	malformed := map[string][]byte{
		"truncated":      []byte(`{"content": "x"`),
		"not json":       []byte(`content=x`),
		"single quotes":  []byte(`{'content': 'x'}`),
		"trailing comma": []byte(`{"content": "x",}`),
		// Otherwise a good body for every route (unknown fields are ignored).
		"invalid utf-8": []byte(`{"device_id":"` + f.device + `","user_id":"someone-else","allowed_origins":["https://a.example"],` +
			"\"name\":\"Bad \xff\xfe\",\"content\":\"Bad \xff\xfe\"}"),
		"two objects": []byte(`{"content": "x"}{"content": "y"}`),
	}
	t.Run("routes", func(t *testing.T) {
		for _, rt := range f.bodyRoutes(t) {
			for name, body := range malformed {
				t.Run(rt.name+"/malformed/"+name, func(t *testing.T) {
					t.Parallel()
					codes := []string{"invalid_json"}
					if name == "invalid utf-8" {
						codes = append(codes, "invalid_request")
					}
					rt.c.post(t, rt.path, contract.Raw(body)).fails(400, codes...)
				})
			}
			t.Run(rt.name+"/wrong type", func(t *testing.T) {
				t.Parallel()
				rt.c.post(t, rt.path, rt.wrongType).failsNaming(rt.field)
			})
			for _, body := range []string{`[]`, `"x"`, `5`} {
				t.Run(rt.name+"/not an object "+body, func(t *testing.T) {
					t.Parallel()
					rt.c.post(t, rt.path, contract.Raw(body)).fails(400, "invalid_request")
				})
			}
		}
	})
	f.unchanged(t, before)
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
			if strings.Contains(rt.name, "(") {
				continue // one per path
			}
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

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := f.o.widget(f.contact.Token)
	sid := url.PathEscape(f.session.ID)
	// /v1/users is a route since DELETE /v1/users: /v1/user is not.
	requests(t, map[*caller][]string{
		anon(t):   {"GET /v1/nope", "GET /v1", "GET /v1/", "POST /v2/sessions"},
		w:         {"GET /v1/widget/nope", "POST /v1/widget/nope", "GET /v1/widget/sessions/" + sid + "/messages/x", "GET /v1/widget/sessions/" + sid + "/nope"},
		f.o.api(): {"GET /v1/sessions/" + sid + "/nope", "GET /v1/user", "POST /v1/users/nope"},
		vendor(t): {"GET /v1/admin/nope", "POST /v1/admin/orgs/" + url.PathEscape(f.o.ID) + "/nope"},
	}, nil, func(r *reply) { r.fails(404, "not_found") })
}

// requests runs a parallel subtest "METHOD {pattern}" for each "METHOD
// path" of each caller, sending body and checking the answer with want.
func requests(t *testing.T, calls map[*caller][]string, body any, want func(*reply)) {
	for c, reqs := range calls {
		for _, req := range reqs {
			method, path, _ := strings.Cut(req, " ")
			t.Run(method+" "+pattern(path), func(t *testing.T) {
				t.Parallel()
				want(c.do(t, method, path, body))
			})
		}
	}
}

func TestWrongMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.snap(t)
	w := f.o.widget(f.contact.Token)
	sid := url.PathEscape(f.session.ID)
	orgPath := "/v1/admin/orgs/" + url.PathEscape(f.o.ID)
	key := orgPath + "/api-keys/" + url.PathEscape(f.o.Key.ID)
	t.Run("routes", func(t *testing.T) {
		requests(t, map[*caller][]string{
			vendor(t): {"PUT /v1/admin/orgs", "PATCH /v1/admin/orgs", "PUT " + orgPath + "/api-keys", "PATCH " + key, "PUT " + key},
			f.o.api(): {"GET /v1/users/authenticate", "PUT /v1/users/authenticate", "GET /v1/users/revoke", "POST /v1/sessions",
				"PUT /v1/sessions/" + sid, "POST /v1/sessions/" + sid, "PUT /v1/sessions/" + sid + "/messages"},
			w: {"GET /v1/widget/contacts", "PUT /v1/widget/contacts", "POST /v1/widget/me", "PUT /v1/widget/sessions", "PATCH /v1/widget/sessions",
				"PUT /v1/widget/sessions/" + sid, "POST /v1/widget/sessions/" + sid, "PUT /v1/widget/sessions/" + sid + "/messages"},
			anon(t): {"POST /.well-known/jwks.json", "PUT /.well-known/jwks.json"},
		}, map[string]any{"content": "x", "name": "x"}, func(r *reply) { r.fails(405, "method_not_allowed") })
	})
	f.unchanged(t, before)
	match(t, "the key after wrong-method requests on its path works", keyWorks(t, f.o.Key.Secret), true)
}
