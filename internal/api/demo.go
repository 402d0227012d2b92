package api

import (
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
)

// The demo routes exist only when DEMO_ROUTES is on (development). They play
// the org's server for the demo page: a real site mints verified tokens on its
// own server with its api key, never in the browser.

// demoConfig returns the demo org of the worker's host and port, creating it
// on first use with that origin allowed.
func (a *API) demoConfig(w httpx.ResponseWriter, r *httpx.Request) error {
	d, err := a.demoOrg(r)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, d)
	return nil
}

func (a *API) demoOrg(r *httpx.Request) (*demoOrg, error) {
	ctx := r.Context()
	var d demoOrg
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	found, err := a.store.DemoOrg(ctx, host, &d)
	if err != nil || found {
		return &d, err
	}
	port := ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		port = host[i:]
	}
	origins := []string{"http://127.0.0.1" + port, "http://localhost" + port}
	org, key, err := a.store.CreateOrg(ctx, "Demo", origins)
	if err != nil {
		return nil, err
	}
	d = demoOrg{OrgID: org.ID, WidgetToken: org.WidgetToken, APIKey: key.Secret, AllowedOrigins: origins}
	if err := a.store.SaveDemoOrg(ctx, host, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

type demoOrg struct {
	OrgID          string   `json:"org_id"`
	WidgetToken    string   `json:"widget_token"`
	APIKey         string   `json:"api_key"`
	AllowedOrigins []string `json:"allowed_origins"`
}

type demoTokenRequest struct {
	UserID     *string `json:"user_id"`
	Email      *string `json:"email"`
	Name       *string `json:"name"`
	ExternalID *string `json:"external_id"`
}

// demoToken mints a verified token for the demo org, as the org's server
// would with POST /v1/users/authenticate.
func (a *API) demoToken(w httpx.ResponseWriter, r *httpx.Request) error {
	var req demoTokenRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	d, err := a.demoOrg(r)
	if err != nil {
		return err
	}
	uid, email, idKey, err := identityFields(req.UserID, req.Email)
	if err != nil {
		return err
	}
	ext := ""
	if req.ExternalID != nil && *req.ExternalID != "" {
		if err := identity.ValidateIdentifier("external_id", *req.ExternalID); err != nil {
			return err
		}
		ext = *req.ExternalID
	}
	in := store.UserInput{UserID: uid, Email: email, ExternalID: ext}
	if req.Name != nil {
		name, err := identity.ValidateName("name", *req.Name, identity.MaxNameChars)
		if err != nil {
			return err
		}
		in.Name = &name
	}
	if _, err := a.store.UpsertUser(r.Context(), d.OrgID, in); err != nil {
		return err
	}
	// As the org's server would: with the demo org's api key.
	key, err := a.store.APIKeyBySecret(r.Context(), d.APIKey)
	if err != nil {
		return err
	}
	c := serverCall{orgID: d.OrgID, keyID: key.ID}
	tok, exp, err := a.issueVerified(c, idKey, uid, email, ext, identity.DefaultTokenTTLSecs*time.Second)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"token": tok, "expires_at": exp.UTC()})
	return nil
}

// demoDumpKV is GET /v1/admin/debug/kv?cursor= (admin token, demo routes
// only): every key of the KV with its value, a page at a time, so that a
// test can read the whole store after an erasure.
func (a *API) demoDumpKV(w httpx.ResponseWriter, r *httpx.Request) error {
	keys, next, err := a.store.DumpKV(r.Context(), r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, map[string]any{"keys": keys, "next_cursor": nullable(next)})
	return nil
}
