//go:build !js

package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

func accessControlHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			out = append(out, k+": "+strings.Join(h.Values(k), ", "))
		}
	}
	return out
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
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+pattern(rt.path), func(t *testing.T) {
			r := rt.c.do(t, rt.method, rt.path, rt.body, contract.Origin(o.Origin))
			if r.Status >= 300 {
				t.Fatalf("status %d, want a success\n%s", r.Status, r.excerpt())
			}
			match(t, fmt.Sprintf("%d with Origin %s: CORS headers", r.Status, o.Origin), accessControlHeaders(r.Header), []string(nil))
		})
	}
}
