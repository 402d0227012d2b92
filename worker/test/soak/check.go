package soak

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Snapshot is everything read back at the end of a run.
type Snapshot struct {
	Orgs       []OrgReadback       // by org index
	Principals []PrincipalReadback // in World.Principals order
	// Probes are the GETs of sessions by id, by their owners, by the other
	// principals of their org, and by other orgs (widget and server).
	Probes []Probe
	// ReadErrors are reads that got no usable answer.
	ReadErrors []string
}

// OrgReadback is what the org's server read.
type OrgReadback struct {
	Org    int
	Listed []string // GET /v1/sessions, every page, in order
	// Filtered are the listings with a filter, by query (e.g. "verified=true").
	Filtered map[string][]string
	// Sessions are GET /v1/sessions/{id} of every listed or acknowledged
	// session of the org that answered 200.
	Sessions map[string]StoredSession
}

// PrincipalReadback is what one principal's widget read.
type PrincipalReadback struct {
	Principal string
	Listed    []string // GET /v1/widget/sessions, every page, in order
	// Sessions are GET /v1/widget/sessions/{id} of its listed or
	// acknowledged sessions that answered 200.
	Sessions map[string]StoredSession
}

// StoredSession is a session and its messages as the worker returned them.
type StoredSession struct {
	ID         string
	Verified   bool
	ExternalID string // "" for null
	Ref        string // custom_data.soak_ref
	Messages   []StoredMessage
}

// StoredMessage is a message as the worker returned it.
type StoredMessage struct{ ID, SessionID, Role, Content string }

// Probe is one GET of a session by id and its status.
type Probe struct {
	Who       string // a principal's name, or "o2/server"
	SessionID string
	Status    int
}

// Page sizes of the read-back listings: small, so that paging is exercised;
// maxPages bounds a listing, in case a cursor never ends.
const widgetPageLimit, serverPageLimit, maxPages = 5, 25, 10000

// readBack reads everything the checks need, with cfg.ReadConcurrency
// requests at once: the listings first, then the GETs of what they listed
// and what was acknowledged.
func readBack(ctx context.Context, c *client, w *World, l Ledger, concurrency int) *Snapshot {
	r := &reader{c: c, sem: make(chan struct{}, concurrency)}
	snap := &Snapshot{Orgs: make([]OrgReadback, len(w.Orgs)), Principals: make([]PrincipalReadback, len(w.Principals))}
	for i, org := range w.Orgs {
		ob := &snap.Orgs[i]
		ob.Org, ob.Filtered, ob.Sessions = i, map[string][]string{}, map[string]StoredSession{}
		r.spawn(func() { ob.Listed = r.list(ctx, "/v1/sessions", serverHeader(org), serverPageLimit) })
		for _, q := range orgFilters(w, i) {
			r.spawn(func() {
				ids := r.list(ctx, "/v1/sessions?"+q, serverHeader(org), serverPageLimit)
				r.locked(func() { ob.Filtered[q] = ids }) // r's lock guards the maps of snap and snap.Probes
			})
		}
	}
	for i := range w.Principals {
		p, pb := &w.Principals[i], &snap.Principals[i]
		pb.Principal, pb.Sessions = p.Name, map[string]StoredSession{}
		r.spawn(func() {
			pb.Listed = r.list(ctx, "/v1/widget/sessions", widgetHeader(w.Orgs[p.Org], p), widgetPageLimit)
		})
	}
	r.wg.Wait()

	// probe GETs session id as who: an org's server (p nil) or p's widget.
	probe := func(org Org, p *Principal, id string, into map[string]StoredSession) {
		who, path, header := org.Name+"/server", "/v1/sessions/"+id, serverHeader(org)
		if p != nil {
			who, path, header = p.Name, "/v1/widget/sessions/"+id, widgetHeader(org, p)
		}
		r.spawn(func() {
			st, s := r.get(ctx, path, header)
			r.locked(func() {
				snap.Probes = append(snap.Probes, Probe{Who: who, SessionID: id, Status: st})
				if st == http.StatusOK && into != nil {
					into[id] = s
				}
			})
		})
	}
	for i, org := range w.Orgs {
		for _, id := range union(snap.Orgs[i].Listed, ids(l.acked(func(e SessionEntry) bool { return e.Org == i }))) {
			probe(org, nil, id, snap.Orgs[i].Sessions)
		}
	}
	for i := range w.Principals {
		p, pb := &w.Principals[i], &snap.Principals[i]
		for _, id := range union(pb.Listed, ids(l.acked(func(e SessionEntry) bool { return e.Owner == p.Name }))) {
			probe(w.Orgs[p.Org], p, id, pb.Sessions)
		}
	}
	// Everyone else: the other principals of the org, and in every other org
	// one principal (in turn) and the org's server.
	for n, e := range l.acked(all) {
		for i := range w.Principals {
			if p := &w.Principals[i]; p.Org == e.Org && p.Name != e.Owner {
				probe(w.Orgs[p.Org], p, e.ID, nil)
			}
		}
		for j, org := range w.Orgs {
			if j == e.Org {
				continue
			}
			if ps := w.principalsOf(j); len(ps) > 0 {
				probe(org, ps[n%len(ps)], e.ID, nil)
			}
			probe(org, nil, e.ID, nil)
		}
	}
	r.wg.Wait()
	snap.ReadErrors = r.errs
	return snap
}

// orgFilters are the filtered listings the org server reads.
func orgFilters(w *World, org int) []string {
	qs := []string{"verified=true", "verified=false", "external_id=" + sharedExternalID}
	for _, p := range w.principalsOf(org) {
		if p.Verified {
			qs = append(qs, "user_id="+url.QueryEscape(p.UserID), "verified=true&email="+url.QueryEscape(p.Email))
		}
	}
	return qs
}

// union returns the distinct ids of a and b, a's first.
func union(a, b []string) (out []string) {
	seen := map[string]bool{}
	for _, s := range slices.Concat(a, b) {
		if !seen[s] {
			seen[s], out = true, append(out, s)
		}
	}
	return out
}

// withQuery adds q to path's query.
func withQuery(path, q string) string {
	if strings.Contains(path, "?") {
		return path + "&" + q
	}
	return path + "?" + q
}

// pages GETs path, then path with the cursor of each answer's next_cursor
// until it is null or empty, at most max pages, handing each answer to page,
// which returns that cursor.
func (c *client) pages(ctx context.Context, path string, header map[string]string, expect []int, max int, page func(*contract.Response) (*string, error)) error {
	cursor := ""
	for range max {
		q := path
		if cursor != "" {
			q = withQuery(path, "cursor="+url.QueryEscape(cursor))
		}
		res, err := c.do(ctx, request{method: "GET", path: q, header: header, expect: expect})
		var next *string
		if err == nil {
			next, err = page(res)
		}
		switch {
		case err != nil:
			return fmt.Errorf("GET %s: %w", q, err)
		case next == nil || *next == "":
			return nil
		case *next == cursor:
			return fmt.Errorf("GET %s: next_cursor repeats the cursor", q)
		}
		cursor = *next
	}
	return fmt.Errorf("GET %s: more than %d pages", path, max)
}

// reader runs the read-back requests.
type reader struct {
	c   *client
	sem chan struct{}
	wg  sync.WaitGroup
	guard
	errs []string
}

func (r *reader) spawn(f func()) {
	r.wg.Go(func() {
		r.sem <- struct{}{}
		defer func() { <-r.sem }()
		f()
	})
}

func (r *reader) fail(format string, args ...any) {
	r.locked(func() { r.errs = append(r.errs, fmt.Sprintf(format, args...)) })
}

// list reads every page of a listing and returns the ids in order.
func (r *reader) list(ctx context.Context, path string, header map[string]string, limit int) (ids []string) {
	err := r.c.pages(ctx, withQuery(path, fmt.Sprintf("limit=%d", limit)), header, []int{200}, maxPages, func(res *contract.Response) (*string, error) {
		page, ok := decode(res, func(contract.SessionList) bool { return true })
		if !ok {
			return nil, fmt.Errorf("200 with a body that is not a listing: %s", shorten(res.Body, 200))
		}
		if len(page.Items) > limit {
			r.fail("GET %s: %d items on a page, more than limit=%d", res.Path, len(page.Items), limit)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		return page.NextCursor, nil
	})
	if err != nil {
		r.fail("%v", err)
	}
	return ids
}

// get reads one session; status 0 when it got no answer.
func (r *reader) get(ctx context.Context, path string, header map[string]string) (int, StoredSession) {
	res, err := r.c.do(ctx, request{method: "GET", path: path, header: header, expect: []int{200, 404}})
	if err != nil {
		r.fail("GET %s: %v", path, err)
		return res.Status, StoredSession{}
	}
	if res.Status != http.StatusOK {
		return res.Status, StoredSession{}
	}
	out, ok := decode(res, func(contract.SessionDetail) bool { return true })
	if !ok {
		r.fail("GET %s: 200 with a body that is not {session, messages}: %s", path, shorten(res.Body, 200))
		return 0, StoredSession{}
	}
	ref, _ := out.Session.NonVerifiedCustomData["soak_ref"].(string)
	s := StoredSession{ID: out.Session.ID, Verified: out.Session.Verified != nil && *out.Session.Verified, Ref: ref}
	if out.Session.ExternalID != nil {
		s.ExternalID = *out.Session.ExternalID
	}
	for _, m := range out.Messages {
		s.Messages = append(s.Messages, StoredMessage{ID: m.ID, SessionID: m.SessionID, Role: m.Role, Content: m.Content})
	}
	return res.Status, s
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
	// Webhooks is the webhook check (webhooks.go), when the target has a
	// receiver.
	Webhooks WebhookFindings
	// Problems describe every violation, one line each.
	Problems []string
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
	return f.Sessions.violations() + f.Messages.violations() + f.OutOfOrder + f.Visibility + f.ReadErrors + f.Webhooks.violations()
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
	c := &checker{w: w, l: l, s: s, f: &Findings{ReadErrors: len(s.ReadErrors)}, byRef: map[string]*SessionEntry{}, known: map[string]sessionInfo{}, probed: map[probeKey]int{}}
	for _, pr := range s.Probes {
		c.probed[probeKey{pr.Who, pr.SessionID}] = pr.Status
	}
	for i := range l.Sessions {
		e := &l.Sessions[i]
		c.byRef[e.Ref] = e
		if e.Acked {
			c.f.Sessions.Acknowledged++
			c.known[e.ID] = sessionInfo{entry: *e, owner: w.principal(e.Owner)}
		} else {
			c.f.UnackedSessions++
		}
	}
	for _, e := range s.ReadErrors {
		c.f.problem("read-back: %s", e)
	}
	// sessions first: it adds the unacknowledged sessions found stored to
	// what the other checks know.
	c.sessions()
	c.listings()
	c.probes()
	c.filters()
	c.messages()
	c.order()
	return c.f
}

// sessionInfo is what the checker knows of a session the soak created: its
// ledger entry, acknowledged or found stored.
type sessionInfo struct {
	entry SessionEntry
	owner *Principal
}

type checker struct {
	w *World
	l Ledger
	s *Snapshot
	f *Findings

	byRef  map[string]*SessionEntry
	known  map[string]sessionInfo // session id -> info, acked or found
	probed map[probeKey]int       // probe -> status
}

type probeKey struct{ who, session string }

func counts(ids []string) map[string]int {
	m := make(map[string]int, len(ids))
	for _, id := range ids {
		m[id]++
	}
	return m
}

// sessions checks the org servers' listings against the acknowledged
// sessions: each stored once, in its own org, as created.
func (c *checker) sessions() {
	pendingFound := map[string][]string{} // ref of an unacknowledged session -> ids found
	listedIn := map[string][]string{}     // id -> names of the orgs listing it
	for _, ob := range c.s.Orgs {
		org := c.w.Orgs[ob.Org].Name
		for id, n := range counts(ob.Listed) {
			listedIn[id] = append(listedIn[id], org)
			if n > 1 {
				c.f.Sessions.Duplicated += n - 1
				c.f.problem("session %s: GET /v1/sessions of %s lists it %d times", id, org, n)
			}
			if _, ok := c.known[id]; ok {
				continue
			}
			st, ok := ob.Sessions[id]
			if !ok {
				c.f.count(&c.f.Sessions.Unexpected, "session %s: listed by GET /v1/sessions of %s, but GET /v1/sessions/{id} does not answer 200", id, org)
				continue
			}
			switch e := c.byRef[st.Ref]; {
			case e == nil:
				c.f.count(&c.f.Sessions.Unexpected, "session %s of %s (soak_ref %q): the soak never created it", id, org, st.Ref)
			case e.Acked:
				c.f.count(&c.f.Sessions.Duplicated, "session %s of %s: a second session for Idempotency-Key %q, which was acknowledged as %s", id, org, e.Ref, e.ID)
			default:
				pendingFound[e.Ref] = append(pendingFound[e.Ref], id)
				found := *e
				found.ID = id
				c.known[id] = sessionInfo{entry: found, owner: c.w.principal(e.Owner)}
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
	for _, e := range c.l.acked(all) {
		org := c.w.Orgs[e.Org]
		st, stored := c.s.Orgs[e.Org].Sessions[e.ID]
		if !stored {
			switch status, probed := c.probed[probeKey{org.Name + "/server", e.ID}]; {
			case status == http.StatusNotFound:
				c.f.count(&c.f.Sessions.Lost, "session %s (Idempotency-Key %q, owner %s): acknowledged with 201, but GET /v1/sessions/{id} of %s answers 404", e.ID, e.Ref, e.Owner, org.Name)
			case !probed:
				c.f.count(&c.f.ReadErrors, "session %s (Idempotency-Key %q, owner %s): acknowledged, but its org server did not read it back", e.ID, e.Ref, e.Owner)
			}
			continue // else a read error, counted as such
		}
		if orgs := listedIn[e.ID]; len(orgs) != 1 || orgs[0] != org.Name {
			c.f.count(&c.f.Visibility, "session %s of %s: listed by the servers of orgs %v, want only %s", e.ID, org.Name, orgs, org.Name)
		}
		c.f.VisibilityChecks++
		if want := c.known[e.ID].owner; want != nil && (st.ID != e.ID || st.Ref != e.Ref || st.Verified != want.Verified || st.ExternalID != e.ExternalID) {
			c.f.count(&c.f.Sessions.Misplaced, "session %s: stored as {id %s, verified %v, external_id %q, soak_ref %q}, want {verified %v, external_id %q, soak_ref %q} (owner %s)",
				e.ID, st.ID, st.Verified, st.ExternalID, st.Ref, want.Verified, e.ExternalID, e.Ref, e.Owner)
		}
	}
}

// listings checks every principal's GET /v1/widget/sessions: exactly its
// own sessions, each once.
func (c *checker) listings() {
	for i, pb := range c.s.Principals {
		p := &c.w.Principals[i]
		listed := counts(pb.Listed)
		for id, n := range listed {
			c.f.VisibilityChecks++
			info, ok := c.known[id]
			switch {
			case !ok:
				c.f.count(&c.f.Visibility, "%s: GET /v1/widget/sessions lists %s, which is no session of its org the soak knows", p.Name, id)
			case info.entry.Owner != p.Name:
				c.f.count(&c.f.Visibility, "%s: GET /v1/widget/sessions lists session %s of %s", p.Name, id, info.entry.Owner)
			case n > 1:
				c.f.count(&c.f.Visibility, "%s: GET /v1/widget/sessions lists its session %s %d times", p.Name, id, n)
			}
		}
		for _, e := range c.l.acked(func(e SessionEntry) bool { return e.Owner == p.Name && listed[e.ID] == 0 }) {
			c.f.VisibilityChecks++
			c.f.count(&c.f.Visibility, "%s: GET /v1/widget/sessions does not list its session %s (Idempotency-Key %q)", p.Name, e.ID, e.Ref)
		}
	}
}

// probes checks every GET of a session by id: 200 for its owner and its
// org's server, 404 for everyone else.
func (c *checker) probes() {
	for _, pr := range c.s.Probes {
		info, ok := c.known[pr.SessionID]
		if !ok || pr.Status == 0 {
			continue // an unknown session or a read error: reported already
		}
		want := http.StatusNotFound
		if pr.Who == info.entry.Owner || pr.Who == c.w.Orgs[info.entry.Org].Name+"/server" {
			want = http.StatusOK
		}
		c.f.VisibilityChecks++
		if pr.Status != want {
			if want == http.StatusOK && pr.Who != info.entry.Owner && pr.Status == http.StatusNotFound {
				continue // the org server's 404 of an acknowledged session is a loss, counted as such
			}
			c.f.count(&c.f.Visibility, "%s: GET session %s (owner %s) answers %d, want %d", pr.Who, pr.SessionID, info.entry.Owner, pr.Status, want)
		}
	}
}

// filters checks the org servers' filtered listings against what the
// sessions' owners say they must hold.
func (c *checker) filters() {
	for _, ob := range c.s.Orgs {
		for q, got := range ob.Filtered {
			vals, _ := url.ParseQuery(q)
			gotN := counts(got)
			var extra, missing []string
			for id, info := range c.known {
				if info.entry.Org == ob.Org && info.owner != nil && matchFilter(vals, info) && gotN[id] == 0 {
					missing = append(missing, id)
				}
			}
			for id, n := range gotN {
				if info, ok := c.known[id]; !ok || info.entry.Org != ob.Org || info.owner == nil || !matchFilter(vals, info) || n > 1 {
					extra = append(extra, id)
				}
			}
			c.f.VisibilityChecks++
			if len(extra)+len(missing) > 0 {
				sort.Strings(extra)
				sort.Strings(missing)
				c.f.count(&c.f.Visibility, "%s: GET /v1/sessions?%s lists %d sessions; extra or repeated %v; missing %v", c.w.Orgs[ob.Org].Name, q, len(got), extra, missing)
			}
		}
	}
}

func matchFilter(q url.Values, info sessionInfo) bool {
	o := info.owner
	v := q.Get
	return (v("verified") == "" || (v("verified") == "true") == o.Verified) &&
		(!q.Has("external_id") || v("external_id") == info.entry.ExternalID) &&
		(v("user_id") == "" || o.Verified && o.UserID == v("user_id")) &&
		(v("email") == "" || strings.EqualFold(o.Email, v("email")))
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
	msg     StoredMessage
}

func (c *checker) views() []*view {
	org := &view{name: "org server", sessions: map[string]StoredSession{}}
	for _, ob := range c.s.Orgs {
		maps.Copy(org.sessions, ob.Sessions)
	}
	widget := &view{name: "owner's widget", sessions: map[string]StoredSession{}}
	for _, pb := range c.s.Principals {
		for id, st := range pb.Sessions {
			if info, ok := c.known[id]; ok && info.entry.Owner == pb.Principal {
				widget.sessions[id] = st
			}
		}
	}
	for _, v := range []*view{org, widget} {
		v.byText = map[string][]located{}
		for id, st := range v.sessions {
			for _, m := range st.Messages {
				v.byText[m.Content] = append(v.byText[m.Content], located{session: id, msg: m})
			}
		}
	}
	return []*view{org, widget}
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
