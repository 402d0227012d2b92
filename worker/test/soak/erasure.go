package soak

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
)

// The erasure soak: people chat in two orgs, and halfway through some of
// them are erased (by the org's server, or by their own widget) while the
// others keep chatting. Once every deletion is done it checks that the
// erased are gone (tokens refused, sessions 404 and unlisted, export 404,
// and, when the worker has the development route GET /v1/admin/debug/kv,
// no key or value holding their marks), that each deletion counted what
// they had, and that every other person's export holds exactly the sessions
// and messages the worker acknowledged, in order, none lost, duplicated or
// misplaced.

// ErasureConfig sizes an erasure soak.
type ErasureConfig struct {
	Orgs, PeoplePerOrg int
	// Duration is how long the survivors chat in all; the erasures start
	// halfway.
	Duration, Think time.Duration
	// Wait bounds the wait for the deletions to be done.
	Wait time.Duration
	Log  func(format string, args ...any)
}

// ShortErasureConfig is the run of `make test`.
func ShortErasureConfig() ErasureConfig {
	return ErasureConfig{Orgs: 2, PeoplePerOrg: 6, Duration: 4 * time.Second, Think: 40 * time.Millisecond, Wait: 90 * time.Second}
}

// ErasureReport is what an erasure soak found.
type ErasureReport struct {
	People, Erased                 int
	Sessions, Messages             int // acknowledged, of everyone
	ErasedSessions, ErasedMessages int // what the deletions reported
	KVKeysRead                     int // 0 when the worker has no debug route
	Violations                     []string
}

type soakPerson struct {
	*Principal // its Name is also its mark: in its name, email, custom data, messages
	org        Org

	guard
	sessions []string            // acknowledged, in order
	messages map[string][]string // session → acknowledged message ids, in order
	halted   context.Context     // done: it starts no more operation
	halt     context.CancelFunc
	stopped  chan struct{}
	deletion string // the id of its erasure, if erased
}

// stop stops p's chat and waits until it has: its operations under way
// finish (their context is the run's), so that what it has is known.
func (p *soakPerson) stop() {
	p.halt()
	<-p.stopped
}

// RunErasure runs the erasure soak on t.
func RunErasure(ctx context.Context, t Target, cfg ErasureConfig) (*ErasureReport, error) {
	if err := checkLoopback(t.URL); err != nil {
		return nil, err
	}
	log := Config{Log: cfg.Log}.logf
	run := runID()
	c := newClient(t.URL, 10*time.Second, newStats())
	defer c.transport.CloseIdleConnections()
	orgName := func(o int) string { return fmt.Sprintf("erasure %s o%d", run, o) }
	w, err := build(ctx, c, t.AdminToken, cfg.Orgs, orgName, func(org Org) (ps []Principal) {
		for i := range cfg.PeoplePerOrg {
			p := Principal{Name: fmt.Sprintf("er%s-o%dp%d", run, org.Index, i), Verified: i%2 == 0}
			if p.Verified {
				p.UserID, p.Email, p.CustomData = p.Name+"-uid", p.Name+"@Soak.Example", map[string]any{"m": p.Name}
			} else {
				p.DeviceID, p.Email = uuid.NewString(), p.Name+"@soak.example"
			}
			ps = append(ps, p)
		}
		return ps
	})
	if err != nil {
		return nil, err
	}
	people := make([]*soakPerson, len(w.Principals))
	for i := range w.Principals {
		p := &soakPerson{Principal: &w.Principals[i], org: w.Orgs[w.Principals[i].Org], messages: map[string][]string{}, stopped: make(chan struct{})}
		p.halted, p.halt = context.WithCancel(ctx)
		people[i] = p
	}
	log("erasure soak %s: %d people chatting", run, len(people))
	for _, p := range people {
		go p.chat(ctx, c, cfg.Think)
	}
	sleep(ctx, cfg.Duration/2)

	// Erase every third person: a verified user by the org's server, a
	// contact by the org's server or by its own widget. Each stops chatting
	// first (a person who asks to be forgotten), the others go on.
	rep := &ErasureReport{People: len(people)}
	var erased []*soakPerson
	for i, p := range people {
		if i%3 != 1 {
			continue
		}
		p.stop()
		var r contract.Call[contract.DeletionAnswer]
		switch {
		case p.Verified:
			r, err = c.expect(202).DeleteUser(ctx, contract.Identity{UserID: p.UserID}, server(p.org)...)
		case i%2 == 1 && (i/3)%2 == 0:
			r, err = c.expect(202).DeleteMe(ctx, widget(p.org, p.Principal)...)
		default:
			r, err = c.expect(202).DeleteContact(ctx, p.ContactID, server(p.org)...)
		}
		if err != nil {
			return nil, err
		}
		if r.Value.Deletion.ID == "" {
			return nil, fmt.Errorf("%s: %s", r.What(), shorten(r.Body, 200))
		}
		p.deletion = r.Value.Deletion.ID
		erased = append(erased, p)
	}
	rep.Erased = len(erased)
	log("erasure soak %s: %d erasures requested; the others chat on", run, len(erased))

	// Wait for every deletion while the others chat; then stop them.
	deadline := time.Now().Add(cfg.Wait)
	for _, p := range erased {
		for {
			r, err := c.expect(200).GetDeletion(ctx, p.deletion, server(p.org)...)
			if err != nil {
				return nil, err
			}
			if d := r.Value.Deletion; d.Status == "done" {
				sessions, messages := p.acknowledged()
				if d.Sessions == nil || d.Messages == nil || *d.Sessions != sessions || *d.Messages != messages {
					rep.Violations = append(rep.Violations, fmt.Sprintf("%s: deletion counted %s, acknowledged %d sessions and %d messages", p.Name, shorten(r.Body, 200), sessions, messages))
				}
				if d.Sessions != nil && d.Messages != nil {
					rep.ErasedSessions += *d.Sessions
					rep.ErasedMessages += *d.Messages
				}
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("deletion of %s not done after %v", p.Name, cfg.Wait)
			}
			sleep(ctx, 200*time.Millisecond)
		}
	}
	sleep(ctx, cfg.Duration/2)
	var marks []string
	for _, p := range people {
		p.stop()
		s, m := p.acknowledged()
		rep.Sessions, rep.Messages = rep.Sessions+s, rep.Messages+m
		if p.deletion != "" {
			marks = append(marks, p.Name, p.ContactID)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, p := range people {
		rep.Violations = append(rep.Violations, p.check(ctx, c)...)
	}
	n, leftovers, err := dumpHolding(ctx, c, t.AdminToken, marks)
	if err != nil {
		return nil, err
	}
	rep.KVKeysRead = n
	for _, k := range leftovers {
		rep.Violations = append(rep.Violations, "left of an erased person: "+k)
	}
	if len(rep.Violations) > 0 {
		return rep, fmt.Errorf("%w: %d, e.g. %s", ErrViolations, len(rep.Violations), rep.Violations[0])
	}
	return rep, nil
}

// chat creates sessions and posts messages (the widget's, and now and then
// the org's agent's) until told to stop, recording what was acknowledged.
func (p *soakPerson) chat(ctx context.Context, c *client, think time.Duration) {
	defer close(p.stopped)
	for n := 0; p.halted.Err() == nil; n++ {
		cur := ""
		p.locked(func() {
			if len(p.sessions) > 0 && n%5 != 0 {
				cur = p.sessions[len(p.sessions)-1]
			}
		})
		key := contract.IdempotencyKey(uuid.NewString())
		if cur == "" {
			r, err := c.expect(201).CreateSession(ctx, contract.SessionRequest{}, widget(p.org, p.Principal, key)...)
			if err == nil && r.Value.Session.ID != "" {
				p.locked(func() { p.sessions = append(p.sessions, r.Value.Session.ID) })
			}
			continue
		}
		content := fmt.Sprintf("%s says %d", p.Name, n)
		var r contract.Call[contract.MessageCreated]
		var err error
		if n%4 == 3 {
			r, err = c.expect(201).PostAgentMessage(ctx, cur, contract.MessageRequest{Content: content}, server(p.org, key)...)
		} else {
			r, err = c.expect(201).PostUserMessage(ctx, cur, content, widget(p.org, p.Principal, key)...)
		}
		if err == nil && r.Value.Message.ID != "" {
			p.locked(func() { p.messages[cur] = append(p.messages[cur], r.Value.Message.ID) })
		}
		sleep(ctx, think)
	}
}

func (p *soakPerson) acknowledged() (sessions, messages int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.messages {
		messages += len(m)
	}
	return len(p.sessions), messages
}

// check compares what is stored of p with what was acknowledged: nothing at
// all when erased, else exactly it.
func (p *soakPerson) check(ctx context.Context, c *client) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, p.Name+": "+fmt.Sprintf(format, args...)) }
	export := func(status int, cursor string) (contract.Call[contract.Export], error) {
		if p.Verified {
			return c.expect(status).ExportUser(ctx, contract.Identity{UserID: p.UserID}, cursor, server(p.org)...)
		}
		return c.expect(status).ExportContact(ctx, p.ContactID, cursor, server(p.org)...)
	}
	if p.deletion != "" {
		if r, err := c.expect(401).ListSessions(ctx, "", contract.Page{}, widget(p.org, p.Principal)...); err != nil {
			bad("the old token: %v", err)
		} else if !strings.Contains(string(r.Body), "token_revoked") {
			bad("the old token: %s", shorten(r.Body, 120))
		}
		if _, err := export(404, ""); err != nil {
			bad("export after erasure: %v", err)
		}
		for _, s := range p.sessions {
			if _, err := c.expect(404).GetOrgSession(ctx, s, server(p.org)...); err != nil {
				bad("session %s after erasure: %v", s, err)
			}
		}
		return out
	}
	got := map[string][]string{}
	var order []string
	err := pages(1000, func(cursor string) (*string, error) {
		r, err := export(200, cursor)
		if err != nil {
			return nil, err
		}
		for _, s := range r.Value.Sessions {
			if _, dup := got[s.Session.ID]; dup {
				bad("session %s exported twice", s.Session.ID)
			}
			order = append(order, s.Session.ID)
			got[s.Session.ID] = []string{}
			for _, m := range s.Messages {
				got[s.Session.ID] = append(got[s.Session.ID], m.ID)
			}
		}
		return r.Value.NextCursor, nil
	})
	if err != nil {
		bad("export: %v", err)
		return out
	}
	want := slices.Clone(p.sessions)
	slices.Reverse(want)
	if !slices.Equal(order, want) {
		bad("exported sessions %v, acknowledged (newest first) %v", order, want)
	}
	for _, s := range p.sessions {
		if !slices.Equal(got[s], p.messages[s]) && !(len(got[s]) == 0 && len(p.messages[s]) == 0) {
			bad("session %s: %d messages exported, %d acknowledged (lost, duplicated or out of order)", s, len(got[s]), len(p.messages[s]))
		}
	}
	return out
}

// dumpHolding reads the whole KV through GET /v1/admin/debug/kv and returns
// how many keys it read and those that hold one of marks; 0 and none when
// the worker does not have that route.
func dumpHolding(ctx context.Context, c *client, adminToken string, marks []string) (n int, out []string, err error) {
	none := false
	err = pages(100000, func(cursor string) (*string, error) {
		path := "/v1/admin/debug/kv"
		if cursor != "" {
			path += "?cursor=" + url.QueryEscape(cursor)
		}
		res, err := c.expect(200, 404).Do(ctx, "GET", path, nil, contract.Bearer(adminToken))
		if err != nil {
			return nil, err
		}
		var page struct {
			Keys       []struct{ Name, Value, Metadata string }
			NextCursor *string `json:"next_cursor"`
		}
		if none = res.Status == 404; none {
			return nil, nil
		}
		if err := res.Decode(&page); err != nil {
			return nil, err
		}
		for _, k := range page.Keys {
			n++
			hay := strings.ToLower(k.Name + "\x00" + k.Value + "\x00" + k.Metadata)
			if slices.ContainsFunc(marks, func(m string) bool { return m != "" && strings.Contains(hay, strings.ToLower(m)) }) {
				out = append(out, k.Name)
			}
		}
		return page.NextCursor, nil
	})
	if none {
		return 0, nil, nil
	}
	return n, out, err
}
