package soak

import (
	"context"
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
	orgName := func(i int) string { return fmt.Sprintf("soak %s o%d", run, i+1) }
	return build(ctx, c, adminToken, cfg.Orgs, orgName, func(org Org) (ps []Principal) {
		for d := range cfg.DevicesPerOrg {
			p := Principal{Name: fmt.Sprintf("%s/device-%d", org.Name, d), DeviceID: uuid.NewString()}
			if d == 0 && cfg.VerifiedPerOrg > 0 {
				p.Email = userEmail(0)
			}
			ps = append(ps, p)
		}
		for u := range cfg.VerifiedPerOrg {
			p := Principal{Name: fmt.Sprintf("%s/user-%d", org.Name, u), Verified: true, UserID: fmt.Sprintf("user-%d", u), Email: userEmail(u)}
			if u%2 == 0 {
				p.ExternalID = sharedExternalID
			}
			ps = append(ps, p)
		}
		return ps
	})
}

func userEmail(u int) string { return fmt.Sprintf("user-%d@soak.example", u) }

// build is the one world builder of the soaks: it creates orgs orgs through
// the admin API (named by orgName; Org.Name is "o1", "o2", ...), and in each
// the principals that people describes, then signs them all in at once.
func build(ctx context.Context, c *client, adminToken string, orgs int, orgName func(int) string, people func(Org) []Principal) (*World, error) {
	w := &World{}
	for i := range orgs {
		r, err := c.expect(201).CreateOrg(ctx, contract.CreateOrgRequest{Name: orgName(i), AllowedOrigins: []string{allowedOrigin}}, contract.Bearer(adminToken))
		switch {
		case err != nil:
			return nil, fmt.Errorf("creating org %q: %w", orgName(i), err)
		case r.Value.Org.ID == "" || r.Value.Org.WidgetToken == "" || r.Value.APIKey.Secret == "":
			return nil, fmt.Errorf("%s: 201 without org id, widget token and api key secret: %s", r.What(), shorten(r.Body, 300))
		}
		org := Org{Index: i, Name: fmt.Sprintf("o%d", i+1), ID: r.Value.Org.ID, WidgetToken: r.Value.Org.WidgetToken, APIKey: r.Value.APIKey.Secret}
		w.Orgs = append(w.Orgs, org)
		for _, p := range people(org) {
			p.Org = i
			w.Principals = append(w.Principals, p)
		}
	}
	errs := make([]error, len(w.Principals))
	var wg sync.WaitGroup
	for i := range w.Principals {
		p := &w.Principals[i]
		wg.Go(func() { errs[i] = p.signIn(ctx, c, w.Orgs[p.Org]) })
	}
	wg.Wait()
	return w, errors.Join(errs...)
}

// signIn creates p's contact, or authenticates p as a verified user, and
// keeps its token.
func (p *Principal) signIn(ctx context.Context, c *client, org Org) error {
	var res *contract.Response
	var err error
	if p.Verified {
		var r contract.Call[contract.Authenticated]
		r, err = c.expect(200).Authenticate(ctx, contract.AuthenticateRequest{UserID: p.UserID, Email: p.Email, Name: p.Name,
			ExternalID: p.ExternalID, CustomData: p.CustomData}, server(org)...)
		res, p.Token = r.Response, r.Value.Token
	} else {
		var r contract.Call[contract.ContactSignedIn]
		r, err = c.expect(200).CreateContact(ctx, contract.ContactRequest{DeviceID: p.DeviceID, Name: p.Name, Email: p.Email},
			contract.WidgetToken(org.WidgetToken), contract.Origin(allowedOrigin))
		res, p.Token, p.ContactID = r.Response, r.Value.Token, r.Value.Contact.ID
	}
	switch {
	case err != nil:
		return fmt.Errorf("signing in %s: %w", p.Name, err)
	case p.Token == "":
		return fmt.Errorf("%s for %s: %d without a token: %s", res.What(), p.Name, res.Status, shorten(res.Body, 300))
	}
	return nil
}

// widget is what the widget of p sends, and more.
func widget(org Org, p *Principal, more ...contract.Option) []contract.Option {
	return append([]contract.Option{contract.WidgetToken(org.WidgetToken), contract.Bearer(p.Token), contract.Origin(allowedOrigin)}, more...)
}

// server is what org's server sends (its api key), and more.
func server(org Org, more ...contract.Option) []contract.Option {
	return append([]contract.Option{contract.Bearer(org.APIKey)}, more...)
}

// serverName is who org's server is in the ledger and the read-back.
func serverName(org Org) string { return org.Name + "/server" }

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
