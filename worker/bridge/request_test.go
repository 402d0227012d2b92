package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
)

const fuzzAdmin = "fuzz-admin-token-0123456789abcdef"

// Credentials FuzzRequest may add, one bit each.
const (
	fzAdmin = 1 << iota
	fzAPIKey
	fzWidget
	fzContact
	fzVerified
	fzOriginOK
	fzIdemKey
	fzJSON
)

var knownCodes = map[string]bool{
	"invalid_json": true, "invalid_request": true, "invalid_email": true, "invalid_device_id": true,
	"unauthorized": true, "token_expired": true, "token_revoked": true, "invalid_token": true,
	"origin_not_allowed": true, "external_id_mismatch": true, "forbidden": true, "not_found": true,
	"method_not_allowed": true, "idempotency_key_reused": true, "payload_too_large": true, "rate_limited": true,
}

// fuzzWorld is an API built as worker/main.go builds it (config.Load over
// the Worker's vars, the nonethttp API's Serve), over kv.Memory, with an org,
// a contact, a verified user and a session to aim at.
type fuzzWorld struct {
	a                          *api.API
	org, pk, sk, keyID         string
	contact, verified, session string
}

// serve answers head and body as the bridge does for worker.mjs: the head
// parsed, the request made, the API's answer recorded.
func (fw *fuzzWorld) serve(head string, body []byte) (*recorder, error) {
	method, rawURL, header, err := parseHead(head)
	if err != nil {
		return nil, err
	}
	w := newRecorder()
	fw.a.Serve(w, newRequest(context.Background(), method, rawURL, header, body))
	return w, nil
}

func newFuzzWorld(tb testing.TB) *fuzzWorld {
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		tb.Fatal(err)
	}
	vars := map[string]string{"ADMIN_TOKEN": fuzzAdmin, "SIGNING_KEYS": spec, "TOKEN_ISSUER": "fuzz", "DEMO_ROUTES": "1"}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatal(err)
	}
	a, err := api.New(kv.NewMemory(), cfg, api.WithLogger(api.NewLogger(io.Discard)))
	if err != nil {
		tb.Fatal(err)
	}
	fw := &fuzzWorld{a: a}
	call := func(head, body string, status int) map[string]any {
		w, err := fw.serve(head, []byte(body))
		var out map[string]any
		if err != nil || w.Status != status || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			tb.Fatalf("%s: %v %d %s", head, err, w.Status, w.Body.String())
		}
		return out
	}
	const base = " http://127.0.0.1:8787"
	r := call("POST"+base+"/v1/admin/orgs\nauthorization: Bearer "+fuzzAdmin+"\n", `{"name":"A","allowed_origins":["https://shop.example"]}`, 201)
	fw.org, fw.pk = r["org"].(map[string]any)["id"].(string), r["org"].(map[string]any)["widget_token"].(string)
	fw.sk, fw.keyID = r["api_key"].(map[string]any)["secret"].(string), r["api_key"].(map[string]any)["id"].(string)
	r = call("POST"+base+"/v1/widget/contacts\nx-widget-token: "+fw.pk+"\n", `{"device_id":"0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}`, 200)
	fw.contact = r["token"].(string)
	r = call("POST"+base+"/v1/users/authenticate\nauthorization: Bearer "+fw.sk+"\n", `{"email":"ann@example.com","external_id":"ws-1"}`, 200)
	fw.verified = r["token"].(string)
	r = call("POST"+base+"/v1/widget/sessions\nx-widget-token: "+fw.pk+"\nauthorization: Bearer "+fw.contact+"\n", `{}`, 201)
	fw.session = r["session"].(map[string]any)["id"].(string)
	return fw
}

// FuzzRequest is the whole request path in process: a method, a raw target
// (path and query, any bytes and escapes), credentials, header lines and a
// body, in the form worker.mjs hands the bridge, through the bridge's
// request building, the router and the handlers. An answer is never 5xx
// (the store works), its header can be handed back to JS, and any answer
// that is not 2xx is the contract's error: {"error":{"code","message"}} in
// JSON with a known code. Server-only routes send no CORS header.
func FuzzRequest(f *testing.F) {
	fw := newFuzzWorld(f)
	seeds := []struct {
		method, target string
		creds          uint8
		headers, body  string
	}{
		{"GET", "/%", 0, "", ""},
		{"OPTIONS", "/%", fzOriginOK, "", ""},
		{"GET", "/v1/sessions/%zz", fzAPIKey, "", ""},
		{"GET", "/v1/sessions/%zz", 0, "", ""},
		{"GET", "/%E0%A4%A", 0, "", ""},
		{"OPTIONS", "/v1/widget/sessions/%zz", fzOriginOK, "access-control-request-method: POST\n", ""},
		{"GET", "/v1/widget/sessions/%E0%A4%A", fzWidget | fzContact | fzOriginOK, "", ""},
		{"POST", "/v1/sessions/%/messages", fzAPIKey | fzIdemKey, "", `{"content":"hi"}`},
		{"GET", "/v1/sessions/%00", fzAPIKey, "", ""},
		{"GET", "/v1/sessions/%C0%AF", fzAPIKey, "", ""},
		{"GET", "/v1/sessions/..", fzAPIKey, "", ""},
		{"GET", "/v1/widget/../sessions", fzAPIKey, "", ""},
		{"GET", "//v1/sessions", fzAPIKey, "", ""},
		{"GET", "/v1/sessions/a%2Fb", fzAPIKey, "", ""},
		{"GET", "/v1/sessions/" + strings.Repeat("a", 600), fzAPIKey, "", ""},
		{"GET", "/" + strings.Repeat("%", 3000), 0, "", ""},
		{"GET", "/v1/sessions?limit=%zz", fzAPIKey, "", ""},
		{"GET", "/v1/sessions?cursor=%", fzAPIKey, "", ""},
		{"GET", "/v1/sessions?limit=2&cursor=e30&verified=true&email=ann@example.com", fzAPIKey, "", ""},
		{"GET", "/v1/sessions/{sid}?after=%", fzAPIKey, "", ""},
		{"GET", "/v1/widget/sessions?external_id=%E0%A4%A", fzWidget | fzVerified, "", ""},
		{"GET", "/v1/widget/me", fzWidget | fzVerified, "origin: \xff\xfe\n", ""},
		{"GET", "/v1/widget/me", fzWidget, "authorization: Bearer " + strings.Repeat("x", 20000) + "\n", ""},
		{"POST", "/v1/users/authenticate", fzAPIKey | fzJSON, "", `{"user_id":"a","user_id":"b"}`},
		{"POST", "/v1/users/authenticate", fzAPIKey | fzJSON, "", `{"USER_ID":"x"}`},
		{"POST", "/v1/users/authenticate", fzAPIKey | fzJSON, "", `{"user_id":"u","External_Id":"ws-2"}`},
		{"POST", "/v1/users/authenticate", fzAPIKey, "", `{"user_id":"u","custom_data":{"a":{"b":1,"b":2}}}`},
		{"POST", "/v1/users/revoke", fzAPIKey, "", `{"email":"ann@example.com","EMAIL":"x@y.z"}`},
		{"POST", "/v1/widget/contacts", fzWidget | fzOriginOK, "", `{"device_id":"5d9c1e2f-3a4b-4c5d-9e6f-7a8b9c0d1e2f","custom_data":{"k":1,"\u006b":2}}`},
		{"POST", "/v1/widget/sessions", fzWidget | fzContact | fzIdemKey, "", `{"external_id":"ws-2","custom_data":{"x":1}}`},
		{"POST", "/v1/widget/sessions/{sid}/messages", fzWidget | fzContact | fzOriginOK, "", `{"content":"hello","content":"bye"}`},
		{"POST", "/v1/admin/orgs", fzAdmin, "", `{"name":"X","allowed_origins":["https://x.example"]}`},
		{"DELETE", "/v1/admin/orgs/{org}/api-keys/%zz", fzAdmin, "", ""},
		{"POST", "/v1/admin/orgs/{org}/api-keys", fzAdmin, "content-length: 99999999\n", ""},
		{"GET", "/.well-known/jwks.json", 0, "", ""},
		{"POST", "/demo/token", 0, "", `{"user_id":"demo"}`},
		{"get", "/%2e%2e/v1/sessions", 0, "", ""},
		{"PUT", "/v1/sessions", fzAPIKey, "", "[]"},
		{"GET", "/v1/sessions?a=1;b=2", fzAPIKey, "", ""},
		{"GET", "/v1/sessions#frag%", fzAPIKey, "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.creds, s.headers, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target string, creds uint8, headers string, body []byte) {
		if method == "" || strings.ContainsAny(method, " \n") || strings.Contains(target, "\n") {
			return // not a head worker.mjs can send
		}
		target = strings.NewReplacer("{org}", fw.org, "{key}", fw.keyID, "{sid}", fw.session).Replace(target)
		if !strings.HasPrefix(target, "/") {
			target = "/" + target // a URL's path, after its host
		}
		var head strings.Builder
		head.WriteString(method + " http://127.0.0.1:8787" + target + "\n")
		add := func(bit uint8, line string) {
			if creds&bit != 0 {
				head.WriteString(line + "\n")
			}
		}
		add(fzAdmin, "authorization: Bearer "+fuzzAdmin)
		add(fzAPIKey, "authorization: Bearer "+fw.sk)
		add(fzWidget, "x-widget-token: "+fw.pk)
		add(fzContact, "authorization: Bearer "+fw.contact)
		add(fzVerified, "authorization: Bearer "+fw.verified)
		add(fzOriginOK, "origin: https://shop.example")
		add(fzIdemKey, "idempotency-key: fuzz-key")
		add(fzJSON, "content-type: application/json")
		head.WriteString(headers)
		w, err := fw.serve(head.String(), body)
		if err != nil {
			return
		}
		if w.Status >= 500 || w.Status < 100 {
			t.Fatalf("%s %q: %d %s", method, target, w.Status, w.Body.String())
		}
		if _, ok := w.headerLines(); !ok {
			t.Fatalf("%s %q: a header the bridge cannot hand back: %v", method, target, w.HeaderMap)
		}
		if w.Status >= 400 {
			var eb struct {
				Error *struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&eb); err != nil || eb.Error == nil || !knownCodes[eb.Error.Code] || eb.Error.Message == "" {
				t.Fatalf("%s %q: %d with a body that is not the contract's error: %q", method, target, w.Status, w.Body.String())
			}
			if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("%s %q: error with Content-Type %q", method, target, w.Header().Get("Content-Type"))
			}
			for _, secret := range []string{fuzzAdmin, fw.sk} {
				if strings.Contains(w.Body.String(), secret) {
					t.Fatalf("%s %q: the answer holds a credential: %s", method, target, w.Body.String())
				}
			}
		}
		path, _, _ := strings.Cut(target, "?")
		if !strings.HasPrefix(path, "/v1/widget/") {
			for k := range w.HeaderMap {
				if strings.HasPrefix(k, "Access-Control-") {
					t.Fatalf("%s %q: %s on a route outside /v1/widget/", method, target, k)
				}
			}
		}
	})
}
