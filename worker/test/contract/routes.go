package contract

import (
	"context"
	"net/url"
	"strconv"
)

// One method per operation of the document, in its order. Each sends the
// request and decodes a 2xx answer into Value; any other answer is in the
// Response (Status, Error).

func pathOf(segments ...string) string {
	p := ""
	for i, s := range segments {
		if i%2 == 1 {
			s = url.PathEscape(s)
		}
		p += s
	}
	return p
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func (p Page) query(q url.Values) url.Values {
	if q == nil {
		q = url.Values{}
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	return q
}

func (id Identity) query() url.Values {
	q := url.Values{}
	if id.UserID != "" {
		q.Set("user_id", id.UserID)
	}
	if id.Email != "" {
		q.Set("email", id.Email)
	}
	return q
}

// GetJWKS is GET /.well-known/jwks.json.
func (c *Client) GetJWKS(ctx context.Context, opts ...Option) (Call[JWKS], error) {
	return call[JWKS](ctx, c, "GET", "/.well-known/jwks.json", nil, opts)
}

// GetOpenAPI is GET /openapi.json: the document, as JSON.
func (c *Client) GetOpenAPI(ctx context.Context, opts ...Option) (Call[map[string]any], error) {
	return call[map[string]any](ctx, c, "GET", "/openapi.json", nil, opts)
}

// The vendor's routes (Bearer admin token).

func (c *Client) CreateOrg(ctx context.Context, req CreateOrgRequest, opts ...Option) (Call[OrgCreated], error) {
	return call[OrgCreated](ctx, c, "POST", "/v1/admin/orgs", req, opts)
}

// GetOrg and UpdateOrg are the vendor's view and change of an org, beyond
// API.md (README, "For the vendor").
func (c *Client) GetOrg(ctx context.Context, orgID string, opts ...Option) (Call[OrgWithKeys], error) {
	return call[OrgWithKeys](ctx, c, "GET", pathOf("/v1/admin/orgs/", orgID), nil, opts)
}

func (c *Client) UpdateOrg(ctx context.Context, orgID string, req UpdateOrgRequest, opts ...Option) (Call[OrgShown], error) {
	return call[OrgShown](ctx, c, "PATCH", pathOf("/v1/admin/orgs/", orgID), req, opts)
}

func (c *Client) CreateAPIKey(ctx context.Context, orgID string, opts ...Option) (Call[APIKeyCreated], error) {
	return call[APIKeyCreated](ctx, c, "POST", pathOf("/v1/admin/orgs/", orgID, "/api-keys"), nil, opts)
}

func (c *Client) DeleteAPIKey(ctx context.Context, orgID, keyID string, opts ...Option) (Call[struct{}], error) {
	return call[struct{}](ctx, c, "DELETE", pathOf("/v1/admin/orgs/", orgID, "/api-keys/", keyID), nil, opts)
}

// The org server's routes (Bearer api key).

func (c *Client) Authenticate(ctx context.Context, req AuthenticateRequest, opts ...Option) (Call[Authenticated], error) {
	return call[Authenticated](ctx, c, "POST", "/v1/users/authenticate", req, opts)
}

func (c *Client) Revoke(ctx context.Context, id Identity, opts ...Option) (Call[Revoked], error) {
	return call[Revoked](ctx, c, "POST", "/v1/users/revoke", id, opts)
}

// SessionFilter is the query of GET /v1/sessions; empty fields are left out.
type SessionFilter struct {
	UserID, Email, ExternalID string
	Verified                  *bool
}

func (c *Client) ListOrgSessions(ctx context.Context, f SessionFilter, p Page, opts ...Option) (Call[SessionList], error) {
	q := url.Values{}
	for k, v := range map[string]string{"user_id": f.UserID, "email": f.Email, "external_id": f.ExternalID} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Verified != nil {
		q.Set("verified", strconv.FormatBool(*f.Verified))
	}
	return call[SessionList](ctx, c, "GET", withQuery("/v1/sessions", p.query(q)), nil, opts)
}

func (c *Client) GetOrgSession(ctx context.Context, id string, opts ...Option) (Call[SessionDetail], error) {
	return call[SessionDetail](ctx, c, "GET", pathOf("/v1/sessions/", id), nil, opts)
}

func (c *Client) PostAgentMessage(ctx context.Context, sessionID string, req MessageRequest, opts ...Option) (Call[MessageCreated], error) {
	return call[MessageCreated](ctx, c, "POST", pathOf("/v1/sessions/", sessionID, "/messages"), req, opts)
}

// A person's data (api key).

func (c *Client) ExportUser(ctx context.Context, id Identity, cursor string, opts ...Option) (Call[Export], error) {
	return call[Export](ctx, c, "GET", withQuery("/v1/users/export", Page{Cursor: cursor}.query(id.query())), nil, opts)
}

func (c *Client) ExportContact(ctx context.Context, contactID, cursor string, opts ...Option) (Call[Export], error) {
	return call[Export](ctx, c, "GET", withQuery(pathOf("/v1/contacts/", contactID, "/export"), Page{Cursor: cursor}.query(nil)), nil, opts)
}

func (c *Client) DeleteUser(ctx context.Context, id Identity, opts ...Option) (Call[DeletionAnswer], error) {
	return call[DeletionAnswer](ctx, c, "DELETE", withQuery("/v1/users", id.query()), nil, opts)
}

func (c *Client) DeleteContact(ctx context.Context, contactID string, opts ...Option) (Call[DeletionAnswer], error) {
	return call[DeletionAnswer](ctx, c, "DELETE", pathOf("/v1/contacts/", contactID), nil, opts)
}

func (c *Client) GetDeletion(ctx context.Context, id string, opts ...Option) (Call[DeletionAnswer], error) {
	return call[DeletionAnswer](ctx, c, "GET", pathOf("/v1/deletions/", id), nil, opts)
}

// Webhooks (api key).

func (c *Client) PutWebhook(ctx context.Context, req WebhookRequest, opts ...Option) (Call[WebhookAnswer], error) {
	return call[WebhookAnswer](ctx, c, "PUT", "/v1/webhook", req, opts)
}

func (c *Client) GetWebhook(ctx context.Context, opts ...Option) (Call[WebhookAnswer], error) {
	return call[WebhookAnswer](ctx, c, "GET", "/v1/webhook", nil, opts)
}

func (c *Client) DeleteWebhook(ctx context.Context, opts ...Option) (Call[struct{}], error) {
	return call[struct{}](ctx, c, "DELETE", "/v1/webhook", nil, opts)
}

func (c *Client) RotateWebhookSecret(ctx context.Context, opts ...Option) (Call[WebhookSecret], error) {
	return call[WebhookSecret](ctx, c, "POST", "/v1/webhook/rotate-secret", nil, opts)
}

// The widget's routes (X-Widget-Token, then Bearer user token).

func (c *Client) CreateContact(ctx context.Context, req ContactRequest, opts ...Option) (Call[ContactSignedIn], error) {
	return call[ContactSignedIn](ctx, c, "POST", "/v1/widget/contacts", req, opts)
}

func (c *Client) GetMe(ctx context.Context, opts ...Option) (Call[Me], error) {
	return call[Me](ctx, c, "GET", "/v1/widget/me", nil, opts)
}

func (c *Client) DeleteMe(ctx context.Context, opts ...Option) (Call[DeletionAnswer], error) {
	return call[DeletionAnswer](ctx, c, "DELETE", "/v1/widget/me", nil, opts)
}

func (c *Client) CreateSession(ctx context.Context, req SessionRequest, opts ...Option) (Call[SessionCreated], error) {
	return call[SessionCreated](ctx, c, "POST", "/v1/widget/sessions", req, opts)
}

func (c *Client) ListSessions(ctx context.Context, externalID string, p Page, opts ...Option) (Call[SessionList], error) {
	q := url.Values{}
	if externalID != "" {
		q.Set("external_id", externalID)
	}
	return call[SessionList](ctx, c, "GET", withQuery("/v1/widget/sessions", p.query(q)), nil, opts)
}

// GetSession is GET /v1/widget/sessions/{id}, with ?after= when after is set.
func (c *Client) GetSession(ctx context.Context, id, after string, opts ...Option) (Call[SessionDetail], error) {
	q := url.Values{}
	if after != "" {
		q.Set("after", after)
	}
	return call[SessionDetail](ctx, c, "GET", withQuery(pathOf("/v1/widget/sessions/", id), q), nil, opts)
}

func (c *Client) PostUserMessage(ctx context.Context, sessionID, content string, opts ...Option) (Call[MessageCreated], error) {
	return call[MessageCreated](ctx, c, "POST", pathOf("/v1/widget/sessions/", sessionID, "/messages"), MessageRequest{Content: content}, opts)
}

// Claim is POST /v1/widget/claim: the client's user token is the verified
// one, contactToken this device's.
func (c *Client) Claim(ctx context.Context, contactToken string, opts ...Option) (Call[Claimed], error) {
	return call[Claimed](ctx, c, "POST", "/v1/widget/claim", nil, append([]Option{ContactToken(contactToken)}, opts...))
}

// Preflight is a CORS preflight of path from origin, asking for method and
// the request headers.
func (c *Client) Preflight(ctx context.Context, path, origin, method, headers string, opts ...Option) (*Response, error) {
	o := []Option{Origin(origin), Header("Access-Control-Request-Method", method)}
	if headers != "" {
		o = append(o, Header("Access-Control-Request-Headers", headers))
	}
	return c.Do(ctx, "OPTIONS", path, nil, append(o, opts...)...)
}
