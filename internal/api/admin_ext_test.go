package api_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/kv"
)

const originNew = "https://new.shop.example"

// preflight asks the CORS preflight of a widget route from origin.
func (e *env) preflight(origin string) resp {
	e.t.Helper()
	return e.send(request("OPTIONS", "/v1/widget/contacts", nil, "Origin", origin, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-widget-token"))
}

// allowed reports whether a widget call from origin is let through (the
// contact is made) rather than refused with origin_not_allowed.
func (e *env) allowed(o orgInfo, origin string) bool {
	e.t.Helper()
	r := e.widget(o, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1}, "Origin", origin)
	switch {
	case r.Status == 200:
		return true
	case r.Status == 403 && r.code() == "origin_not_allowed":
		return false
	}
	e.t.Fatalf("contact from %s: %d %s", origin, r.Status, r.Raw)
	return false
}

// The vendor changes an org's origins with PATCH /v1/admin/orgs/{org_id}: an
// added origin's pages may use the widget at once (its preflight too), a
// dropped one's are refused, and the widget token and keys stay.
func TestTheVendorChangesAnOrgsOrigins(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("Shop", originA)
	if e.allowed(o, originNew) {
		t.Fatal("an origin not yet added is allowed")
	}
	r := e.admin("PATCH", "/v1/admin/orgs/"+o.ID, map[string]any{"allowed_origins": []string{originA, "HTTPS://New.Shop.Example:443", originNew}})
	if r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Raw)
	}
	org := r.Body["org"].(map[string]any)
	if got := org["allowed_origins"].([]any); len(got) != 2 || got[0] != originA || got[1] != originNew {
		t.Errorf("allowed_origins %v, want [%s %s]: stored as browsers send them, once", got, originA, originNew)
	}
	if org["widget_token"] != o.PK || org["name"] != "Shop" || org["id"] != o.ID {
		t.Errorf("org %v: the widget token, name and id stay", org)
	}
	if !e.allowed(o, originNew) || !e.allowed(o, originA) {
		t.Error("after adding: both origins must be allowed")
	}
	if p := e.preflight(originNew); p.Header.Get("Access-Control-Allow-Origin") != originNew {
		t.Errorf("preflight of the added origin: %d %v", p.Status, p.Header)
	}
	if r := e.admin("PATCH", "/v1/admin/orgs/"+o.ID, map[string]any{"allowed_origins": []string{originNew}, "name": " Shop 2 "}); r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Raw)
	} else if r.Body["org"].(map[string]any)["name"] != "Shop 2" {
		t.Errorf("name %v, want it trimmed", r.Body["org"])
	}
	if e.allowed(o, originA) {
		t.Error("a dropped origin is still allowed")
	}
	if p := e.preflight(originA); p.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of the dropped origin still allowed: %v", p.Header)
	}
	if r := e.server(o, "GET", "/v1/sessions", nil); r.Status != 200 {
		t.Errorf("the org's api key after the change: %d %s", r.Status, r.Raw)
	}
	// Another org allowing the dropped origin keeps its preflight.
	b := e.newOrg("B", originA)
	e.admin("PATCH", "/v1/admin/orgs/"+o.ID, map[string]any{"allowed_origins": []string{}})
	if p := e.preflight(originA); p.Header.Get("Access-Control-Allow-Origin") != originA || !e.allowed(b, originA) {
		t.Errorf("org B's origin after A dropped it: %v", p.Header)
	}
}

// Another worker instance, which keeps the orgs it read, sees a changed
// origin within a minute (as KV itself may take), not never.
func TestAnotherInstanceSeesAnOrgsNewOriginsWithinAMinute(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("Shop", originA)
	other, err := api.New(e.mem, e.cfg, api.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	f := &env{harness: &harness{t: t, h: other, mem: e.mem}, clock: e.clock, cfg: e.cfg}
	if !f.allowed(o, originA) { // the other instance now keeps the org
		t.Fatal("not allowed before the change")
	}
	e.admin("PATCH", "/v1/admin/orgs/"+o.ID, map[string]any{"allowed_origins": []string{originNew}})
	e.clock.Advance(time.Minute)
	if f.allowed(o, originA) || !f.allowed(o, originNew) {
		t.Error("a minute after the change, the other instance still has the old origins")
	}
}

// A widget request of this instance that read the org before the vendor's
// PATCH, and ends after it, does not keep the org as it was: once the PATCH
// has answered, this instance sees the new origins at once (README), not a
// minute later. Before, the late read put the old org into the instance's
// org cache after the PATCH had dropped it: the dropped origin stayed
// allowed and the added one refused for orgCacheTTL.
func TestAReadDuringAPatchDoesNotKeepTheOldOrigins(t *testing.T) {
	g := &gatedGets{}
	a, mem, clock, cfg := buildAPIOver(t, nil, func(m *kv.Memory) kv.KV { g.Memory = m; return g })
	e := &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	o := e.newOrg("Shop", originA)
	read := g.arm("widget/")
	var wg sync.WaitGroup
	wg.Go(func() { e.allowed(o, originA) })
	<-read.reached // the widget request has read the org, with originA
	if r := e.admin("PATCH", "/v1/admin/orgs/"+o.ID, map[string]any{"allowed_origins": []string{originNew}}); r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Raw)
	}
	close(read.opened)
	wg.Wait()
	if e.allowed(o, originA) {
		t.Error("after the PATCH, the dropped origin is still allowed in this instance")
	}
	if !e.allowed(o, originNew) {
		t.Error("after the PATCH, the added origin is still refused in this instance")
	}
}

// GET /v1/admin/orgs/{org_id} shows the org and its live api keys, oldest
// first, with ids and times and never a secret or its hash.
func TestTheVendorSeesAnOrgAndItsKeys(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("Shop", originA)
	e.clock.Advance(time.Second)
	k2 := e.admin("POST", "/v1/admin/orgs/"+o.ID+"/api-keys", nil)
	if k2.Status != 201 {
		t.Fatalf("new key: %d %s", k2.Status, k2.Raw)
	}
	second := k2.Body["api_key"].(map[string]any)
	ids := func() []string {
		t.Helper()
		r := e.admin("GET", "/v1/admin/orgs/"+o.ID, nil)
		if r.Status != 200 {
			t.Fatalf("get: %d %s", r.Status, r.Raw)
		}
		if strings.Contains(r.Raw, "sk_") || strings.Contains(r.Raw, "hash") {
			t.Errorf("the answer shows a secret: %s", r.Raw)
		}
		if r.Body["org"].(map[string]any)["widget_token"] != o.PK {
			t.Errorf("org %v", r.Body["org"])
		}
		var out []string
		for _, k := range r.Body["api_keys"].([]any) {
			k := k.(map[string]any)
			if _, err := time.Parse(time.RFC3339, k["created_at"].(string)); err != nil {
				t.Errorf("created_at %v", k["created_at"])
			}
			out = append(out, k["id"].(string))
		}
		return out
	}
	if got := ids(); len(got) != 2 || got[0] != o.KeyID || got[1] != second["id"] {
		t.Errorf("keys %v, want [%s %s]", got, o.KeyID, second["id"])
	}
	e.admin("DELETE", "/v1/admin/orgs/"+o.ID+"/api-keys/"+o.KeyID, nil)
	if got := ids(); len(got) != 1 || got[0] != second["id"] {
		t.Errorf("keys after deleting the first %v", got)
	}
}

// What the two routes refuse, each refusal changing nothing stored.
func TestTheOrgRoutesRefuse(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("Shop", originA)
	other := e.newOrg("Other")
	path := "/v1/admin/orgs/" + o.ID
	for _, c := range []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		code               string
	}{
		{"nothing to change", "PATCH", path, map[string]any{}, nil, 400, "invalid_request"},
		{"nulls change nothing", "PATCH", path, `{"name":null,"allowed_origins":null}`, nil, 400, "invalid_request"},
		{"empty name", "PATCH", path, map[string]any{"name": "  "}, nil, 400, "invalid_request"},
		{"a wildcard origin", "PATCH", path, map[string]any{"allowed_origins": []string{"https://*.shop.example"}}, nil, 400, "invalid_request"},
		{"an origin with a path", "PATCH", path, map[string]any{"allowed_origins": []string{"https://shop.example/x"}}, nil, 400, "invalid_request"},
		{"origins not a list", "PATCH", path, `{"allowed_origins":"https://shop.example"}`, nil, 400, "invalid_request"},
		{"a repeated key", "PATCH", path, `{"name":"a","name":"b"}`, nil, 400, "invalid_json"},
		{"not JSON", "PATCH", path, `{"name":`, nil, 400, "invalid_json"},
		{"unknown org", "PATCH", "/v1/admin/orgs/00000000-0000-4000-8000-000000000000", map[string]any{"name": "x"}, nil, 404, "not_found"},
		{"unknown org, get", "GET", "/v1/admin/orgs/00000000-0000-4000-8000-000000000000", nil, nil, 404, "not_found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.refused(t, c.status, c.code, func() resp { return e.admin(c.method, c.path, c.body, c.headers...) })
		})
	}
	// Only the vendor: an api key (even the org's own), a widget token or nothing is 401.
	for _, h := range [][]string{{"Authorization", "Bearer " + o.SK}, {"Authorization", "Bearer " + other.SK}, {"X-Widget-Token", o.PK}, nil} {
		for _, m := range []string{"GET", "PATCH"} {
			e.refused(t, 401, "unauthorized", func() resp {
				return e.send(request(m, path, map[string]any{"name": "x"}, h...))
			})
		}
	}
	if r := e.admin("PUT", path, map[string]any{"name": "x"}); r.Status != 405 || !strings.Contains(r.Header.Get("Allow"), "PATCH") {
		t.Errorf("PUT: %d %v", r.Status, r.Header.Get("Allow"))
	}
}
