package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

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
	Index                   int
	Name                    string // "o1"
	ID, WidgetToken, APIKey string
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
	if i := slices.IndexFunc(w.Principals, func(p Principal) bool { return p.Name == name }); i >= 0 {
		return &w.Principals[i]
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
		for d := range cfg.DevicesPerOrg {
			p := Principal{Org: i, Name: fmt.Sprintf("o%d/device-%d", i+1, d), DeviceID: uuid.NewString()}
			if d == 0 && cfg.VerifiedPerOrg > 0 {
				p.Email = userEmail(0)
			}
			w.Principals = append(w.Principals, p)
		}
		for u := range cfg.VerifiedPerOrg {
			p := Principal{Org: i, Name: fmt.Sprintf("o%d/user-%d", i+1, u), Verified: true,
				UserID: fmt.Sprintf("user-%d", u), Email: userEmail(u)}
			if u%2 == 0 {
				p.ExternalID = sharedExternalID
			}
			w.Principals = append(w.Principals, p)
		}
	}
	return w, signIn(ctx, c, w.Orgs, w.Principals)
}

// signIn gets every principal its token, all at once.
func signIn(ctx context.Context, c *client, orgs []Org, ps []Principal) error {
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i := range ps {
		wg.Go(func() { errs[i] = ps[i].signIn(ctx, c, orgs[ps[i].Org]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func userEmail(u int) string { return fmt.Sprintf("user-%d@soak.example", u) }

func createOrg(ctx context.Context, c *client, adminToken, name string) (Org, error) {
	body, _ := json.Marshal(contract.CreateOrgRequest{Name: name, AllowedOrigins: []string{allowedOrigin}})
	res, err := c.do(ctx, request{method: "POST", path: "/v1/admin/orgs", body: body, header: bearer(adminToken), expect: []int{201}})
	if err != nil {
		return Org{}, fmt.Errorf("creating org %q: %w", name, err)
	}
	out, ok := decode(res, func(o contract.OrgCreated) bool {
		return o.Org.ID != "" && o.Org.WidgetToken != "" && o.APIKey.Secret != ""
	})
	if !ok {
		return Org{}, fmt.Errorf("POST /v1/admin/orgs: 201 without org id, widget token and api key secret: %s", shorten(res.Body, 300))
	}
	return Org{ID: out.Org.ID, WidgetToken: out.Org.WidgetToken, APIKey: out.APIKey.Secret}, nil
}

// signIn creates p's contact, or authenticates p as a verified user, and
// keeps its token.
func (p *Principal) signIn(ctx context.Context, c *client, org Org) error {
	what, r := "contact", request{method: "POST", path: "/v1/widget/contacts", expect: []int{200},
		header: map[string]string{"X-Widget-Token": org.WidgetToken, "Origin": allowedOrigin}}
	r.body, _ = json.Marshal(contract.ContactRequest{DeviceID: p.DeviceID, Name: p.Name, Email: p.Email})
	if p.Verified {
		what, r.path, r.header = "verified user", "/v1/users/authenticate", serverHeader(org)
		r.body, _ = json.Marshal(contract.AuthenticateRequest{UserID: p.UserID, Email: p.Email, Name: p.Name, ExternalID: p.ExternalID, CustomData: p.CustomData})
	}
	res, err := c.do(ctx, r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, p.Name, err)
	}
	// contract.ContactSignedIn, or contract.Authenticated: its token, and a contact's id
	out, ok := decode(res, func(o contract.ContactSignedIn) bool { return o.Token != "" })
	if !ok {
		return fmt.Errorf("POST %s for %s: %d without a token: %s", r.path, p.Name, res.Status, shorten(res.Body, 300))
	}
	p.Token, p.ContactID = out.Token, out.Contact.ID
	return nil
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// widgetHeader is what the widget of p sends.
func widgetHeader(org Org, p *Principal) map[string]string {
	return map[string]string{"X-Widget-Token": org.WidgetToken, "Authorization": "Bearer " + p.Token, "Origin": allowedOrigin}
}

func serverHeader(org Org) map[string]string { return bearer(org.APIKey) }

// Ledger is every session and message the drivers tried to create, with
// what the worker acknowledged. Check compares it with what is stored.
type Ledger struct {
	Sessions []SessionEntry
	Messages []MessageEntry
}

// SessionEntry is one POST /v1/widget/sessions operation.
type SessionEntry struct {
	Ref        string // its Idempotency-Key, also sent as custom_data.soak_ref
	Org        int
	Owner      string // the principal's name
	ExternalID string // what the session must carry ("" none)
	Acked      bool   // got a 201
	ID         string // the acknowledged session id
}

// MessageEntry is one message post, by a widget user or an org server.
type MessageEntry struct {
	Key       string // its Idempotency-Key; the content contains it
	Org       int
	SessionID string
	Author    string // the principal's name, or "o1/server"
	Role      string // "user" or "agent"
	Content   string
	FirstSent time.Time // when the first attempt was sent
	Acked     bool      // got a 201
	ID        string    // the acknowledged message id
	AckedAt   time.Time // when the 201 was read
}

// recorder fills a Ledger from many goroutines.
type recorder struct {
	guard
	ledger Ledger
}

// beginSession and beginMessage record an attempt and return its index.
func (r *recorder) beginSession(e SessionEntry) (i int) {
	r.locked(func() { r.ledger.Sessions, i = append(r.ledger.Sessions, e), len(r.ledger.Sessions) })
	return i
}

func (r *recorder) beginMessage(e MessageEntry) (i int) {
	r.locked(func() { r.ledger.Messages, i = append(r.ledger.Messages, e), len(r.ledger.Messages) })
	return i
}

func (r *recorder) ackSession(i int, id string) {
	r.locked(func() { r.ledger.Sessions[i].Acked, r.ledger.Sessions[i].ID = true, id })
}

func (r *recorder) ackMessage(i int, id string, at time.Time) {
	r.locked(func() { e := &r.ledger.Messages[i]; e.Acked, e.ID, e.AckedAt = true, id, at })
}

// sessionsOf returns the acknowledged session ids of org so far, for the
// org servers to reply into.
func (r *recorder) sessionsOf(org int) (out []string) {
	r.locked(func() { out = ids(r.ledger.acked(func(e SessionEntry) bool { return e.Org == org })) })
	return out
}

// snapshot returns a copy of the ledger.
func (r *recorder) snapshot() (l Ledger) {
	r.locked(func() {
		l = Ledger{Sessions: slices.Clone(r.ledger.Sessions), Messages: slices.Clone(r.ledger.Messages)}
	})
	return l
}

// guard is a mutex with a helper that runs f under it.
type guard struct{ mu sync.Mutex }

func (g *guard) locked(f func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f()
}

// acked returns the acknowledged sessions of l that keep accepts.
func (l Ledger) acked(keep func(SessionEntry) bool) []SessionEntry {
	var out []SessionEntry
	for _, e := range l.Sessions {
		if e.Acked && keep(e) {
			out = append(out, e)
		}
	}
	return out
}

func all(SessionEntry) bool { return true }

func ids(es []SessionEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}
