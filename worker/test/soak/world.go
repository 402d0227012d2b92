package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
)

// allowedOrigin is the one origin of every soak org; widget calls send it.
const allowedOrigin = "http://soak.localhost"

// sharedExternalID is the workspace some sessions are scoped to: the verified
// users with an even index carry it in their tokens, and every third session
// of a contact names it.
const sharedExternalID = "team-a"

// World is what setup created: the orgs and their principals.
type World struct {
	Orgs       []Org
	Principals []Principal
}

// Org is one org created through the admin API.
type Org struct {
	Index       int
	Name        string // "o1"
	ID          string
	WidgetToken string
	APIKey      string
}

// Principal is one simulated widget user: a contact (a device) or a
// verified user, with the user token the widget sends.
type Principal struct {
	Org      int    // index into World.Orgs
	Name     string // "o1/device-2", "o1/user-0"
	Verified bool
	DeviceID string // contact
	Email    string // verified: its email; contact: the email it claims, if any
	UserID   string // verified
	// ExternalID is the external id signed into a verified token ("" none).
	ExternalID string
	Token      string
	ContactID  string         // contact: its id
	CustomData map[string]any // verified: the custom data authenticated with
}

func (w *World) principalsOf(org int) []*Principal {
	var out []*Principal
	for i := range w.Principals {
		if w.Principals[i].Org == org {
			out = append(out, &w.Principals[i])
		}
	}
	return out
}

func (w *World) principal(name string) *Principal {
	for i := range w.Principals {
		if w.Principals[i].Name == name {
			return &w.Principals[i]
		}
	}
	return nil
}

// setup creates cfg.Orgs orgs, and in each the contacts (fresh UUID v4
// device ids; device-0 claims the email of user-0, which must not let it see
// user-0's chats) and the verified users (the same user ids and emails in
// every org, which must not let one org's user see another's chats).
func setup(ctx context.Context, c *client, cfg Config, adminToken, run string) (*World, error) {
	w := &World{Orgs: make([]Org, cfg.Orgs)}
	for i := range w.Orgs {
		org, err := createOrg(ctx, c, adminToken, fmt.Sprintf("soak %s o%d", run, i+1))
		if err != nil {
			return nil, err
		}
		org.Index, org.Name = i, fmt.Sprintf("o%d", i+1)
		w.Orgs[i] = org
		for d := 0; d < cfg.DevicesPerOrg; d++ {
			p := Principal{Org: i, Name: fmt.Sprintf("o%d/device-%d", i+1, d), DeviceID: uuid.NewString()}
			if d == 0 && cfg.VerifiedPerOrg > 0 {
				p.Email = userEmail(0)
			}
			w.Principals = append(w.Principals, p)
		}
		for u := 0; u < cfg.VerifiedPerOrg; u++ {
			p := Principal{Org: i, Name: fmt.Sprintf("o%d/user-%d", i+1, u), Verified: true,
				UserID: fmt.Sprintf("user-%d", u), Email: userEmail(u)}
			if u%2 == 0 {
				p.ExternalID = sharedExternalID
			}
			w.Principals = append(w.Principals, p)
		}
	}
	errs := make([]error, len(w.Principals))
	var wg sync.WaitGroup
	for i := range w.Principals {
		wg.Go(func() {
			p := &w.Principals[i]
			if p.Verified {
				errs[i] = authenticate(ctx, c, w.Orgs[p.Org], p)
			} else {
				errs[i] = createContact(ctx, c, w.Orgs[p.Org], p)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return w, nil
}

func userEmail(u int) string { return fmt.Sprintf("user-%d@soak.example", u) }

func createOrg(ctx context.Context, c *client, adminToken, name string) (Org, error) {
	body, _ := json.Marshal(contract.CreateOrgRequest{Name: name, AllowedOrigins: []string{allowedOrigin}})
	res, err := c.do(ctx, request{method: "POST", path: "/v1/admin/orgs", body: body,
		header: map[string]string{"Authorization": "Bearer " + adminToken}, expect: []int{201}})
	if err != nil {
		return Org{}, fmt.Errorf("creating org %q: %w", name, err)
	}
	var out contract.OrgCreated
	if err := json.Unmarshal(res.body, &out); err != nil || out.Org.ID == "" || out.Org.WidgetToken == "" || out.APIKey.Secret == "" {
		return Org{}, fmt.Errorf("POST /v1/admin/orgs: 201 without org id, widget token and api key secret: %s", shorten(res.body, 300))
	}
	return Org{ID: out.Org.ID, WidgetToken: out.Org.WidgetToken, APIKey: out.APIKey.Secret}, nil
}

func createContact(ctx context.Context, c *client, org Org, p *Principal) error {
	body, _ := json.Marshal(contract.ContactRequest{DeviceID: p.DeviceID, Name: p.Name, Email: p.Email})
	res, err := c.do(ctx, request{method: "POST", path: "/v1/widget/contacts", body: body,
		header: map[string]string{"X-Widget-Token": org.WidgetToken, "Origin": allowedOrigin}, expect: []int{200}})
	if err != nil {
		return fmt.Errorf("contact %s: %w", p.Name, err)
	}
	return readToken(res, p, "POST /v1/widget/contacts")
}

func authenticate(ctx context.Context, c *client, org Org, p *Principal) error {
	body, _ := json.Marshal(contract.AuthenticateRequest{UserID: p.UserID, Email: p.Email, Name: p.Name, ExternalID: p.ExternalID, CustomData: p.CustomData})
	res, err := c.do(ctx, request{method: "POST", path: "/v1/users/authenticate", body: body,
		header: map[string]string{"Authorization": "Bearer " + org.APIKey}, expect: []int{200}})
	if err != nil {
		return fmt.Errorf("verified user %s: %w", p.Name, err)
	}
	return readToken(res, p, "POST /v1/users/authenticate")
}

func readToken(res response, p *Principal, route string) error {
	var out contract.ContactSignedIn // or contract.Authenticated: its token, and a contact's id
	if err := json.Unmarshal(res.body, &out); err != nil || out.Token == "" {
		return fmt.Errorf("%s for %s: %d without a token: %s", route, p.Name, res.status, shorten(res.body, 300))
	}
	p.Token, p.ContactID = out.Token, out.Contact.ID
	return nil
}

// widgetHeader is what the widget of p sends.
func widgetHeader(org Org, p *Principal) map[string]string { return widgetHeaderToken(org, p.Token) }

func widgetHeaderToken(org Org, token string) map[string]string {
	return map[string]string{"X-Widget-Token": org.WidgetToken, "Authorization": "Bearer " + token, "Origin": allowedOrigin}
}

func serverHeader(org Org) map[string]string {
	return map[string]string{"Authorization": "Bearer " + org.APIKey}
}
