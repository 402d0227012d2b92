package soak

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Snapshot is everything read back at the end of a run.
type Snapshot struct {
	// Listings are every listing read, every page: each org server's GET
	// /v1/sessions, unfiltered and with each filter of orgFilters, and each
	// principal's GET /v1/widget/sessions.
	Listings []Listing
	// Reads are the GETs of sessions by id: by the org server and the owner
	// of every session they list or the soak acknowledged, and of every
	// acknowledged session by the other principals of its org and, in every
	// other org, by one principal (in turn) and the org's server.
	Reads      []Read
	ReadErrors []string // reads that got no usable answer

	// The erasure's (erasure.go): every survivor's export (each session as
	// exported; its listing is in Listings), the questions asked of the
	// erased, their deletions, and the KV keys read and those that hold a
	// mark of an erased principal.
	Exports    []Read
	Probes     []Probe
	Deletions  []DeletionRead
	KVKeysRead int
	KVHolding  []string
}

// Listing is one listing read, every page.
type Listing struct {
	Who    string                 // a principal's name, or "o1/server"
	Filter contract.SessionFilter // an org server's filter; zero: none
	Export string                 // the org server's export of this principal: its sessions, newest first
	Path   string                 // of the first page, for messages
	IDs    []string               // in order
}

// Read is one GET of a session by id.
type Read struct {
	Who, SessionID string
	Status         int            // 0: no usable answer
	Session        *StoredSession // when 200
}

// StoredSession is a session and its messages as the worker returned them.
type StoredSession struct {
	ID         string
	Verified   bool
	ExternalID string // "" for null
	Ref        string // custom_data.soak_ref
	Messages   []contract.Message
}

// Page sizes of the read-back listings: small, so that paging is exercised;
// maxPages bounds a listing, in case a cursor never ends.
const widgetPageLimit, serverPageLimit, maxPages = 5, 25, 10000

// readBack reads everything the checks need, with concurrency requests at
// once: the listings first, then the GETs of what they listed and what was
// acknowledged.
func readBack(ctx context.Context, c *client, w *World, l Ledger, concurrency int, adminToken string) *Snapshot {
	r := &reader{ctx: ctx, c: c, sem: make(chan struct{}, concurrency), snap: &Snapshot{}, asked: map[readKey]bool{}}
	for _, org := range w.Orgs {
		for _, f := range orgFilters(w, org.Index) {
			r.list(Listing{Who: serverName(org), Filter: f}, serverPageLimit, func(p contract.Page) (contract.Call[contract.SessionList], error) {
				return c.expect(200).ListOrgSessions(ctx, f, p, server(org)...)
			})
		}
	}
	for _, p := range w.survivorsOf(-1) {
		r.list(Listing{Who: p.Name}, widgetPageLimit, func(pg contract.Page) (contract.Call[contract.SessionList], error) {
			return c.expect(200).ListSessions(ctx, "", pg, widget(w.Orgs[p.Org], p)...)
		})
	}
	r.wg.Wait()

	for _, org := range w.Orgs {
		for _, id := range r.snap.listed(serverName(org)) {
			r.get(org, nil, id)
		}
	}
	for _, p := range w.survivorsOf(-1) {
		for _, id := range r.snap.listed(p.Name) {
			r.get(w.Orgs[p.Org], p, id)
		}
	}
	for n, e := range l.acked(all) {
		for _, org := range w.Orgs {
			switch ps := w.survivorsOf(org.Index); {
			case org.Index == e.Org:
				for _, p := range ps {
					r.get(org, p, e.ID)
				}
			case len(ps) > 0:
				r.get(org, ps[n%len(ps)], e.ID)
			}
			r.get(org, nil, e.ID)
		}
	}
	r.wg.Wait()
	r.readErasure(w, adminToken)
	return r.snap
}

// orgFilters are the listings the org server reads: unfiltered, and with
// each filter.
func orgFilters(w *World, org int) []contract.SessionFilter {
	yes, no := true, false
	fs := []contract.SessionFilter{{}, {Verified: &yes}, {Verified: &no}, {ExternalID: sharedExternalID}}
	for _, p := range w.Principals {
		if p.Org == org && p.Verified {
			fs = append(fs, contract.SessionFilter{UserID: p.UserID}, contract.SessionFilter{Verified: &yes, Email: p.Email})
		}
	}
	return fs
}

// listed is the unfiltered listing of who.
func (s *Snapshot) listed(who string) []string {
	i := slices.IndexFunc(s.Listings, func(l Listing) bool { return l.Who == who && l.Filter == contract.SessionFilter{} })
	if i < 0 {
		return nil
	}
	return s.Listings[i].IDs
}

// reader runs the read-back requests, filling snap.
type reader struct {
	ctx   context.Context
	c     *client
	sem   chan struct{}
	wg    sync.WaitGroup
	guard // of snap
	snap  *Snapshot
	asked map[readKey]bool // the sessions get was asked to read, and by whom (readBack's goroutine only)
}

func (r *reader) spawn(f func()) {
	r.wg.Go(func() {
		r.sem <- struct{}{}
		defer func() { <-r.sem }()
		f()
	})
}

func (r *reader) fail(format string, args ...any) {
	r.locked(func() { r.snap.ReadErrors = append(r.snap.ReadErrors, fmt.Sprintf(format, args...)) })
}

// list reads every page of li, limit items a page (0: the worker's), and
// keeps it.
func (r *reader) list(li Listing, limit int, page func(contract.Page) (contract.Call[contract.SessionList], error)) {
	r.spawn(func() {
		err := contract.Pages(maxPages, func(cursor string) (*string, error) {
			res, err := page(contract.Page{Cursor: cursor, Limit: limit})
			if err != nil {
				return nil, err
			}
			if li.Path == "" {
				li.Path = res.Path
			}
			if limit > 0 && len(res.Value.Items) > limit {
				r.fail("%s: %d items on a page, more than limit=%d", res.What(), len(res.Value.Items), limit)
			}
			for _, it := range res.Value.Items {
				li.IDs = append(li.IDs, it.ID)
			}
			return res.Value.NextCursor, nil
		})
		if err != nil {
			r.fail("%s: listing %s: %v", li.Who, li.Path, err)
		}
		r.locked(func() { r.snap.Listings = append(r.snap.Listings, li) })
	})
}

// get reads session id as org's server (p nil) or p's widget, once.
func (r *reader) get(org Org, p *Principal, id string) {
	rd := Read{Who: serverName(org), SessionID: id}
	if p != nil {
		rd.Who = p.Name
	}
	if r.asked[readKey{rd.Who, id}] {
		return
	}
	r.asked[readKey{rd.Who, id}] = true
	r.spawn(func() {
		c := r.c.expect(200, 404)
		var res contract.Call[contract.SessionDetail]
		var err error
		if p == nil {
			res, err = c.GetOrgSession(r.ctx, id, server(org)...)
		} else {
			res, err = c.GetSession(r.ctx, id, "", widget(org, p)...)
		}
		switch {
		case res.Response == nil:
			r.fail("%s: GET session %s: %v", rd.Who, id, err)
		case err != nil:
			r.fail("%s: %d with a body that is not {session, messages}: %s", res.What(), res.Status, shorten(res.Body, 200))
		case res.Status == http.StatusOK:
			rd.Session = stored(res.Value)
			fallthrough
		default:
			rd.Status = res.Status
		}
		r.locked(func() { r.snap.Reads = append(r.snap.Reads, rd) })
	})
}

// stored is a session as the worker returned it.
func stored(d contract.SessionDetail) *StoredSession {
	s := d.Session
	ref, _ := s.NonVerifiedCustomData["soak_ref"].(string)
	st := &StoredSession{ID: s.ID, Verified: s.Verified != nil && *s.Verified, Ref: ref, Messages: d.Messages}
	if s.ExternalID != nil {
		st.ExternalID = *s.ExternalID
	}
	return st
}

// Findings are what Check found. Every count but the acknowledged ones and
// the unacknowledged attempts is a violation.
type Findings struct {
	Sessions Tally
	Messages Tally
	// UserMessages and AgentMessages split Messages.Acknowledged by role.
	UserMessages, AgentMessages int
	// OutOfOrder counts messages stored or numbered out of the order they
	// were acknowledged within their session.
	OutOfOrder int
	// Visibility counts sessions listed or readable by a principal the
	// access rules do not allow, or not by one they do (including the org
	// server's filtered listings); VisibilityChecks is how many were checked.
	Visibility, VisibilityChecks int
	// ReadErrors are reads of the check that got no usable answer.
	ReadErrors int
	// Unacknowledged attempts (given up when the run ended): they may be
	// stored at most once; Stored says how many are.
	UnackedSessions, UnackedSessionsStored int
	UnackedMessages, UnackedMessagesStored int

	Webhooks WebhookFindings // the webhook check (webhooks.go), when the target has a receiver
	Erasure  ErasureFindings // the erasure check (erasure.go)
	Problems []string        // every violation, one line each
}

// Tally counts one kind of thing the worker acknowledged.
type Tally struct {
	Acknowledged int
	Lost         int // acknowledged, not stored
	Duplicated   int // stored more than once (extra copies)
	Misplaced    int // stored elsewhere or otherwise than acknowledged
	Unexpected   int // stored, never sent by the soak
}

func (t Tally) violations() int { return t.Lost + t.Duplicated + t.Misplaced + t.Unexpected }

// Violations is the number of violations of every kind.
func (f *Findings) Violations() int {
	return f.Sessions.violations() + f.Messages.violations() + f.OutOfOrder + f.Visibility + f.ReadErrors + f.Webhooks.violations() + f.Erasure.Violations
}

func (f *Findings) problem(format string, args ...any) {
	f.Problems = append(f.Problems, fmt.Sprintf(format, args...))
}

// count counts one violation in *n and describes it.
func (f *Findings) count(n *int, format string, args ...any) {
	*n++
	f.problem(format, args...)
}

// Check compares the ledger with what was read back.
func Check(w *World, l Ledger, s *Snapshot) *Findings {
	c := &checker{w: w, l: l, s: s, f: &Findings{ReadErrors: len(s.ReadErrors)}, byRef: map[string]*SessionEntry{},
		known: map[string]sessionInfo{}, unknown: map[string]bool{}, readOf: map[readKey]Read{}}
	for _, rd := range s.Reads {
		c.readOf[readKey{rd.Who, rd.SessionID}] = rd
	}
	for i := range l.Sessions {
		e := &l.Sessions[i]
		c.byRef[e.Ref] = e
		if e.Acked {
			c.f.Sessions.Acknowledged++
			c.known[e.ID] = sessionInfo{entry: *e, owner: w.principal(e.Owner), seq: i}
		} else {
			c.f.UnackedSessions++
		}
	}
	for _, e := range s.ReadErrors {
		c.f.problem("read-back: %s", e)
	}
	// identify first: it adds the unacknowledged sessions found stored to
	// what the other checks know.
	for _, check := range []func(){c.identify, c.sessions, c.listings, c.reads, c.messages, c.order, c.erasure} {
		check()
	}
	return c.f
}

// sessionInfo is what the checker knows of a session the soak created: its
// ledger entry, acknowledged or found stored.
type sessionInfo struct {
	entry SessionEntry
	owner *Principal
	seq   int // its index in the ledger: its owner's sessions are in the order created
}

type checker struct {
	w *World
	l Ledger
	s *Snapshot
	f *Findings

	byRef   map[string]*SessionEntry
	known   map[string]sessionInfo // session id -> info, acked or found
	unknown map[string]bool        // sessions listed by their org that the soak did not create: reported
	readOf  map[readKey]Read
}

type readKey struct{ who, session string }

// visible says whether who may see the session: its owner and its org's
// server, nobody else; nobody once its owner is erased.
func (c *checker) visible(who string, info sessionInfo) bool {
	return (info.owner == nil || info.owner.Erase == "") && (who == info.entry.Owner || who == serverName(c.w.Orgs[info.entry.Org]))
}

// identify looks at the sessions the org servers list that were not
// acknowledged: one whose 201 was lost (it may be stored once), a second one
// for an acknowledged Idempotency-Key, or one the soak never created.
func (c *checker) identify() {
	pendingFound := map[string][]string{} // ref of an unacknowledged session -> ids found
	for _, li := range c.s.Listings {
		if !isServer(li.Who) || li.Filter != (contract.SessionFilter{}) {
			continue
		}
		seen := map[string]bool{}
		for _, id := range li.IDs {
			if _, ok := c.known[id]; ok || seen[id] {
				continue
			}
			seen[id] = true
			c.unknown[id] = true
			st := c.readOf[readKey{li.Who, id}].Session
			if st == nil {
				c.f.count(&c.f.Sessions.Unexpected, "session %s: listed by %s, but GET /v1/sessions/{id} does not answer 200", id, li.Who)
				continue
			}
			switch e := c.byRef[st.Ref]; {
			case e == nil:
				c.f.count(&c.f.Sessions.Unexpected, "session %s listed by %s (soak_ref %q): the soak never created it", id, li.Who, st.Ref)
			case e.Acked:
				c.f.count(&c.f.Sessions.Duplicated, "session %s listed by %s: a second session for Idempotency-Key %q, which was acknowledged as %s", id, li.Who, e.Ref, e.ID)
			default:
				pendingFound[e.Ref] = append(pendingFound[e.Ref], id)
				found := *e
				found.ID = id
				c.known[id] = sessionInfo{entry: found, owner: c.w.principal(e.Owner), seq: slices.Index(c.l.Sessions, *e)}
				delete(c.unknown, id)
			}
		}
	}
	for ref, ids := range pendingFound {
		c.f.UnackedSessionsStored++
		if len(ids) > 1 {
			c.f.Sessions.Duplicated += len(ids) - 1
			c.f.problem("unacknowledged session (Idempotency-Key %q) stored %d times: %v", ref, len(ids), ids)
		}
	}
}

// sessions checks that every acknowledged session is stored, as created.
func (c *checker) sessions() {
	for _, e := range c.l.acked(all) {
		if o := c.known[e.ID].owner; o != nil && o.Erase != "" {
			continue // erased: every read of it must be 404 (reads)
		}
		server := serverName(c.w.Orgs[e.Org])
		rd, read := c.readOf[readKey{server, e.ID}]
		switch {
		case rd.Status == http.StatusNotFound:
			c.f.count(&c.f.Sessions.Lost, "session %s (Idempotency-Key %q, owner %s): acknowledged with 201, but %s answers 404", e.ID, e.Ref, e.Owner, server)
			continue
		case !read:
			c.f.count(&c.f.ReadErrors, "session %s (Idempotency-Key %q, owner %s): acknowledged, but its org server did not read it back", e.ID, e.Ref, e.Owner)
			continue
		case rd.Session == nil:
			continue // a read error, counted as such
		}
		st := rd.Session
		if want := c.known[e.ID].owner; want != nil && (st.ID != e.ID || st.Ref != e.Ref || st.Verified != want.Verified || st.ExternalID != e.ExternalID) {
			c.f.count(&c.f.Sessions.Misplaced, "session %s: stored as {id %s, verified %v, external_id %q, soak_ref %q}, want {verified %v, external_id %q, soak_ref %q} (owner %s)",
				e.ID, st.ID, st.Verified, st.ExternalID, st.Ref, want.Verified, e.ExternalID, e.Ref, e.Owner)
		}
	}
}

// listings checks every listing against the access rules: a principal's
// widget lists exactly its own sessions, an org's server exactly its org's
// that its filter matches, each once. A session stored without its 201 need
// not be in its owner's listing yet.
func (c *checker) listings() {
	for _, li := range c.s.Listings {
		server, listed := isServer(li.Who), map[string]int{}
		for _, id := range li.IDs {
			listed[id]++
		}
		checks := len(listed)
		for id, n := range listed {
			info, ok := c.known[id]
			switch {
			case c.unknown[id]: // reported by identify
			case !ok:
				c.f.count(&c.f.Visibility, "%s: GET %s lists %s, which is no session the soak knows", li.Who, li.Path, id)
			case !c.visible(li.Who, info) || !matchFilter(li, info):
				c.f.count(&c.f.Visibility, "%s: GET %s lists session %s of %s, which it must not", li.Who, li.Path, id, info.entry.Owner)
			case n > 1:
				c.f.count(&c.f.Visibility, "%s: GET %s lists session %s %d times", li.Who, li.Path, id, n)
			}
		}
		for id, info := range c.known {
			if listed[id] == 0 && c.visible(li.Who, info) && matchFilter(li, info) && (info.entry.Acked || server) {
				checks++
				c.f.count(&c.f.Visibility, "%s: GET %s does not list session %s (Idempotency-Key %q, owner %s)", li.Who, li.Path, id, info.entry.Ref, info.entry.Owner)
			}
		}
		c.f.VisibilityChecks += max(1, checks) // an empty listing is checked too
		// An export lists its sessions newest first.
		for i := 1; li.Export != "" && i < len(li.IDs); i++ {
			if a, b := c.known[li.IDs[i-1]], c.known[li.IDs[i]]; a.seq < b.seq {
				c.f.count(&c.f.OutOfOrder, "%s: GET %s lists session %s after %s, which was created before it", li.Who, li.Path, li.IDs[i], li.IDs[i-1])
			}
		}
	}
}

// matchFilter says whether li's filter, or its export, takes the session.
func matchFilter(li Listing, info sessionInfo) bool {
	f, o := li.Filter, info.owner
	if o == nil {
		return f == contract.SessionFilter{} && li.Export == ""
	}
	return (li.Export == "" || li.Export == o.Name) && (f.Verified == nil || *f.Verified == o.Verified) &&
		(f.ExternalID == "" || f.ExternalID == info.entry.ExternalID) &&
		(f.UserID == "" || o.Verified && o.UserID == f.UserID) &&
		(f.Email == "" || strings.EqualFold(o.Email, f.Email))
}

// reads checks every GET of a session by id: 200 for who may see it, 404
// for everyone else.
func (c *checker) reads() {
	for _, rd := range c.s.Reads {
		info, ok := c.known[rd.SessionID]
		if !ok || rd.Status == 0 {
			continue // an unknown session or a read error: reported already
		}
		want := http.StatusNotFound
		if c.visible(rd.Who, info) {
			want = http.StatusOK
		}
		c.f.VisibilityChecks++
		if rd.Status != want {
			if want == http.StatusOK && rd.Who != info.entry.Owner && rd.Status == http.StatusNotFound {
				continue // the org server's 404 of an acknowledged session is a loss, counted as such
			}
			c.f.count(&c.f.Visibility, "%s: GET session %s (owner %s) answers %d, want %d", rd.Who, rd.SessionID, info.entry.Owner, rd.Status, want)
		}
	}
}

// view is one way of reading the stored messages: the org servers' reads or
// the owners' widget reads.
type view struct {
	name     string
	sessions map[string]StoredSession // session id -> as read
	byText   map[string][]located     // content -> where it is stored
}

type located struct {
	session string
	msg     contract.Message
}

// views are the org servers' reads of their org's sessions (and of those
// they list that the soak did not create), the owners' reads, and the
// survivors' exports.
func (c *checker) views() []*view {
	org := &view{name: "org server", sessions: map[string]StoredSession{}}
	widget := &view{name: "owner's widget", sessions: map[string]StoredSession{}}
	export := &view{name: "export", sessions: map[string]StoredSession{}}
	for _, rd := range c.s.Exports {
		export.sessions[rd.SessionID] = *rd.Session
	}
	for _, rd := range c.s.Reads {
		info, known := c.known[rd.SessionID]
		switch {
		case rd.Session == nil:
		case isServer(rd.Who) && (!known || c.visible(rd.Who, info)):
			org.sessions[rd.SessionID] = *rd.Session
		case known && rd.Who == info.entry.Owner:
			widget.sessions[rd.SessionID] = *rd.Session
		}
	}
	for _, v := range []*view{org, widget, export} {
		v.byText = map[string][]located{}
		for id, st := range v.sessions {
			for _, m := range st.Messages {
				v.byText[m.Content] = append(v.byText[m.Content], located{session: id, msg: m})
			}
		}
	}
	return []*view{org, widget, export}
}

// messages checks that every acknowledged message is stored exactly once,
// in its session, as acknowledged, in every view that read that session.
func (c *checker) messages() {
	views := c.views()
	sent := map[string]bool{}
	lost, dup, misplaced := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range c.l.Messages {
		sent[e.Content] = true
		switch {
		case !e.Acked:
			c.f.UnackedMessages++
			if len(views[0].byText[e.Content]) > 0 {
				c.f.UnackedMessagesStored++
			}
		case e.Role == "agent":
			c.f.AgentMessages++
		default:
			c.f.UserMessages++
		}
		for _, v := range views {
			locs := v.byText[e.Content]
			if _, read := v.sessions[e.SessionID]; e.Acked && read && len(locs) == 0 {
				lost[e.Key] = true
				c.f.problem("message %s (Idempotency-Key %q, %s) in session %s: acknowledged with 201, not stored (%s view)", e.ID, e.Key, e.Author, e.SessionID, v.name)
			}
			if len(locs) > 1 {
				dup[e.Key] = true
				parts := make([]string, len(locs))
				for i, l := range locs {
					parts[i] = l.msg.ID + " in " + l.session
				}
				c.f.problem("message (Idempotency-Key %q, %s): stored %d times: %s (%s view)", e.Key, e.Author, len(locs), strings.Join(parts, ", "), v.name)
			}
			// Misplaced: no copy is where and as it was acknowledged (the
			// extra copies of a duplicate are counted as duplicates only).
			if len(locs) > 0 && !slices.ContainsFunc(locs, func(at located) bool {
				return at.session == e.SessionID && at.msg.SessionID == e.SessionID && at.msg.Role == e.Role && (!e.Acked || at.msg.ID == e.ID)
			}) {
				at, ackedID := locs[0], "(not acknowledged)"
				if e.Acked {
					ackedID = e.ID
				}
				misplaced[e.Key] = true
				c.f.problem("message (Idempotency-Key %q, %s): stored as %s with role %q and session_id %s in session %s; acknowledged as %s in session %s, role %q (%s view)",
					e.Key, e.Author, at.msg.ID, at.msg.Role, at.msg.SessionID, at.session, ackedID, e.SessionID, e.Role, v.name)
			}
		}
	}
	c.f.Messages.Acknowledged = c.f.UserMessages + c.f.AgentMessages
	c.f.Messages.Lost, c.f.Messages.Duplicated, c.f.Messages.Misplaced = len(lost), len(dup), len(misplaced)
	unexpected := map[string]bool{}
	for _, v := range views {
		for text, locs := range v.byText {
			if !sent[text] && !unexpected[text] {
				unexpected[text] = true
				c.f.problem("message %s in session %s: the soak never sent it: %q (%s view)", locs[0].msg.ID, locs[0].session, shorten([]byte(text), 80), v.name)
			}
		}
		// Stored order: ids ascending, oldest first.
		for id, st := range v.sessions {
			for i := 1; i < len(st.Messages); i++ {
				if st.Messages[i-1].ID >= st.Messages[i].ID {
					c.f.count(&c.f.OutOfOrder, "session %s: message %s is returned after %s (%s view): not oldest first", id, st.Messages[i].ID, st.Messages[i-1].ID, v.name)
				}
			}
		}
	}
	c.f.Messages.Unexpected = len(unexpected)
}

// order checks the ids of each session's acknowledged messages against the
// order of acknowledgement: a message acknowledged before another was first
// sent must have the smaller id (message ids sort in the order accepted).
// Messages sent while another was in flight may be accepted in either order.
func (c *checker) order() {
	bySession := map[string][]MessageEntry{}
	for _, e := range c.l.Messages {
		if e.Acked {
			bySession[e.SessionID] = append(bySession[e.SessionID], e)
		}
	}
	for sid, ms := range bySession {
		sort.Slice(ms, func(i, j int) bool { return ms[i].AckedAt.Before(ms[j].AckedAt) })
		for j, b := range ms {
			if i := slices.IndexFunc(ms[:j], func(a MessageEntry) bool { return a.AckedAt.Before(b.FirstSent) && a.ID >= b.ID }); i >= 0 {
				c.f.count(&c.f.OutOfOrder, "session %s: message %s (%q) was acknowledged before %s (%q) was sent, yet its id is not smaller", sid, ms[i].ID, ms[i].Key, b.ID, b.Key)
			}
		}
	}
}
