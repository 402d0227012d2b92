package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/config"
)

// Credentials and headers FuzzAPI may add, one bit each.
const (
	fzAdmin = 1 << iota
	fzAPIKey
	fzWidget
	fzContact
	fzVerified
	fzOriginOK
	fzOriginOther
	fzIdemKey
)

var knownCodes = map[string]bool{
	"invalid_json": true, "invalid_request": true, "invalid_email": true, "invalid_device_id": true,
	"unauthorized": true, "token_expired": true, "token_revoked": true, "invalid_token": true,
	"origin_not_allowed": true, "external_id_mismatch": true, "forbidden": true, "not_found": true,
	"method_not_allowed": true, "idempotency_key_reused": true, "payload_too_large": true, "rate_limited": true,
}

func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func isHeaderValue(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00")
}

// FuzzAPI feeds the handler random methods, paths (with placeholders for
// real ids), credentials, headers and bodies. It fails on any 5xx or panic
// (which the handler would answer with 500), on an error that is not the
// contract's JSON shape with a known code, and on CORS headers from a route
// outside /v1/widget/.
func FuzzAPI(f *testing.F) {
	a, _, _, _ := buildAPI(f, func(c *config.Config) { c.DemoRoutes = true })

	// A world to aim at: org A with a contact, a verified user and a session.
	var w struct {
		org                        orgInfo
		contact, verified, session string
	}
	do := func(req *http.Request) resp {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		out := resp{Status: rec.Code, Header: rec.Header(), Raw: rec.Body.String()}
		_ = json.Unmarshal(rec.Body.Bytes(), &out.Body)
		return out
	}
	r := do(request("POST", "/v1/admin/orgs", `{"name":"A","allowed_origins":["https://shop.example"]}`, "Authorization", "Bearer "+adminToken))
	if r.Status != 201 {
		f.Fatalf("org: %d %s", r.Status, r.Raw)
	}
	w.org = orgInfo{ID: r.Body["org"].(map[string]any)["id"].(string), PK: r.Body["org"].(map[string]any)["widget_token"].(string),
		SK: r.Body["api_key"].(map[string]any)["secret"].(string), KeyID: r.Body["api_key"].(map[string]any)["id"].(string)}
	r = do(request("POST", "/v1/widget/contacts", `{"device_id":"`+device1+`"}`, "X-Widget-Token", w.org.PK))
	w.contact, _ = r.Body["token"].(string)
	r = do(request("POST", "/v1/users/authenticate", `{"email":"ann@example.com","external_id":"ws-1"}`, "Authorization", "Bearer "+w.org.SK))
	w.verified, _ = r.Body["token"].(string)
	r = do(request("POST", "/v1/widget/sessions", `{}`, "X-Widget-Token", w.org.PK, "Authorization", "Bearer "+w.contact))
	if r.Status != 201 || w.contact == "" || w.verified == "" {
		f.Fatalf("setup: %d %s", r.Status, r.Raw)
	}
	w.session = r.Body["session"].(map[string]any)["id"].(string)

	seeds := []struct {
		method, path string
		creds        uint8
		body         string
	}{
		{"POST", "/v1/admin/orgs", fzAdmin, `{"name":"X","allowed_origins":["https://x.example"]}`},
		{"POST", "/v1/admin/orgs/{org}/api-keys", fzAdmin, ``},
		{"DELETE", "/v1/admin/orgs/{org}/api-keys/{key}", fzAdmin, ``},
		{"POST", "/v1/users/authenticate", fzAPIKey, `{"user_id":"u","custom_data":{"a":[1,{"b":null}]},"ttl_seconds":60}`},
		{"POST", "/v1/users/revoke", fzAPIKey, `{"email":"ann@example.com"}`},
		{"GET", "/v1/sessions?verified=true&email=ann@example.com&limit=2&cursor=e30", fzAPIKey, ``},
		{"GET", "/v1/sessions/{sid}?after=0", fzAPIKey, ``},
		{"POST", "/v1/sessions/{sid}/messages", fzAPIKey | fzIdemKey, `{"content":"hi","author_name":"Bob"}`},
		{"POST", "/v1/widget/contacts", fzWidget | fzOriginOK, `{"device_id":"` + device2 + `","email":"a@b.co","custom_data":{}}`},
		{"GET", "/v1/widget/me", fzWidget | fzVerified, ``},
		{"POST", "/v1/widget/sessions", fzWidget | fzContact | fzIdemKey, `{"external_id":"ws-2","custom_data":{"x":1}}`},
		{"GET", "/v1/widget/sessions?external_id=ws-1&limit=1", fzWidget | fzVerified | fzOriginOther, ``},
		{"GET", "/v1/widget/sessions/{sid}?after={sid}", fzWidget | fzContact, ``},
		{"POST", "/v1/widget/sessions/{sid}/messages", fzWidget | fzContact | fzIdemKey | fzOriginOK, `{"content":"hello"}`},
		{"OPTIONS", "/v1/widget/sessions", fzOriginOK, ``},
		{"OPTIONS", "/v1/widget/../sessions", fzOriginOK, ``},
		{"GET", "/.well-known/jwks.json", 0, ``},
		{"GET", "/demo/config", 0, ``},
		{"POST", "/demo/token", 0, `{"user_id":"demo"}`},
		{"PUT", "/v1/sessions", fzAPIKey, `[]`},
		{"GET", "/v1//sessions", 0, ``},
		{"POST", "/v1/widget/contacts", fzWidget, `{"device_id":`},
		{"POST", "/v1/users/authenticate", fzAPIKey, `{"email":"x\u0000@y.z","ttl_seconds":1e99}`},
		{"get", "/%2e%2e/v1/sessions", 0, ``},
		{"CONNECT", "/v1/sessions", fzAPIKey, ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.creds, []byte(s.body), "X-Test", "1")
	}
	f.Add("POST", "/v1/widget/sessions/{sid}/messages", uint8(fzWidget|fzContact), []byte(`{"content":"hi"}`), "Content-Length", "3")
	f.Add("POST", "/v1/users/authenticate", uint8(fzAPIKey), []byte(strings.Repeat(" ", 70000)), "Content-Type", "text/plain")

	f.Fuzz(func(t *testing.T, method, path string, creds uint8, body []byte, hname, hvalue string) {
		if !isToken(method) {
			return
		}
		path = strings.NewReplacer("{org}", w.org.ID, "{key}", w.org.KeyID, "{sid}", w.session).Replace(path)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u, err := url.ParseRequestURI(path)
		if err != nil {
			return
		}
		req := &http.Request{
			Method: method, URL: u, RequestURI: path, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: "worker.example", RemoteAddr: "192.0.2.1:1234",
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		}
		set := func(bit uint8, k, v string) {
			if creds&bit != 0 {
				req.Header.Set(k, v)
			}
		}
		set(fzAdmin, "Authorization", "Bearer "+adminToken)
		set(fzAPIKey, "Authorization", "Bearer "+w.org.SK)
		set(fzWidget, "X-Widget-Token", w.org.PK)
		set(fzContact, "Authorization", "Bearer "+w.contact)
		set(fzVerified, "Authorization", "Bearer "+w.verified)
		set(fzOriginOK, "Origin", "https://shop.example")
		set(fzOriginOther, "Origin", "https://evil.example")
		set(fzIdemKey, "Idempotency-Key", "fuzz-key")
		if isToken(hname) && isHeaderValue(hvalue) {
			req.Header.Add(hname, hvalue)
		}

		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q (creds %08b): %d %s", method, path, creds, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 {
			var eb struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || !knownCodes[eb.Error.Code] || eb.Error.Message == "" {
				t.Fatalf("%s %q: %d with a body that is not the contract's error: %q", method, path, rec.Code, rec.Body.String())
			}
			if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s %q: error with Content-Type %q", method, path, rec.Header().Get("Content-Type"))
			}
		}
		if !strings.HasPrefix(u.Path, "/v1/widget/") {
			for k := range rec.Header() {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Fatalf("%s %q: %s on a route outside /v1/widget/", method, path, k)
				}
			}
		}
	})
}
