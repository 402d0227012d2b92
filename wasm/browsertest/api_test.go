//go:build !js

package browsertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/wranglertest"
)

// org is an org made for one test, with its api key.
type org struct {
	srv         *wranglertest.Server
	ID          string
	WidgetToken string
	APIKey      string
}

var httpClient = &http.Client{Timeout: 20 * time.Second}

// call sends a JSON request to the worker as the org's server or the vendor
// and decodes the answer into out; it returns the status.
func call(t *testing.T, base, method, path, bearer string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s -> %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// newOrg makes an org whose allowed origin is the host page's.
func newOrg(t *testing.T, srv *wranglertest.Server, hostOrigin string) *org {
	t.Helper()
	var out struct {
		Org struct {
			ID          string `json:"id"`
			WidgetToken string `json:"widget_token"`
		} `json:"org"`
		APIKey struct {
			Secret string `json:"secret"`
		} `json:"api_key"`
	}
	st := call(t, srv.URL, "POST", "/v1/admin/orgs", srv.AdminToken,
		map[string]any{"name": t.Name(), "allowed_origins": []string{hostOrigin}}, &out)
	if st != 201 || out.Org.WidgetToken == "" || out.APIKey.Secret == "" {
		t.Fatalf("POST /v1/admin/orgs: status %d, %+v", st, out)
	}
	return &org{srv: srv, ID: out.Org.ID, WidgetToken: out.Org.WidgetToken, APIKey: out.APIKey.Secret}
}

// config is a ChatWidget.init config for the org, with apiUrl set.
func (o *org) config(extra map[string]any) map[string]any {
	c := map[string]any{"token": o.WidgetToken, "apiUrl": o.srv.URL}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// verifiedToken is what the org's server gets from POST /v1/users/authenticate.
func (o *org) verifiedToken(t *testing.T, body map[string]any) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	if st := call(t, o.srv.URL, "POST", "/v1/users/authenticate", o.APIKey, body, &out); st != 200 || out.Token == "" {
		t.Fatalf("POST /v1/users/authenticate %v: status %d", body, st)
	}
	return out.Token
}

type apiMessage struct {
	ID      string `json:"id"`
	Role    string `json:"role"`
	Content string `json:"content"`
}

type apiSession struct {
	ID          string      `json:"id"`
	ExternalID  *string     `json:"external_id"`
	Verified    bool        `json:"verified"`
	LastMessage *apiMessage `json:"last_message"`
}

// sessions lists the org's sessions, newest first, filtered by query.
func (o *org) sessions(t *testing.T, query url.Values) []apiSession {
	t.Helper()
	var out struct {
		Items []apiSession `json:"items"`
	}
	path := "/v1/sessions"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	if st := call(t, o.srv.URL, "GET", path, o.APIKey, nil, &out); st != 200 {
		t.Fatalf("GET %s: status %d", path, st)
	}
	return out.Items
}

// messages returns a session's messages, as the org's server sees them.
func (o *org) messages(t *testing.T, sessionID string) []apiMessage {
	t.Helper()
	var out struct {
		Messages []apiMessage `json:"messages"`
	}
	if st := call(t, o.srv.URL, "GET", "/v1/sessions/"+url.PathEscape(sessionID), o.APIKey, nil, &out); st != 200 {
		t.Fatalf("GET /v1/sessions/%s: status %d", sessionID, st)
	}
	return out.Messages
}

// agentReply posts an agent's message with the api key.
func (o *org) agentReply(t *testing.T, sessionID, content string) {
	t.Helper()
	st := call(t, o.srv.URL, "POST", "/v1/sessions/"+url.PathEscape(sessionID)+"/messages", o.APIKey,
		map[string]any{"content": content, "author_name": "Agent Smith"}, nil)
	if st != 201 {
		t.Fatalf("POST agent reply: status %d", st)
	}
}

func countContent(ms []apiMessage, role, content string) int {
	n := 0
	for _, m := range ms {
		if m.Role == role && m.Content == content {
			n++
		}
	}
	return n
}
