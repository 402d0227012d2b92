//go:build !js

package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// keyWorks reports whether secret is accepted as an api key.
func keyWorks(t testing.TB, secret string) bool {
	t.Helper()
	r := anon(t).get(t, "/v1/sessions", contract.Bearer(secret))
	if r.Status == 401 {
		r.fails(401, "unauthorized")
		return false
	}
	as[contract.SessionList](r, 200)
	return true
}

func TestCreateOrg(t *testing.T) {
	t.Parallel()
	name := uniq("Acme Shop")
	origins := []string{"https://shop.example", "http://localhost:3000"}
	before := time.Now()
	out := typed(vendor(t).c.CreateOrg(t.Context(), contract.CreateOrgRequest{Name: name, AllowedOrigins: origins})).want(t, 201)

	match(t, "POST /v1/admin/orgs", out, M{
		"org":     M{"id": contract.NonEmpty, "name": name, "allowed_origins": origins},
		"api_key": M{"id": contract.NonEmpty, "secret": contract.NonEmpty},
	})
	near(t, "org.created_at", rfc3339UTC(t, "org.created_at", out.Org.CreatedAt), before, time.Hour)
	match(t, "api_key.id "+out.APIKey.ID+" holds the secret", strings.Contains(out.APIKey.ID, strings.TrimPrefix(out.APIKey.Secret, "sk_")), false)

	// The key and the widget token, on each origin, work at once.
	match(t, "the new org's api key works", keyWorks(t, out.APIKey.Secret), true)
	for _, origin := range origins {
		(&org{Org: out.Org, Key: out.APIKey, Origin: origin, base: anon(t)}).contact(t, newDevice(), nil)
	}

	// A second org gets its own everything.
	match(t, "a second org", newOrg(t), M{"id": contract.Not(out.Org.ID), "widget_token": contract.Not(out.Org.WidgetToken),
		"Key": M{"secret": contract.Not(out.APIKey.Secret), "id": contract.Not(out.APIKey.ID)}})
}

func TestCreateOrgBadBody(t *testing.T) {
	t.Parallel()
	ok := []string{"https://shop.example"}
	// A refusal naming a field is invalid_request.
	refuses(t, "refused", vendor(t), "/v1/admin/orgs", []refusal{
		{"malformed", contract.Raw(`{"name": "x", "allowed_origins": [`), []string{"invalid_json"}, ""},
		{"not json", contract.Raw(`name=x`), []string{"invalid_json"}, ""},
		{"trailing garbage", contract.Raw(`{"name":"x","allowed_origins":["https://shop.example"]} x`), []string{"invalid_json"}, ""},
		{"array", contract.Raw(`[]`), []string{"invalid_request"}, ""},
		{"string", contract.Raw(`"x"`), []string{"invalid_request"}, ""},
		{"empty object", map[string]any{}, []string{"invalid_request"}, ""},
		{"no allowed_origins", map[string]any{"name": "x"}, nil, "allowed_origins"},
		{"allowed_origins string", map[string]any{"name": "x", "allowed_origins": "x"}, nil, "allowed_origins"},
		{"allowed_origins null", map[string]any{"name": "x", "allowed_origins": nil}, nil, "allowed_origins"},
		{"allowed_origins numbers", map[string]any{"name": "x", "allowed_origins": []any{5}}, nil, "allowed_origins"},
		{"allowed_origins object", map[string]any{"name": "x", "allowed_origins": map[string]any{"a": "b"}}, nil, "allowed_origins"},
		{"allowed_origins not a url", map[string]any{"name": "x", "allowed_origins": []string{"not a url"}}, nil, "allowed_origins"},
		{"no name", map[string]any{"allowed_origins": ok}, nil, "name"},
		{"name number", map[string]any{"name": 5, "allowed_origins": ok}, nil, "name"},
		{"name too long", map[string]any{"name": strings.Repeat("n", 201), "allowed_origins": ok}, nil, "name"},
	})
	t.Run("name of 200 characters is fine", func(t *testing.T) {
		t.Parallel()
		name := strings.Repeat("é", 200)
		out := typed(vendor(t).c.CreateOrg(t.Context(), contract.CreateOrgRequest{Name: name, AllowedOrigins: ok})).want(t, 201)
		match(t, "org", out.Org, M{"name": name})
	})
	t.Run("unknown fields are ignored", func(t *testing.T) {
		t.Parallel()
		out := as[contract.OrgCreated](vendor(t).post(t, "/v1/admin/orgs", map[string]any{"name": "x", "allowed_origins": ok, "id": "chosen-by-caller", "widget_token": "pk_chosenbycallerxxxxxxxxxxxxxxxx"}), 201)
		match(t, "fields the caller chose", out.Org, M{"id": contract.Not("chosen-by-caller"), "widget_token": contract.Not("pk_chosenbycallerxxxxxxxxxxxxxxxx")})
	})
}

// TestRotateAPIKey: a second key works at once, beside the first, for the
// same org; deleting the first refuses it on the very next request, on every
// route, and leaves the second working.
func TestRotateAPIKey(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	out := typed(vendor(t).c.CreateAPIKey(t.Context(), o.ID)).want(t, 201)
	match(t, "new api_key", out.APIKey, M{"id": contract.Not(o.Key.ID), "secret": contract.Not(o.Key.Secret)})
	match(t, "the old key and the new key work", []bool{keyWorks(t, o.Key.Secret), keyWorks(t, out.APIKey.Secret)}, []bool{true, true})

	// Both keys act for the same org: a session made through the widget is
	// visible with either, and an agent message posted with the new key lands
	// in it.
	w, s := o.chat(t)
	for _, secret := range []string{o.Key.Secret, out.APIKey.Secret} {
		l := as[contract.SessionList](anon(t).get(t, "/v1/sessions", contract.Bearer(secret)), 200)
		sameSet(t, "GET /v1/sessions with either key", sessionIDs(l.Items), []string{s.ID})
	}
	newKey := &org{Org: o.Org, Key: out.APIKey, Origin: o.Origin, base: o.base}
	m := agentSay(t, newKey, s.ID, "hello from the new key", "")
	match(t, "the widget sees the agent's message", messageIDs(widgetSession(t, w, s.ID).Messages), []string{m.ID})

	oldKey := "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys/" + url.PathEscape(o.Key.ID)
	r := vendor(t).do(t, "DELETE", oldKey, nil).expect(204)
	match(t, "the body of the 204", strings.TrimSpace(string(r.Body)), "")
	old := anon(t).with(contract.Bearer(o.Key.Secret))
	old.get(t, "/v1/sessions").fails(401, "unauthorized")
	old.post(t, "/v1/users/authenticate", map[string]any{"user_id": "u"}).fails(401, "unauthorized")
	old.post(t, "/v1/users/revoke", map[string]any{"user_id": "u"}).fails(401, "unauthorized")
	old.get(t, "/v1/sessions/whatever").fails(401, "unauthorized")
	match(t, "the new key works, the deleted one not", []bool{keyWorks(t, out.APIKey.Secret), keyWorks(t, o.Key.Secret)}, []bool{true, false})
	// Deleting it again: it is not there any more.
	vendor(t).do(t, "DELETE", oldKey, nil).fails(404, "not_found")
}

// TestChangeOrgOrigins: the vendor adds a site's new domain and drops its
// old one with PATCH /v1/admin/orgs/{org_id} (beyond API.md); pages of the
// new one work at once, the old one's are refused, and GET shows the org
// and its keys without a secret.
func TestChangeOrgOrigins(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	moved := "https://" + strings.ToLower(strings.ReplaceAll(uniq("moved"), " ", "-")) + ".example"
	at := func(origin string) *org { return &org{Org: o.Org, Key: o.Key, Origin: origin, base: o.base} }
	at(moved).widget("").post(t, "/v1/widget/contacts", map[string]any{"device_id": newDevice()}).fails(403, "origin_not_allowed")

	up := typed(vendor(t).c.UpdateOrg(t.Context(), o.ID, contract.UpdateOrgRequest{AllowedOrigins: []string{o.Origin, moved}})).want(t, 200)
	match(t, "PATCH: the org", up.Org, M{"id": o.ID, "widget_token": o.WidgetToken, "allowed_origins": []string{o.Origin, moved}})
	at(moved).contact(t, newDevice(), nil)
	typed(vendor(t).c.UpdateOrg(t.Context(), o.ID, contract.UpdateOrgRequest{AllowedOrigins: []string{moved}})).want(t, 200)
	at(o.Origin).widget("").post(t, "/v1/widget/contacts", map[string]any{"device_id": newDevice()}).fails(403, "origin_not_allowed")
	at(moved).contact(t, newDevice(), nil)

	got := typed(vendor(t).c.GetOrg(t.Context(), o.ID)).want(t, 200)
	match(t, "GET: the org's origins", got.Org.AllowedOrigins, []string{moved})
	match(t, "GET: its one key", len(got.APIKeys) == 1 && got.APIKeys[0].ID == o.Key.ID, true)
	match(t, "the org's api key still works", keyWorks(t, o.Key.Secret), true)
	vendor(t).do(t, "PATCH", "/v1/admin/orgs/"+url.PathEscape(o.ID), map[string]any{"allowed_origins": []string{"https://*.example"}}).fails(400, "invalid_request")
	anon(t).with(contract.Bearer(o.Key.Secret)).do(t, "GET", "/v1/admin/orgs/"+url.PathEscape(o.ID), nil).fails(401, "unauthorized")
}

// TestNoCORSOnServerRoutes: the server's and the vendor's routes send no
// CORS header when they succeed either (their refusals and preflights are
// the attack suite's class cors-server-routes).
func TestNoCORSOnServerRoutes(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	_, s := o.chat(t)
	sid := url.PathEscape(s.ID)
	rot := typed(vendor(t).c.CreateAPIKey(t.Context(), o.ID)).want(t, 201)

	routes := []struct {
		c            *caller
		method, path string
		body         any
	}{
		{o.api(), "POST", "/v1/users/authenticate", map[string]any{"user_id": uniq("cors")}},
		{o.api(), "POST", "/v1/users/revoke", map[string]any{"user_id": uniq("cors")}},
		{o.api(), "POST", "/v1/sessions/" + sid + "/messages", map[string]any{"content": "agent"}},
		{vendor(t), "POST", "/v1/admin/orgs", map[string]any{"name": "cors", "allowed_origins": []string{o.Origin}}},
		{vendor(t), "POST", "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys", nil},
		{vendor(t), "DELETE", "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys/" + url.PathEscape(rot.APIKey.ID), nil},
		{vendor(t), "GET", "/v1/admin/orgs/" + url.PathEscape(o.ID), nil},
		{vendor(t), "PATCH", "/v1/admin/orgs/" + url.PathEscape(o.ID), map[string]any{"name": "cors"}},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+pattern(rt.path), func(t *testing.T) {
			r := rt.c.do(t, rt.method, rt.path, rt.body, contract.Origin(o.Origin))
			if r.Status >= 300 {
				t.Fatalf("status %d, want a success\n%s", r.Status, r.excerpt())
			}
			for k, v := range r.Header { // canonical keys, as net/http's client gives them
				if strings.HasPrefix(k, "Access-Control-") {
					t.Errorf("%d with Origin %s: CORS header %s: %s", r.Status, o.Origin, k, strings.Join(v, ", "))
				}
			}
		})
	}
}
