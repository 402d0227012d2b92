package soak

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// sharedExternalID is the workspace some sessions are scoped to: the verified
// users with an even index carry it in their tokens, and every third session
// of a contact names it.
const sharedExternalID = "team-a"

// World is what setup created: the orgs and their principals.
type World struct {
	Orgs       []Org
	Principals []Principal
}

// Org is one org created through the admin API, with the one origin it
// allows (the widget calls send it).
type Org struct {
	Index                           int
	Name                            string // "o1"
	ID, WidgetToken, APIKey, Origin string
}

// Principal is one simulated widget user: a contact (a device) or a
// verified user, with the user token the widget sends.
type Principal struct {
	Org      int    // index into World.Orgs
	Name     string // "o1/device-2", "o1/user-0"
	Verified bool
	Email    string // verified: its email; contact: the email it claims, if any
	UserID   string // verified
	// ExternalID is the external id signed into a verified token ("" none).
	ExternalID string
	Token      string
	ContactID  string // contact: its id
	// Mark is unique to the principal in this run: its name at sign-in, in
	// a verified user's custom data and in every message of its sessions;
	// after its erasure no key or value of the KV may hold it (erasure.go).
	Mark string
	// Erase is how the principal is erased halfway through (erasure.go):
	// "" not at all, or one of eraseByUserID, eraseByContactID, eraseByWidget.
	Erase string
}

// survivorsOf are the principals of org (-1: of every org) that are not
// erased: only they have a token that reads.
func (w *World) survivorsOf(org int) []*Principal {
	var out []*Principal
	for i, p := range w.Principals {
		if (org < 0 || p.Org == org) && p.Erase == "" {
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
// user-0's chats, nor go with user-0's erasure) and the verified users (the
// same user ids and emails in every org, which must not let one org's user
// see another's chats), through contract.BuildWorld.
func setup(ctx context.Context, c *client, cfg Config, adminToken, run string) (*World, error) {
	w, steps := &World{}, []contract.Step{}
	add := func(p Principal) {
		p.Mark = fmt.Sprintf("m%s-%s-x", run, strings.ReplaceAll(p.Name, "/", "-"))
		step := contract.Step{Name: p.Name, Org: orgName(p.Org)}
		if p.Verified {
			step.Auth = &contract.AuthenticateRequest{UserID: p.UserID, Email: p.Email, Name: p.Mark, ExternalID: p.ExternalID,
				CustomData: map[string]any{"m": p.Mark}}
		} else {
			if p.Erase != "" {
				p.Email = p.Mark + "@Soak.Example" // an erased email, in mixed case
			}
			step.Contact = map[string]any{"device_id": p.Name, "name": p.Mark}
			if p.Email != "" {
				step.Contact["email"] = p.Email
			}
		}
		w.Principals, steps = append(w.Principals, p), append(steps, step)
	}
	for o := range cfg.Orgs {
		for d := range cfg.DevicesPerOrg {
			p := Principal{Org: o, Name: fmt.Sprintf("%s/device-%d", orgName(o), d)}
			switch {
			case d == 0:
				p.Email = userEmail(0)
			case d == 1 && o%2 == 0:
				p.Erase = eraseByContactID
			case d == 1:
				p.Erase = eraseByWidget
			}
			add(p)
		}
		for u := range cfg.VerifiedPerOrg {
			p := Principal{Org: o, Name: fmt.Sprintf("%s/user-%d", orgName(o), u), Verified: true, UserID: fmt.Sprintf("user-%d", u), Email: userEmail(u)}
			if u%2 == 0 {
				p.ExternalID = sharedExternalID
			}
			if u == 0 {
				p.Erase = eraseByUserID
			}
			add(p)
		}
	}
	built, err := contract.BuildWorld(ctx, c.expect(200, 201), adminToken, "soak", steps)
	if err != nil {
		return nil, err
	}
	for o := range cfg.Orgs {
		b := built.Orgs[orgName(o)]
		w.Orgs = append(w.Orgs, Org{Index: o, Name: orgName(o), ID: b.Org.ID, WidgetToken: b.Org.WidgetToken, APIKey: b.APIKey.Secret, Origin: b.Origin})
	}
	for i := range w.Principals {
		p, a := &w.Principals[i], built.Actors[w.Principals[i].Name]
		p.Token = a.Token
		if !p.Verified {
			p.ContactID = a.ID
		}
	}
	return w, nil
}

func orgName(o int) string   { return fmt.Sprintf("o%d", o+1) }
func userEmail(u int) string { return fmt.Sprintf("user-%d@soak.example", u) }

// widget is what the widget of p sends, and more.
func widget(org Org, p *Principal, more ...contract.Option) []contract.Option {
	return append([]contract.Option{contract.WidgetToken(org.WidgetToken), contract.Bearer(p.Token), contract.Origin(org.Origin)}, more...)
}

// server is what org's server sends (its api key), and more.
func server(org Org, more ...contract.Option) []contract.Option {
	return append([]contract.Option{contract.Bearer(org.APIKey)}, more...)
}

// serverName is who org's server is in the ledger and the read-back.
func serverName(org Org) string { return org.Name + "/server" }

func isServer(who string) bool { return strings.HasSuffix(who, "/server") }

// Ledger is every session and message the drivers tried to create, with
// what the worker acknowledged. Check compares it with what is stored.
type Ledger struct {
	Sessions []SessionEntry
	Messages []MessageEntry
}

// SessionEntry is one POST /v1/widget/sessions operation.
type SessionEntry struct {
	Ref        string // its Idempotency-Key (opaque: opaqueKey), also sent as custom_data.soak_ref
	Org        int
	Owner      string // the principal's name
	ExternalID string // what the session must carry ("" none)
	Acked      bool   // got a 201
	ID         string // the acknowledged session id
}

// MessageEntry is one message post, by a widget user or an org server.
type MessageEntry struct {
	Key       string // its Idempotency-Key (opaque: opaqueKey); the content starts with it
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
	erased map[string]bool // principals erased (their names)
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

// sessionsOf returns the acknowledged sessions of org so far whose owner
// is not erased, for the org servers to reply into.
func (r *recorder) sessionsOf(org int) (out []SessionEntry) {
	r.locked(func() { out = r.ledger.acked(func(e SessionEntry) bool { return e.Org == org && !r.erased[e.Owner] }) })
	return out
}

// erase marks name's principal erased: its widget and the org servers
// start no more operation in its sessions.
func (r *recorder) erase(name string) { r.locked(func() { r.erased[name] = true }) }

func (r *recorder) isErased(name string) (gone bool) {
	r.locked(func() { gone = r.erased[name] })
	return gone
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
	return slices.DeleteFunc(slices.Clone(l.Sessions), func(e SessionEntry) bool { return !e.Acked || !keep(e) })
}

func all(SessionEntry) bool { return true }
