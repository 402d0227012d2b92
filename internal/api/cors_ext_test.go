package api_test

import (
	"strings"
	"testing"
)

var widgetPaths = []string{
	"/v1/widget/contacts", "/v1/widget/me", "/v1/widget/sessions",
	"/v1/widget/sessions/01890a5d-ac96-774b-bcce-b302099a8057",
	"/v1/widget/sessions/01890a5d-ac96-774b-bcce-b302099a8057/messages",
}

func TestPreflightFromAllowedOrigin(t *testing.T) {
	w := newWorld(t)
	for _, p := range widgetPaths {
		t.Run(p, func(t *testing.T) {
			r := w.unchanged(t, func() resp {
				return w.send(request("OPTIONS", p, nil, "Origin", originA, "Access-Control-Request-Method", "POST",
					"Access-Control-Request-Headers", "authorization, content-type, idempotency-key, x-widget-token"))
			})
			if r.Status != 204 && r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
			h := r.Header
			if h.Get("Access-Control-Allow-Origin") != originA {
				t.Errorf("Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
			}
			if m := h.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "POST") || !strings.Contains(m, "GET") {
				t.Errorf("Allow-Methods %q", m)
			}
			allowed := strings.ToLower(h.Get("Access-Control-Allow-Headers"))
			for _, need := range []string{"authorization", "content-type", "idempotency-key", "x-widget-token"} {
				if !strings.Contains(allowed, need) {
					t.Errorf("Allow-Headers %q lacks %s", allowed, need)
				}
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Errorf("Vary %q", h.Values("Vary"))
			}
			if h.Get("Access-Control-Allow-Origin") == "*" {
				t.Error("wildcard origin")
			}
		})
	}
	// The other org's origin gets its preflight too: a preflight names no org.
	r := w.send(request("OPTIONS", "/v1/widget/sessions", nil, "Origin", originB, "Access-Control-Request-Method", "GET"))
	if r.Header.Get("Access-Control-Allow-Origin") != originB {
		t.Errorf("org B's origin: %d %v", r.Status, r.Header)
	}
}

func TestPreflightFromUnknownOrigin(t *testing.T) {
	w := newWorld(t)
	for _, origin := range []string{"https://evil.example", "https://shop.example.evil", "http://shop.example", "https://shop.example:8443", "null", "https://sub.shop.example"} {
		for _, p := range widgetPaths {
			t.Run(origin+p, func(t *testing.T) {
				r := w.refused(t, 403, "origin_not_allowed", func() resp {
					return w.send(request("OPTIONS", p, nil, "Origin", origin, "Access-Control-Request-Method", "POST"))
				})
				if got := hasCORS(r.Header); len(got) != 0 {
					t.Errorf("refused preflight sends %q", got)
				}
			})
		}
	}
}

// TestWidgetCallFromDisallowedOrigin: a browser call whose Origin is not one
// of the org's is refused with 403 origin_not_allowed and no
// Access-Control-Allow-Origin (the page cannot read it), even when another
// org allows that origin.
func TestWidgetCallFromDisallowedOrigin(t *testing.T) {
	w := newWorld(t)
	calls := []struct{ method, path, token, body string }{
		{"POST", "/v1/widget/contacts", "", `{"device_id":"` + device2 + `"}`},
		{"GET", "/v1/widget/me", w.contactA, ""},
		{"POST", "/v1/widget/sessions", w.contactA, `{}`},
		{"GET", "/v1/widget/sessions", w.contactA, ""},
		{"GET", "/v1/widget/sessions/" + w.sessionA, w.contactA, ""},
		{"POST", "/v1/widget/sessions/" + w.sessionA + "/messages", w.contactA, `{"content":"hi"}`},
	}
	for _, origin := range []string{originB, "https://evil.example", "null"} {
		for _, c := range calls {
			t.Run(origin+" "+c.method+" "+c.path, func(t *testing.T) {
				r := w.refused(t, 403, "origin_not_allowed", func() resp {
					return w.widget(w.a, c.token, c.method, c.path, c.body, "Origin", origin)
				})
				if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
					t.Errorf("Access-Control-Allow-Origin %q on a refused origin", v)
				}
			})
		}
	}
}

func TestWidgetCallFromAllowedOrigin(t *testing.T) {
	w := newWorld(t)
	for _, origin := range []string{originA, "https://SHOP.example"} {
		r := w.widget(w.a, w.contactA, "GET", "/v1/widget/sessions", nil, "Origin", origin)
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("%s: %d %v", origin, r.Status, r.Header)
		}
		// What a widget reads of an answer: a 429's wait, and whether a
		// retry with an Idempotency-Key was a replay.
		for _, h := range []string{"Retry-After", "Idempotent-Replayed"} {
			if !strings.Contains(r.Header.Get("Access-Control-Expose-Headers"), h) {
				t.Errorf("Expose-Headers %q lacks %s", r.Header.Get("Access-Control-Expose-Headers"), h)
			}
		}
	}
	// No Origin (a server-side widget call): no CORS headers, still served.
	r := w.widget(w.a, w.contactA, "GET", "/v1/widget/sessions", nil)
	if r.Status != 200 || len(hasCORS(r.Header)) != 0 {
		t.Errorf("without Origin: %d %v", r.Status, r.Header)
	}
}

// TestServerRoutesSendNoCORS: /v1/users/*, /v1/sessions* and /v1/admin/*
// never send Access-Control-* headers, whether they succeed or fail, even to
// a browser from an allowed origin.
func TestServerRoutesSendNoCORS(t *testing.T) {
	w := newWorld(t)
	sk := []string{"Authorization", "Bearer " + w.a.SK}
	adm := []string{"Authorization", "Bearer " + adminToken}
	calls := []struct {
		method, path, body string
		h                  []string
	}{
		{"POST", "/v1/users/authenticate", `{"user_id":"u"}`, sk},
		{"POST", "/v1/users/authenticate", `{`, sk},
		{"POST", "/v1/users/authenticate", `{"user_id":"u"}`, nil},
		{"POST", "/v1/users/revoke", `{"user_id":"u"}`, sk},
		{"GET", "/v1/sessions", "", sk},
		{"GET", "/v1/sessions", "", nil},
		{"GET", "/v1/sessions/" + w.sessionA, "", sk},
		{"POST", "/v1/sessions/" + w.sessionA + "/messages", `{"content":"hi"}`, sk},
		{"POST", "/v1/admin/orgs", `{"name":"X"}`, adm},
		{"POST", "/v1/admin/orgs", `{"name":"X"}`, nil},
		{"POST", "/v1/admin/orgs/" + w.a.ID + "/api-keys", "", adm},
		{"OPTIONS", "/v1/users/authenticate", "", nil},
		{"OPTIONS", "/v1/sessions", "", nil},
		{"OPTIONS", "/v1/admin/orgs", "", nil},
		{"PUT", "/v1/sessions", "", sk},
		{"GET", "/v1/nope", "", sk},
	}
	for _, c := range calls {
		for _, origin := range []string{originA, "https://evil.example"} {
			t.Run(c.method+" "+c.path+" "+origin, func(t *testing.T) {
				h := append([]string{"Origin", origin, "Access-Control-Request-Method", "POST"}, c.h...)
				r := w.send(request(c.method, c.path, c.body, h...))
				if got := hasCORS(r.Header); len(got) != 0 {
					t.Errorf("%d: sends %q", r.Status, got)
				}
			})
		}
	}
}

// TestWidgetPathRefusalsAreReadable: under /v1/widget/ a page can read every
// refusal the preflight let it ask for, also of a path that is no route or a
// method the route lacks (a widget of another version), as it can of a bad
// widget token: the answer tells nothing about any org.
func TestWidgetPathRefusalsAreReadable(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/widget/nope", 404},
		{"GET", "/v1/widget/sessions/", 404},
		{"POST", "/v1/widget/me", 405},
		{"PUT", "/v1/widget/sessions", 405},
	} {
		r := w.widget(w.a, w.contactA, c.method, c.path, nil, "Origin", originA)
		if r.Status != c.status || r.Header.Get("Access-Control-Allow-Origin") != originA {
			t.Errorf("%s %s: %d, Access-Control-Allow-Origin %q", c.method, c.path, r.Status, r.Header.Get("Access-Control-Allow-Origin"))
		}
	}
}

// An OPTIONS without an Origin is no preflight: its Allow names what the
// path takes, as a 405 of the same path does (not POST on /v1/widget/me;
// HEAD wherever GET is, as a GET route answers HEAD),
// and a widget path of no route is 404, as it is to every other method.
func TestOptionsWithoutOriginAllowsTheRoutesMethods(t *testing.T) {
	w := newWorld(t)
	for p, allow := range map[string]string{
		"/v1/widget/contacts": "POST, OPTIONS", "/v1/widget/me": "GET, HEAD, DELETE, OPTIONS",
		"/v1/widget/sessions": "POST, GET, HEAD, OPTIONS", "/v1/widget/claim": "POST, OPTIONS",
		widgetPaths[3]: "GET, HEAD, OPTIONS", widgetPaths[4]: "POST, OPTIONS",
	} {
		r := w.unchanged(t, func() resp { return w.send(request("OPTIONS", p, nil)) })
		if r.Status != 204 || r.Header.Get("Allow") != allow {
			t.Errorf("OPTIONS %s: %d, Allow %q, want 204 and %q", p, r.Status, r.Header.Get("Allow"), allow)
		}
		if r405 := w.send(request("PATCH", p, nil)); r405.Header.Get("Allow") != allow {
			t.Errorf("PATCH %s: Allow %q, OPTIONS said %q", p, r405.Header.Get("Allow"), allow)
		}
	}
	for _, p := range []string{"/v1/widget/nope", "/v1/widget/sessions/a/b/c", "/v1/widget/"} {
		r := w.refused(t, 404, "not_found", func() resp { return w.send(request("OPTIONS", p, nil)) })
		if r.Header.Get("Allow") != "" {
			t.Errorf("OPTIONS %s: Allow %q on no route", p, r.Header.Get("Allow"))
		}
	}
}
