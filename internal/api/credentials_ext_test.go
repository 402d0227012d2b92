package api_test

import (
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/config"
)

func TestAdminCredentials(t *testing.T) {
	w := newWorld(t)
	calls := []struct{ method, path, body string }{
		{"POST", "/v1/admin/orgs", `{"name":"X","allowed_origins":["https://x.example"]}`},
		{"POST", "/v1/admin/orgs/" + w.a.ID + "/api-keys", ""},
		{"DELETE", "/v1/admin/orgs/" + w.a.ID + "/api-keys/" + w.a.KeyID, ""},
	}
	creds := map[string][]string{
		"none":                      nil,
		"wrong token":               {"Authorization", "Bearer wrong-admin-token"},
		"token with a suffix":       {"Authorization", "Bearer " + adminToken + "x"},
		"token prefix":              {"Authorization", "Bearer " + adminToken[:len(adminToken)-1]},
		"basic scheme":              {"Authorization", "Basic " + adminToken},
		"no scheme":                 {"Authorization", adminToken},
		"empty bearer":              {"Authorization", "Bearer "},
		"api key of the org":        {"Authorization", "Bearer " + w.a.SK},
		"widget token":              {"Authorization", "Bearer " + w.a.PK},
		"widget token header":       {"X-Widget-Token", adminToken},
		"verified token":            {"Authorization", "Bearer " + w.verifiedA},
		"admin token as query only": nil,
	}
	for name, h := range creds {
		for _, c := range calls {
			t.Run(name+"/"+c.method+" "+c.path, func(t *testing.T) {
				path := c.path
				if name == "admin token as query only" {
					path += "?token=" + adminToken
				}
				w.refused(t, 401, "unauthorized", func() resp { return w.send(request(c.method, path, c.body, h...)) })
			})
		}
	}
}

func TestAdminWithoutConfiguredToken(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.AdminToken = "" })
	for _, h := range [][]string{nil, {"Authorization", "Bearer "}, {"Authorization", "Bearer " + adminToken}, {"Authorization", "Bearer  "}} {
		e.refused(t, 401, "unauthorized", func() resp {
			return e.send(request("POST", "/v1/admin/orgs", `{"name":"X"}`, h...))
		})
	}
}

func TestAdminOnUnknownOrg(t *testing.T) {
	w := newWorld(t)
	for _, p := range []string{
		"/v1/admin/orgs/00000000-0000-4000-8000-000000000000/api-keys",
		"/v1/admin/orgs/" + strings.Repeat("x", 100) + "/api-keys",
	} {
		w.refused(t, 404, "not_found", func() resp { return w.admin("POST", p, nil) })
	}
	// A key id of org A named under org B is not found, and A's key keeps working.
	w.refused(t, 404, "not_found", func() resp {
		return w.admin("DELETE", "/v1/admin/orgs/"+w.b.ID+"/api-keys/"+w.a.KeyID, nil)
	})
	w.refused(t, 404, "not_found", func() resp {
		return w.admin("DELETE", "/v1/admin/orgs/"+w.a.ID+"/api-keys/00000000-0000-4000-8000-000000000000", nil)
	})
	if r := w.server(w.a, "GET", "/v1/sessions", nil); r.Status != 200 {
		t.Errorf("org A's key after the refused delete: %d %s", r.Status, r.Raw)
	}
}

func TestServerCredentials(t *testing.T) {
	w := newWorld(t)
	calls := []struct{ method, path, body string }{
		{"POST", "/v1/users/authenticate", `{"user_id":"u-1"}`},
		{"POST", "/v1/users/revoke", `{"user_id":"u-1"}`},
		{"GET", "/v1/sessions", ""},
		{"GET", "/v1/sessions/" + w.sessionA, ""},
		{"POST", "/v1/sessions/" + w.sessionA + "/messages", `{"content":"hi"}`},
	}
	creds := map[string][]string{
		"none":                     nil,
		"unknown key":              {"Authorization", "Bearer sk_" + strings.Repeat("A", 43)},
		"malformed key":            {"Authorization", "Bearer sk_short"},
		"key with a suffix":        {"Authorization", "Bearer " + w.a.SK + "x"},
		"key in other case":        {"Authorization", "Bearer " + strings.ToUpper(w.a.SK)},
		"basic scheme":             {"Authorization", "Basic " + w.a.SK},
		"key without scheme":       {"Authorization", w.a.SK},
		"admin token":              {"Authorization", "Bearer " + adminToken},
		"widget token as api key":  {"Authorization", "Bearer " + w.a.PK},
		"widget token header":      {"X-Widget-Token", w.a.PK},
		"api key in widget header": {"X-Widget-Token", w.a.SK},
		"contact token":            {"Authorization", "Bearer " + w.contactA},
		"verified token":           {"Authorization", "Bearer " + w.verifiedA},
	}
	for name, h := range creds {
		for _, c := range calls {
			t.Run(name+"/"+c.method+" "+c.path, func(t *testing.T) {
				w.refused(t, 401, "unauthorized", func() resp { return w.send(request(c.method, c.path, c.body, h...)) })
			})
		}
	}
}

// TestServerKeyOfAnotherOrg: org B's api key sees nothing of org A; a
// session of A is not found for it, as if it did not exist.
func TestServerKeyOfAnotherOrg(t *testing.T) {
	w := newWorld(t)
	w.refused(t, 404, "not_found", func() resp { return w.server(w.b, "GET", "/v1/sessions/"+w.sessionA, nil) })
	w.refused(t, 404, "not_found", func() resp {
		return w.server(w.b, "POST", "/v1/sessions/"+w.sessionA+"/messages", map[string]any{"content": "hi"})
	})
	if ids := listIDs(t, w.server(w.b, "GET", "/v1/sessions", nil)); len(ids) != 0 {
		t.Errorf("org B lists %q", ids)
	}
	if ids := listIDs(t, w.server(w.a, "GET", "/v1/sessions", nil)); len(ids) != 2 {
		t.Errorf("org A lists %q", ids)
	}
	// A session id that does not exist, or is not an id, is not found either.
	for _, id := range []string{"01890a5d-ac96-774b-bcce-b302099a8057", "x", strings.ToUpper(w.sessionA), "..%2F..%2Forg"} {
		w.refused(t, 404, "not_found", func() resp { return w.server(w.a, "GET", "/v1/sessions/"+id, nil) })
	}
}

func TestDeletedAndRotatedAPIKeys(t *testing.T) {
	w := newWorld(t)
	r := w.admin("POST", "/v1/admin/orgs/"+w.a.ID+"/api-keys", nil)
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	key := r.Body["api_key"].(map[string]any)
	if len(r.Body) != 1 || len(key) != 2 {
		t.Errorf("shape %s", r.Raw)
	}
	second := orgInfo{ID: w.a.ID, SK: key["secret"].(string)}
	// Rotation: both keys work.
	for _, o := range []orgInfo{w.a, second} {
		if r := w.server(o, "GET", "/v1/sessions", nil); r.Status != 200 {
			t.Errorf("key works before delete: %d %s", r.Status, r.Raw)
		}
	}
	r = w.admin("DELETE", "/v1/admin/orgs/"+w.a.ID+"/api-keys/"+w.a.KeyID, nil)
	if r.Status != 204 || r.Raw != "" {
		t.Fatalf("delete: %d %q", r.Status, r.Raw)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/sessions", ""},
		{"POST", "/v1/users/authenticate", `{"user_id":"u-1"}`},
		{"POST", "/v1/sessions/" + w.sessionA + "/messages", `{"content":"hi"}`},
	} {
		w.refused(t, 401, "unauthorized", func() resp { return w.server(w.a, c.method, c.path, c.body) })
	}
	if r := w.server(second, "GET", "/v1/sessions", nil); r.Status != 200 {
		t.Errorf("the other key after delete: %d %s", r.Status, r.Raw)
	}
	w.refused(t, 404, "not_found", func() resp {
		return w.admin("DELETE", "/v1/admin/orgs/"+w.a.ID+"/api-keys/"+w.a.KeyID, nil)
	})
}

func TestWidgetCredentials(t *testing.T) {
	w := newWorld(t)
	calls := []struct{ method, path, body string }{
		{"POST", "/v1/widget/contacts", `{"device_id":"` + device2 + `"}`},
		{"GET", "/v1/widget/me", ""},
		{"POST", "/v1/widget/sessions", `{}`},
		{"GET", "/v1/widget/sessions", ""},
		{"GET", "/v1/widget/sessions/" + w.sessionA, ""},
		{"POST", "/v1/widget/sessions/" + w.sessionA + "/messages", `{"content":"hi"}`},
	}
	bearer := "Bearer " + w.contactA
	for name, h := range map[string][]string{
		"no widget token":             {"Authorization", bearer},
		"unknown widget token":        {"X-Widget-Token", "pk_" + strings.Repeat("A", 32), "Authorization", bearer},
		"malformed widget token":      {"X-Widget-Token", "pk_x", "Authorization", bearer},
		"api key as widget token":     {"X-Widget-Token", w.a.SK, "Authorization", bearer},
		"admin token as widget token": {"X-Widget-Token", adminToken, "Authorization", bearer},
		"widget token as bearer only": {"Authorization", "Bearer " + w.a.PK},
	} {
		for _, c := range calls {
			t.Run(name+"/"+c.method+" "+c.path, func(t *testing.T) {
				w.refused(t, 401, "unauthorized", func() resp { return w.send(request(c.method, c.path, c.body, h...)) })
			})
		}
	}
}

func TestWidgetUserTokenRequired(t *testing.T) {
	w := newWorld(t)
	calls := []struct{ method, path, body string }{
		{"GET", "/v1/widget/me", ""},
		{"POST", "/v1/widget/sessions", `{}`},
		{"GET", "/v1/widget/sessions", ""},
		{"GET", "/v1/widget/sessions/" + w.sessionA, ""},
		{"POST", "/v1/widget/sessions/" + w.sessionA + "/messages", `{"content":"hi"}`},
	}
	for _, c := range calls {
		t.Run("none/"+c.method+" "+c.path, func(t *testing.T) {
			w.refused(t, 401, "unauthorized", func() resp { return w.widget(w.a, "", c.method, c.path, c.body) })
		})
		for name, tok := range map[string]string{
			"garbage":                 "not-a-jwt",
			"api key as user token":   w.a.SK,
			"widget token":            w.a.PK,
			"admin token":             adminToken,
			"damaged signature":       w.contactA[:len(w.contactA)-4] + "AAAA",
			"header and payload only": w.contactA[:strings.LastIndex(w.contactA, ".")+1],
			"alg none":                "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + strings.Split(w.contactA, ".")[1] + ".",
		} {
			t.Run(name+"/"+c.method+" "+c.path, func(t *testing.T) {
				w.refused(t, 401, "invalid_token", func() resp { return w.widget(w.a, tok, c.method, c.path, c.body) })
			})
		}
	}
}

// A credential header sent twice is refused, whichever value comes first,
// as the Worker refuses it: the Fetch API joins the two into one value
// ("Bearer a, Bearer b"), which is no credential. Before, the in-process
// server (net/http) read the first value only, and an admin token or api
// key followed by another value was let through.
func TestARepeatedCredentialHeaderIsRefused(t *testing.T) {
	w := newWorld(t)
	admin := "Bearer " + adminToken
	for _, c := range []struct {
		name, method, path, body string
		headers                  []string
	}{
		{"admin token, then another", "POST", "/v1/admin/orgs", `{"name":"X","allowed_origins":[]}`, []string{"Authorization", admin, "Authorization", "Bearer x"}},
		{"admin token twice", "POST", "/v1/admin/orgs/" + w.a.ID + "/api-keys", "", []string{"Authorization", admin, "Authorization", admin}},
		{"api key, then another org's", "GET", "/v1/sessions", "", []string{"Authorization", "Bearer " + w.a.SK, "Authorization", "Bearer " + w.b.SK}},
		{"api key twice", "POST", "/v1/users/authenticate", `{"user_id":"u-1"}`, []string{"Authorization", "Bearer " + w.a.SK, "Authorization", "Bearer " + w.a.SK}},
		{"widget token twice", "POST", "/v1/widget/contacts", `{"device_id":"` + device2 + `"}`, []string{"X-Widget-Token", w.a.PK, "X-Widget-Token", w.a.PK}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.refused(t, 401, "unauthorized", func() resp { return w.send(request(c.method, c.path, c.body, c.headers...)) })
		})
	}
}

// Any header sent twice is one value as the Worker reads it: an
// Idempotency-Key given as "a" and "b" is the key "a, b" (which the contract's
// printable characters allow), replayed as such, not a refusal that only the
// in-process server could make.
func TestARepeatedHeaderIsOneValueAsInTheWorker(t *testing.T) {
	w := newWorld(t)
	send := func(keys ...string) resp {
		h := []string{"X-Widget-Token", w.a.PK, "Authorization", "Bearer " + w.contactA}
		for _, k := range keys {
			h = append(h, "Idempotency-Key", k)
		}
		return w.send(request("POST", "/v1/widget/sessions", `{}`, h...))
	}
	first := send("a", "b")
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Raw)
	}
	if again := send("a, b"); again.Status != 201 || again.Header.Get("Idempotent-Replayed") != "true" || again.Raw != first.Raw {
		t.Errorf("the key \"a, b\" given once: %d %v %s, want the replay of %s", again.Status, again.Header, again.Raw, first.Raw)
	}
}
