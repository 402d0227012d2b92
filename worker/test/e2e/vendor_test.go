//go:build !js

package e2e

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

var (
	widgetTokenRE = regexp.MustCompile(`^pk_[A-Za-z0-9_-]{24,}$`)
	apiKeyRE      = regexp.MustCompile(`^sk_[A-Za-z0-9_-]{32,}$`)
)

// keyWorks reports whether secret is accepted as an api key.
func keyWorks(t testing.TB, secret string) bool {
	t.Helper()
	r := anon(t).get(t, "/v1/sessions", bearer(secret))
	switch r.Status {
	case 200:
		var l sessionList
		r.into(&l)
		return true
	case 401:
		if e := r.errorBody(); e.Code != "unauthorized" {
			t.Errorf("refused api key: code %q, want unauthorized", e.Code)
		}
		return false
	default:
		t.Fatalf("GET /v1/sessions with an api key: status %d\n%s", r.Status, r.excerpt())
		return false
	}
}

func TestCreateOrg(t *testing.T) {
	t.Parallel()
	name := uniq("Acme Shop")
	origins := []string{"https://shop.example", "http://localhost:3000"}
	before := time.Now()
	var out createOrgReply
	vendor(t).post(t, "/v1/admin/orgs", map[string]any{"name": name, "allowed_origins": origins}).ok(201, &out)

	if out.Org.ID == "" {
		t.Error("org.id is empty")
	}
	if out.Org.Name != name {
		t.Errorf("org.name = %q, want %q", out.Org.Name, name)
	}
	if !widgetTokenRE.MatchString(out.Org.WidgetToken) {
		t.Errorf("org.widget_token = %q, want pk_ and at least 24 URL-safe characters", out.Org.WidgetToken)
	}
	if !slices.Equal(out.Org.AllowedOrigins, origins) {
		t.Errorf("org.allowed_origins = %q, want %q", out.Org.AllowedOrigins, origins)
	}
	if ts := rfc3339UTC(t, "org.created_at", out.Org.CreatedAt); !ts.IsZero() && (ts.Before(before.Add(-time.Hour)) || ts.After(before.Add(time.Hour))) {
		t.Errorf("org.created_at = %s, not about now (%s)", out.Org.CreatedAt, before.UTC().Format(time.RFC3339))
	}
	if out.APIKey.ID == "" {
		t.Error("api_key.id is empty")
	}
	if !apiKeyRE.MatchString(out.APIKey.Secret) {
		t.Errorf("api_key.secret = %q, want sk_ and at least 32 URL-safe characters", out.APIKey.Secret)
	}
	if strings.Contains(out.APIKey.ID, strings.TrimPrefix(out.APIKey.Secret, "sk_")) {
		t.Errorf("api_key.id %q contains the secret", out.APIKey.ID)
	}

	// The key and the widget token both work at once.
	if !keyWorks(t, out.APIKey.Secret) {
		t.Error("the new org's api key is refused")
	}
	o := &org{Org: out.Org, Key: out.APIKey, Origin: origins[0]}
	o.contact(t, newDevice(), nil)
	o2 := &org{Org: out.Org, Key: out.APIKey, Origin: origins[1]}
	o2.contact(t, newDevice(), nil)

	// A second org gets its own everything.
	other := newOrg(t)
	if other.ID == o.ID || other.WidgetToken == o.WidgetToken || other.Key.Secret == o.Key.Secret || other.Key.ID == o.Key.ID {
		t.Errorf("two orgs share an id, widget token or key: %+v / %+v", o, other)
	}
}

func TestAdminNeedsAdminToken(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	admin := server(t).AdminToken
	body := map[string]any{"name": "x", "allowed_origins": []string{"https://x.example"}}
	creds := []cred{
		{"none", without("Authorization")},
		{"wrong token", bearer("not-the-admin-token")},
		{"admin token with a suffix", bearer(admin + "x")},
		{"admin token without scheme", header("Authorization", admin)},
		{"basic scheme", header("Authorization", "Basic "+admin)},
		{"empty bearer", header("Authorization", "Bearer ")},
		{"an org's api key", bearer(o.Key.Secret)},
		{"an org's widget token", bearer(o.WidgetToken)},
	}
	routes := []route{
		{"POST", "/v1/admin/orgs", body},
		{"POST", "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys", nil},
		{"DELETE", "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys/" + url.PathEscape(o.Key.ID), nil},
	}
	refusedOn(t, vendor(t), routes, creds, false)
	// The refused DELETEs did not delete the key.
	if !keyWorks(t, o.Key.Secret) {
		t.Error("an unauthorized DELETE of the api key deleted it")
	}
}

func TestCreateOrgBadBody(t *testing.T) {
	t.Parallel()
	ok := []string{"https://shop.example"}
	cases := []struct {
		name  string
		body  any
		code  string
		field string // the field the message must name, for invalid_request
	}{
		{"malformed", raw(`{"name": "x", "allowed_origins": [`), "invalid_json", ""},
		{"not json", raw(`name=x`), "invalid_json", ""},
		{"trailing garbage", raw(`{"name":"x","allowed_origins":["https://shop.example"]} x`), "invalid_json", ""},
		{"array", raw(`[]`), "invalid_request", ""},
		{"string", raw(`"x"`), "invalid_request", ""},
		{"empty object", map[string]any{}, "invalid_request", ""},
		{"no allowed_origins", map[string]any{"name": "x"}, "invalid_request", "allowed_origins"},
		{"allowed_origins string", map[string]any{"name": "x", "allowed_origins": "x"}, "invalid_request", "allowed_origins"},
		{"allowed_origins null", map[string]any{"name": "x", "allowed_origins": nil}, "invalid_request", "allowed_origins"},
		{"allowed_origins numbers", map[string]any{"name": "x", "allowed_origins": []any{5}}, "invalid_request", "allowed_origins"},
		{"allowed_origins object", map[string]any{"name": "x", "allowed_origins": map[string]any{"a": "b"}}, "invalid_request", "allowed_origins"},
		{"allowed_origins not a url", map[string]any{"name": "x", "allowed_origins": []string{"not a url"}}, "invalid_request", "allowed_origins"},
		{"no name", map[string]any{"allowed_origins": ok}, "invalid_request", "name"},
		{"name number", map[string]any{"name": 5, "allowed_origins": ok}, "invalid_request", "name"},
		{"name too long", map[string]any{"name": strings.Repeat("n", 201), "allowed_origins": ok}, "invalid_request", "name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := vendor(t).post(t, "/v1/admin/orgs", c.body)
			if c.field != "" {
				r.failsNaming(c.field)
			} else {
				r.fails(400, c.code)
			}
		})
	}
	t.Run("name of 200 characters is fine", func(t *testing.T) {
		t.Parallel()
		name := strings.Repeat("é", 200)
		var out createOrgReply
		vendor(t).post(t, "/v1/admin/orgs", map[string]any{"name": name, "allowed_origins": ok}).ok(201, &out)
		if out.Org.Name != name {
			t.Errorf("name = %q, want %q", out.Org.Name, name)
		}
	})
	t.Run("unknown fields are ignored", func(t *testing.T) {
		t.Parallel()
		var out createOrgReply
		vendor(t).post(t, "/v1/admin/orgs", map[string]any{"name": "x", "allowed_origins": ok, "id": "chosen-by-caller", "widget_token": "pk_chosenbycallerxxxxxxxxxxxxxxxx"}).ok(201, &out)
		if out.Org.ID == "chosen-by-caller" || out.Org.WidgetToken == "pk_chosenbycallerxxxxxxxxxxxxxxxx" {
			t.Errorf("the caller chose the org's id or widget token: %+v", out.Org)
		}
	})
}

func TestRotateAPIKey(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	var out contract.APIKeyCreated
	vendor(t).post(t, "/v1/admin/orgs/"+url.PathEscape(o.ID)+"/api-keys", nil).ok(201, &out)
	if out.APIKey.ID == "" || out.APIKey.ID == o.Key.ID {
		t.Errorf("new api_key.id = %q, want a new id (old %q)", out.APIKey.ID, o.Key.ID)
	}
	if !apiKeyRE.MatchString(out.APIKey.Secret) || out.APIKey.Secret == o.Key.Secret {
		t.Errorf("new api_key.secret = %q, want a new sk_ secret of at least 32 characters", out.APIKey.Secret)
	}
	if !keyWorks(t, o.Key.Secret) {
		t.Error("the old key stopped working after rotation")
	}
	if !keyWorks(t, out.APIKey.Secret) {
		t.Error("the new key does not work")
	}

	// Both keys act for the same org: a session made through the widget is
	// visible with either.
	w := o.widget(t, o.contactToken(t))
	s := createSession(t, w, nil)
	for _, secret := range []string{o.Key.Secret, out.APIKey.Secret} {
		var l sessionList
		anon(t).get(t, "/v1/sessions", bearer(secret)).ok(200, &l)
		sameSet(t, "GET /v1/sessions with either key", sessionIDs(l.Items), []string{s.ID})
	}
	// And an agent message posted with the new key lands in that session.
	o2 := &org{Org: o.Org, Key: out.APIKey, Origin: o.Origin}
	m := agentSay(t, o2, s.ID, "hello from the new key", "")
	if d := widgetSession(t, w, s.ID); len(d.Messages) != 1 || d.Messages[0].ID != m.ID {
		t.Errorf("widget sees messages %v, want the agent's %s", messageIDs(d.Messages), m.ID)
	}
}

func TestDeleteAPIKey(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	var second contract.APIKeyCreated
	vendor(t).post(t, "/v1/admin/orgs/"+url.PathEscape(o.ID)+"/api-keys", nil).ok(201, &second)

	r := vendor(t).del(t, "/v1/admin/orgs/"+url.PathEscape(o.ID)+"/api-keys/"+url.PathEscape(o.Key.ID)).expect(204)
	if len(strings.TrimSpace(string(r.Body))) != 0 {
		t.Errorf("204 with a body: %q", r.Body)
	}
	// The deleted key is refused on the very next request, on every route.
	anon(t).get(t, "/v1/sessions", bearer(o.Key.Secret)).fails(401, "unauthorized")
	anon(t).post(t, "/v1/users/authenticate", map[string]any{"user_id": "u"}, bearer(o.Key.Secret)).fails(401, "unauthorized")
	anon(t).post(t, "/v1/users/revoke", map[string]any{"user_id": "u"}, bearer(o.Key.Secret)).fails(401, "unauthorized")
	anon(t).get(t, "/v1/sessions/whatever", bearer(o.Key.Secret)).fails(401, "unauthorized")
	// The other key still works.
	if !keyWorks(t, second.APIKey.Secret) {
		t.Error("deleting one key broke the other")
	}
	// The deleted key stays refused.
	if keyWorks(t, o.Key.Secret) {
		t.Error("the deleted key works again")
	}
	// Deleting it again: it is not there any more.
	vendor(t).del(t, "/v1/admin/orgs/"+url.PathEscape(o.ID)+"/api-keys/"+url.PathEscape(o.Key.ID)).fails(404, "not_found")
}

func TestAdminUnknownOrgAndKey(t *testing.T) {
	t.Parallel()
	a, b := newOrg(t), newOrg(t)
	unknown := uniq("no-such-org")

	t.Run("rotate for unknown org", func(t *testing.T) {
		vendor(t).post(t, "/v1/admin/orgs/"+unknown+"/api-keys", nil).fails(404, "not_found")
	})
	t.Run("delete on unknown org", func(t *testing.T) {
		vendor(t).del(t, "/v1/admin/orgs/"+unknown+"/api-keys/"+url.PathEscape(a.Key.ID)).fails(404, "not_found")
		if !keyWorks(t, a.Key.Secret) {
			t.Error("the key was deleted through an unknown org")
		}
	})
	t.Run("delete unknown key", func(t *testing.T) {
		vendor(t).del(t, "/v1/admin/orgs/"+url.PathEscape(a.ID)+"/api-keys/"+uniq("no-such-key")).fails(404, "not_found")
		if !keyWorks(t, a.Key.Secret) {
			t.Error("the org's key stopped working")
		}
	})
	t.Run("delete another org's key", func(t *testing.T) {
		vendor(t).del(t, "/v1/admin/orgs/"+url.PathEscape(a.ID)+"/api-keys/"+url.PathEscape(b.Key.ID)).fails(404, "not_found")
		if !keyWorks(t, b.Key.Secret) {
			t.Error("org B's key was deleted through org A's path")
		}
	})
	t.Run("very long ids", func(t *testing.T) {
		long := strings.Repeat("x", 1000)
		vendor(t).post(t, "/v1/admin/orgs/"+long+"/api-keys", nil).fails(404, "not_found")
		vendor(t).del(t, "/v1/admin/orgs/"+url.PathEscape(a.ID)+"/api-keys/"+long).fails(404, "not_found")
	})
}
