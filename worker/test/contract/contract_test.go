//go:build !js

package contract_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/api/openapi"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/worker/test/contract"
)

const admin = "admin-token-for-the-contract-test"

// inProcess serves the API over store (nil: a Memory KV) and returns a
// validating client of it: the document checked against the worker's code
// without wrangler.
func inProcess(t *testing.T, store kv.KV) *contract.Client {
	t.Helper()
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		store = kv.NewMemory()
	}
	cfg := config.Config{AdminToken: admin, SigningKeys: spec, Issuer: "test", ContactTokenTTL: time.Hour, RateLimits: config.DefaultRateLimits}
	a, err := api.New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return contract.Validated(srv.URL)
}

// fits is a check that fails unless the request and its answer fit the
// document and the status is want.
func fits(t *testing.T, want int) func(*contract.Response, error) {
	return func(r *contract.Response, err error) {
		t.Helper()
		if err := contract.Fits(r, err, want); err != nil {
			t.Fatal(err)
		}
		if r.RequestErr != nil {
			t.Errorf("%s: request: %v", r.What(), r.RequestErr)
		}
	}
}

// TestEveryRouteFitsTheDocument walks every implemented route through its
// typed method, with good requests: each request and answer fits the
// document.
func TestEveryRouteFitsTheDocument(t *testing.T) {
	ctx := context.Background()
	c := inProcess(t, nil)
	vendor := c.With(contract.Bearer(admin))
	origin := "https://shop.example"

	fits(t, 200)(contract.Resp(c.GetJWKS(ctx)))
	org, err := vendor.CreateOrg(ctx, contract.CreateOrgRequest{Name: "Shop", AllowedOrigins: []string{origin}})
	fits(t, 201)(org.Response, err)
	key, err := vendor.CreateAPIKey(ctx, org.Value.Org.ID)
	fits(t, 201)(key.Response, err)
	fits(t, 204)(contract.Resp(vendor.DeleteAPIKey(ctx, org.Value.Org.ID, key.Value.APIKey.ID)))
	fits(t, 200)(contract.Resp(vendor.GetOrg(ctx, org.Value.Org.ID)))
	fits(t, 200)(contract.Resp(vendor.UpdateOrg(ctx, org.Value.Org.ID, contract.UpdateOrgRequest{AllowedOrigins: []string{origin}})))

	server := c.With(contract.Bearer(org.Value.APIKey.Secret))
	auth, err := server.Authenticate(ctx, contract.AuthenticateRequest{UserID: "u1", Email: "u1@example.com", Name: "U", CustomData: map[string]any{"plan": "pro"}, TTLSeconds: 3600})
	fits(t, 200)(auth.Response, err)
	fits(t, 200)(contract.Resp(server.Revoke(ctx, contract.Identity{Email: "other@example.com"})))

	widget := c.With(contract.WidgetToken(org.Value.Org.WidgetToken), contract.Origin(origin))
	ct, err := widget.CreateContact(ctx, contract.ContactRequest{DeviceID: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", Name: "Ann", CustomData: map[string]any{"a": 1}})
	fits(t, 200)(ct.Response, err)
	for _, tok := range []string{ct.Value.Token, auth.Value.Token} {
		w := widget.With(contract.Bearer(tok))
		fits(t, 200)(contract.Resp(w.GetMe(ctx)))
		s, err := w.CreateSession(ctx, contract.SessionRequest{CustomData: map[string]any{"page": "/"}}, contract.IdempotencyKey("k-"+tok[len(tok)-8:]))
		fits(t, 201)(s.Response, err)
		m, err := w.PostUserMessage(ctx, s.Value.Session.ID, "hello")
		fits(t, 201)(m.Response, err)
		fits(t, 200)(contract.Resp(w.ListSessions(ctx, "", contract.Page{Limit: 10})))
		fits(t, 200)(contract.Resp(w.GetSession(ctx, s.Value.Session.ID, m.Value.Message.ID)))
		agent := contract.MessageRequest{Content: "hi", AuthorName: "Bo"}
		fits(t, 201)(contract.Resp(server.PostAgentMessage(ctx, s.Value.Session.ID, agent)))
		fits(t, 200)(contract.Resp(server.GetOrgSession(ctx, s.Value.Session.ID)))
		fits(t, 204)(c.Preflight(ctx, "/v1/widget/sessions/"+s.Value.Session.ID+"/messages", origin, "POST",
			"authorization, content-type, x-widget-token, idempotency-key"))
	}
	yes := true
	ol, err := server.ListOrgSessions(ctx, contract.SessionFilter{UserID: "u1", Verified: &yes}, contract.Page{Limit: 5})
	fits(t, 200)(ol.Response, err)
	if len(ol.Value.Items) != 1 {
		t.Errorf("GET /v1/sessions?user_id=u1: %d sessions, want 1", len(ol.Value.Items))
	}
}

// TestRefusalsFitTheDocument: error answers fit the document too, and a
// request the document refuses is reported as such.
func TestRefusalsFitTheDocument(t *testing.T) {
	ctx := context.Background()
	c := inProcess(t, nil)

	r, err := c.Do(ctx, "POST", "/v1/admin/orgs", map[string]any{"name": "x", "allowed_origins": []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if r.RequestErr == nil {
		t.Errorf("%s without the admin token: the document did not refuse the request", r.What())
	}
	r.RequestErr = nil
	fits(t, 401)(r, nil)
	if r.Error == nil || r.Error.Code != "unauthorized" {
		t.Errorf("%s: error %+v, want unauthorized", r.What(), r.Error)
	}

	for _, x := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/v1/nothing-here", nil, 404},
		{"PUT", "/v1/widget/sessions", nil, 405},
		{"POST", "/v1/admin/orgs", contract.Raw(`{"name":"a","name":"b"}`), 400},
		{"POST", "/v1/widget/contacts", contract.Raw(strings.Repeat(" ", 65<<10)), 413},
	} {
		r, err := c.Do(ctx, x.method, x.path, x.body, contract.Bearer(admin), contract.WidgetToken("pk_nothing"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != x.want || r.AnswerErr != nil || r.Error == nil {
			t.Errorf("%s: %d (error %+v), answer %v; want %d in the document's shape", r.What(), r.Status, r.Error, r.AnswerErr, x.want)
		}
	}
}

// TestDriftIsCaught: an answer that does not fit the document is reported.
func TestDriftIsCaught(t *testing.T) {
	// The document renames revoked_before: the worker's answer no longer fits.
	doc := strings.Replace(string(openapi.JSON), `"revoked_before": {`, `"revoked_at": {`, 1)
	v, err := contract.LoadDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := inProcess(t, nil)
	c.Validator = v
	ctx := context.Background()
	org, _ := c.With(contract.Bearer(admin)).CreateOrg(ctx, contract.CreateOrgRequest{Name: "S", AllowedOrigins: []string{"https://s.example"}})
	r, err := c.With(contract.Bearer(org.Value.APIKey.Secret)).Revoke(ctx, contract.Identity{UserID: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || r.AnswerErr == nil {
		t.Errorf("revoke against a document that wants also_this: %d, answer error %v; want 200 and an error", r.Status, r.AnswerErr)
	}
}

// flaky is a KV that fails every call with err while down.
type flaky struct {
	kv.KV
	down atomic.Bool
	err  error
}

func (f *flaky) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if f.down.Load() {
		return nil, false, f.err
	}
	return f.KV.Get(ctx, key)
}

func (f *flaky) Put(ctx context.Context, key string, v []byte, o kv.PutOptions) error {
	if f.down.Load() {
		return f.err
	}
	return f.KV.Put(ctx, key, v, o)
}

func (f *flaky) List(ctx context.Context, o kv.ListOptions) (kv.ListResult, error) {
	if f.down.Load() {
		return kv.ListResult{}, f.err
	}
	return f.KV.List(ctx, o)
}

func (f *flaky) Delete(ctx context.Context, key string) error {
	if f.down.Load() {
		return f.err
	}
	return f.KV.Delete(ctx, key)
}

// TestStorageFailureIsUnavailable: with KV failing, every route that needs
// it answers 503 unavailable in the document's shape, whether the failure
// is KV's own or a deadline: never a 500.
func TestStorageFailureIsUnavailable(t *testing.T) {
	for name, failure := range map[string]error{
		"kv error": errors.New("kv: 503 from the platform"),
		"deadline": fmt.Errorf("kv get: %w", context.DeadlineExceeded),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := &flaky{KV: kv.NewMemory(), err: failure}
			c := inProcess(t, store)
			origin := "https://shop.example"
			vendor := c.With(contract.Bearer(admin))
			org, _ := vendor.CreateOrg(ctx, contract.CreateOrgRequest{Name: "S", AllowedOrigins: []string{origin}})
			server := c.With(contract.Bearer(org.Value.APIKey.Secret))
			widget := c.With(contract.WidgetToken(org.Value.Org.WidgetToken), contract.Origin(origin))
			ct, _ := widget.CreateContact(ctx, contract.ContactRequest{DeviceID: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"})
			w := widget.With(contract.Bearer(ct.Value.Token))
			s, _ := w.CreateSession(ctx, contract.SessionRequest{})
			sid := s.Value.Session.ID
			if sid == "" {
				t.Fatal("no session made while KV was up")
			}

			store.down.Store(true)
			// unavailable checks the answer to one route with KV down.
			unavailable := func(route string) func(*contract.Response, error) {
				return func(r *contract.Response, err error) {
					t.Helper()
					if err != nil {
						t.Fatalf("%s: %v", route, err)
					}
					if r.Status != 503 || r.Error == nil || r.Error.Code != "unavailable" || r.AnswerErr != nil {
						t.Errorf("%s (%s) with KV down: %d %s (answer: %v), want 503 unavailable",
							route, r.What(), r.Status, r.Body, r.AnswerErr)
					}
				}
			}
			newOrg := contract.CreateOrgRequest{Name: "T", AllowedOrigins: []string{"https://t.example"}}
			unavailable("create org")(contract.Resp(vendor.CreateOrg(ctx, newOrg)))
			unavailable("create api key")(contract.Resp(vendor.CreateAPIKey(ctx, org.Value.Org.ID)))
			unavailable("delete api key")(contract.Resp(vendor.DeleteAPIKey(ctx, org.Value.Org.ID, org.Value.APIKey.ID)))
			unavailable("authenticate")(contract.Resp(server.Authenticate(ctx, contract.AuthenticateRequest{UserID: "u"})))
			unavailable("revoke")(contract.Resp(server.Revoke(ctx, contract.Identity{UserID: "u"})))
			unavailable("org sessions")(contract.Resp(server.ListOrgSessions(ctx, contract.SessionFilter{}, contract.Page{})))
			unavailable("org session")(contract.Resp(server.GetOrgSession(ctx, sid)))
			unavailable("agent message")(contract.Resp(server.PostAgentMessage(ctx, sid, contract.MessageRequest{Content: "x"})))
			device := contract.ContactRequest{DeviceID: "5d9c1e2f-3a4b-4c5d-9e6f-7a8b9c0d1e2f"}
			unavailable("contact")(contract.Resp(widget.CreateContact(ctx, device)))
			unavailable("me")(contract.Resp(w.GetMe(ctx)))
			unavailable("create session")(contract.Resp(w.CreateSession(ctx, contract.SessionRequest{})))
			unavailable("sessions")(contract.Resp(w.ListSessions(ctx, "", contract.Page{})))
			unavailable("session")(contract.Resp(w.GetSession(ctx, sid, "")))
			unavailable("user message")(contract.Resp(w.PostUserMessage(ctx, sid, "x")))
			unavailable("preflight")(c.Preflight(ctx, "/v1/widget/sessions", origin, "POST", ""))
		})
	}
}
