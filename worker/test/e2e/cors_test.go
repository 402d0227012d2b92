//go:build !js

package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// headerList splits a comma-separated header into lower-case tokens.
func headerList(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		for _, p := range strings.Split(v, ",") {
			if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func accessControlHeaders(h http.Header) []string {
	var out []string
	for k := range h {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			out = append(out, k+": "+strings.Join(h.Values(k), ", "))
		}
	}
	return out
}

func preflight(t testing.TB, path, origin, method string) *reply {
	t.Helper()
	return anon(t).do(t, "OPTIONS", path, nil,
		contract.Origin(origin),
		contract.Header("Access-Control-Request-Method", method),
		contract.Header("Access-Control-Request-Headers", "content-type,authorization,x-widget-token,idempotency-key"))
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	_, s := o.chat(t)
	sid := url.PathEscape(s.ID)
	routes := widgetRoutes(sid, "")
	for _, rt := range routes {
		t.Run(rt.method+" "+pattern(rt.path), func(t *testing.T) {
			t.Parallel()
			r := preflight(t, rt.path, o.Origin, rt.method)
			if r.Status < 200 || r.Status > 299 {
				t.Fatalf("preflight from an allowed origin: status %d, want 2xx\n%s", r.Status, r.excerpt())
			}
			match(t, "Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), o.Origin)
			allowed := headerList(r.Header, "Access-Control-Allow-Headers")
			for _, h := range []string{"x-widget-token", "authorization", "content-type", "idempotency-key"} {
				match(t, "Access-Control-Allow-Headers "+strings.Join(allowed, ",")+" has "+h, slices.Contains(allowed, h), true)
			}
			if methods := headerList(r.Header, "Access-Control-Allow-Methods"); len(methods) > 0 && !slices.Contains(methods, strings.ToLower(rt.method)) && !slices.Contains(methods, "*") {
				t.Errorf("Access-Control-Allow-Methods %v lacks %s", methods, rt.method)
			}
		})
	}
	t.Run("origin no org allows", func(t *testing.T) {
		t.Parallel()
		evil := "https://" + strings.ToLower(uniq("evil")) + ".example"
		r := preflight(t, "/v1/widget/contacts", evil, "POST")
		if got := r.Header.Get("Access-Control-Allow-Origin"); got == evil || got == "*" {
			t.Errorf("preflight from %s answered with Access-Control-Allow-Origin %q (status %d)", evil, got, r.Status)
		}
	})
}

func TestCORSActualRequests(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	c := o.contact(t, newDevice(), nil)
	w := o.widget(c.Token)
	s := createSession(t, w, nil)

	t.Run("allowed origin gets ACAO on success", func(t *testing.T) {
		r := w.get(t, "/v1/widget/sessions").expect(200)
		match(t, "sessions: Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), o.Origin)
		r = o.widget("").post(t, "/v1/widget/contacts", map[string]any{"device_id": newDevice()}).expect(200)
		match(t, "contacts: Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), o.Origin)
	})
	t.Run("allowed origin gets ACAO on errors the widget must read", func(t *testing.T) {
		r := o.widget("garbage").get(t, "/v1/widget/me")
		r.fails(401)
		match(t, "401 to an allowed origin (the widget must read token errors): Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), o.Origin)
	})
	t.Run("Vary: Origin", func(t *testing.T) {
		r := w.get(t, "/v1/widget/sessions").expect(200)
		match(t, fmt.Sprintf("a response whose ACAO depends on Origin has Vary: Origin (Vary %q)", r.Header.Values("Vary")), slices.Contains(headerList(r.Header, "Vary"), "origin"), true)
	})

	other := newOrg(t)
	bad := map[string]string{
		"unknown origin":        "https://" + strings.ToLower(uniq("evil")) + ".example",
		"another org's origin":  other.Origin,
		"http instead of https": "http" + strings.TrimPrefix(o.Origin, "https"),
		"another port":          o.Origin + ":8443",
		"suffix of allowed":     o.Origin + ".evil.example",
		"subdomain of allowed":  strings.Replace(o.Origin, "https://", "https://sub.", 1),
		"null":                  "null",
	}
	sid := url.PathEscape(s.ID)
	routes := widgetRoutes(sid, "from a bad origin")
	t.Run("disallowed origins", func(t *testing.T) {
		for name, origin := range bad {
			for _, rt := range routes {
				t.Run(name+"/"+rt.method+" "+pattern(rt.path), func(t *testing.T) {
					t.Parallel()
					r := w.do(t, rt.method, rt.path, rt.body, contract.Origin(origin))
					r.fails(403, "origin_not_allowed")
					match(t, "403 origin_not_allowed: Access-Control-Allow-Origin", r.Header.Get("Access-Control-Allow-Origin"), "")
				})
			}
		}
	})
	sameSet(t, "sessions after calls from disallowed origins", sessionIDs(orgSessions(t, o, nil)), []string{s.ID})
	stored(t, o, s.ID, 0, "after calls from disallowed origins")
}

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
		{o.api(), "GET", "/v1/sessions", nil},
		{o.api(), "GET", "/v1/sessions/" + sid, nil},
		{o.api(), "POST", "/v1/sessions/" + sid + "/messages", map[string]any{"content": "agent"}},
		{vendor(t), "POST", "/v1/admin/orgs", map[string]any{"name": "cors", "allowed_origins": []string{o.Origin}}},
		{vendor(t), "POST", "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys", nil},
		{vendor(t), "DELETE", "/v1/admin/orgs/" + url.PathEscape(o.ID) + "/api-keys/" + url.PathEscape(rot.APIKey.ID), nil},
		// Refusals too.
		{anon(t), "GET", "/v1/sessions", nil},
		{anon(t), "POST", "/v1/admin/orgs", map[string]any{}},
		{o.api(), "POST", "/v1/users/authenticate", contract.Raw(`{`)},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+pattern(rt.path), func(t *testing.T) {
			r := rt.c.do(t, rt.method, rt.path, rt.body, contract.Origin(o.Origin))
			match(t, fmt.Sprintf("%d with Origin %s: CORS headers", r.Status, o.Origin), accessControlHeaders(r.Header), []string(nil))
			p := preflight(t, rt.path, o.Origin, rt.method)
			match(t, fmt.Sprintf("preflight (%d): CORS headers", p.Status), accessControlHeaders(p.Header), []string(nil))
		})
	}
}
