//go:build !js

package browsertest

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// org is an org made for one test, with its api key.
type org struct {
	srv         *wranglertest.Server
	ID          string
	WidgetToken string
	APIKey      string
}

// client calls srv with the bearer credential, through the contract client:
// the tests' own calls to the worker (as the vendor and the org's server)
// have every request and answer checked against the OpenAPI document.
func client(srv *wranglertest.Server, bearer string) *contract.Client {
	return contract.Validated(srv.URL, contract.Bearer(bearer))
}

// answered fails the test on a transport error or an answer that drifts
// from the document, and logs a refusal; it returns the status.
func answered(t *testing.T, r *contract.Response, err error) int {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if r.AnswerErr != nil {
		t.Errorf("%s: the answer drifts from internal/api/openapi/openapi.json: %v", r.What(), r.AnswerErr)
	}
	if r.Status >= 300 {
		t.Logf("%s -> %d %s", r.What(), r.Status, r.Body)
	}
	return r.Status
}

// newOrg makes an org whose allowed origin is the host page's.
func newOrg(t *testing.T, srv *wranglertest.Server, hostOrigin string) *org {
	t.Helper()
	c, err := client(srv, srv.AdminToken).CreateOrg(context.Background(), contract.CreateOrgRequest{Name: t.Name(), AllowedOrigins: []string{hostOrigin}})
	if st := answered(t, c.Response, err); st != 201 || c.Value.Org.WidgetToken == "" || c.Value.APIKey.Secret == "" {
		t.Fatalf("POST /v1/admin/orgs: status %d, %+v", st, c.Value)
	}
	return &org{srv: srv, ID: c.Value.Org.ID, WidgetToken: c.Value.Org.WidgetToken, APIKey: c.Value.APIKey.Secret}
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
	r, err := client(o.srv, o.APIKey).Do(context.Background(), "POST", "/v1/users/authenticate", body)
	var out contract.Authenticated
	if st := answered(t, r, err); st != 200 || r.Decode(&out) != nil || out.Token == "" {
		t.Fatalf("POST /v1/users/authenticate %v: status %d", body, st)
	}
	return out.Token
}

type apiMessage = contract.Message

type apiSession struct {
	ID          string
	ExternalID  *string
	Verified    bool
	LastMessage *apiMessage
}

// sessions lists the org's sessions, newest first, filtered by query.
func (o *org) sessions(t *testing.T, query url.Values) []apiSession {
	t.Helper()
	f := contract.SessionFilter{UserID: query.Get("user_id"), Email: query.Get("email"), ExternalID: query.Get("external_id")}
	if v := query.Get("verified"); v != "" {
		b, _ := strconv.ParseBool(v)
		f.Verified = &b
	}
	c, err := client(o.srv, o.APIKey).ListOrgSessions(context.Background(), f, contract.Page{})
	if st := answered(t, c.Response, err); st != 200 {
		t.Fatalf("%s: status %d", c.What(), st)
	}
	var out []apiSession
	for _, s := range c.Value.Items {
		out = append(out, apiSession{ID: s.ID, ExternalID: s.ExternalID, Verified: s.Verified != nil && *s.Verified, LastMessage: s.LastMessage})
	}
	return out
}

// messages returns a session's messages, as the org's server sees them.
func (o *org) messages(t *testing.T, sessionID string) []apiMessage {
	t.Helper()
	c, err := client(o.srv, o.APIKey).GetOrgSession(context.Background(), sessionID)
	if st := answered(t, c.Response, err); st != 200 {
		t.Fatalf("GET /v1/sessions/%s: status %d", sessionID, st)
	}
	return c.Value.Messages
}

// agentReply posts an agent's message with the api key.
func (o *org) agentReply(t *testing.T, sessionID, content string) {
	t.Helper()
	c, err := client(o.srv, o.APIKey).PostAgentMessage(context.Background(), sessionID, contract.MessageRequest{Content: content, AuthorName: "Agent Smith"})
	if st := answered(t, c.Response, err); st != 201 {
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
