package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Page sizes of the read-back listings: small, so that paging is exercised.
const (
	widgetPageLimit = 5
	serverPageLimit = 25
)

// readBack reads everything the checks need, with cfg.ReadConcurrency
// requests at once.
func readBack(ctx context.Context, c *client, w *World, l Ledger, concurrency int) *Snapshot {
	r := &reader{c: c, sem: make(chan struct{}, concurrency)}
	snap := &Snapshot{Orgs: make([]OrgReadback, len(w.Orgs)), Principals: make([]PrincipalReadback, len(w.Principals))}

	// Listings first; then the GETs of what they listed and what was acked.
	var wg sync.WaitGroup
	var mu sync.Mutex // guards the maps of snap and snap.Probes
	for i, org := range w.Orgs {
		ob := &snap.Orgs[i]
		ob.Org, ob.Filtered, ob.Sessions = i, map[string][]string{}, map[string]StoredSession{}
		r.spawn(&wg, func() { ob.Listed = r.list(ctx, "/v1/sessions", serverHeader(org), serverPageLimit) })
		for _, q := range orgFilters(w, i) {
			r.spawn(&wg, func() {
				ids := r.list(ctx, "/v1/sessions?"+q, serverHeader(org), serverPageLimit)
				mu.Lock()
				ob.Filtered[q] = ids
				mu.Unlock()
			})
		}
	}
	for i := range w.Principals {
		p := &w.Principals[i]
		pb := &snap.Principals[i]
		pb.Principal, pb.Sessions = p.Name, map[string]StoredSession{}
		r.spawn(&wg, func() {
			pb.Listed = r.list(ctx, "/v1/widget/sessions", widgetHeader(w.Orgs[p.Org], p), widgetPageLimit)
		})
	}
	wg.Wait()

	acked := ackedSessions(l)
	probe := func(who, id, path string, header map[string]string, into map[string]StoredSession) {
		r.spawn(&wg, func() {
			st, s := r.get(ctx, path, header)
			mu.Lock()
			defer mu.Unlock()
			snap.Probes = append(snap.Probes, Probe{Who: who, SessionID: id, Status: st})
			if st == http.StatusOK && into != nil {
				into[id] = s
			}
		})
	}
	for i, org := range w.Orgs {
		ob := &snap.Orgs[i]
		for _, id := range union(ob.Listed, idsOf(acked, func(e SessionEntry) bool { return e.Org == i })) {
			probe(org.Name+"/server", id, "/v1/sessions/"+id, serverHeader(org), ob.Sessions)
		}
	}
	for i := range w.Principals {
		p := &w.Principals[i]
		pb := &snap.Principals[i]
		own := idsOf(acked, func(e SessionEntry) bool { return e.Owner == p.Name })
		for _, id := range union(pb.Listed, own) {
			probe(p.Name, id, "/v1/widget/sessions/"+id, widgetHeader(w.Orgs[p.Org], p), pb.Sessions)
		}
	}
	// Everyone else: the other principals of the org, and in every other org
	// one principal (in turn) and the org's server.
	for n, e := range acked {
		for i := range w.Principals {
			p := &w.Principals[i]
			if p.Org == e.Org && p.Name != e.Owner {
				probe(p.Name, e.ID, "/v1/widget/sessions/"+e.ID, widgetHeader(w.Orgs[p.Org], p), nil)
			}
		}
		for j, org := range w.Orgs {
			if j == e.Org {
				continue
			}
			if ps := w.principalsOf(j); len(ps) > 0 {
				p := ps[n%len(ps)]
				probe(p.Name, e.ID, "/v1/widget/sessions/"+e.ID, widgetHeader(org, p), nil)
			}
			probe(org.Name+"/server", e.ID, "/v1/sessions/"+e.ID, serverHeader(org), nil)
		}
	}
	wg.Wait()
	snap.ReadErrors = r.errs
	return snap
}

// orgFilters are the filtered listings the org server reads.
func orgFilters(w *World, org int) []string {
	qs := []string{"verified=true", "verified=false", "external_id=" + sharedExternalID}
	for _, p := range w.principalsOf(org) {
		if p.Verified {
			qs = append(qs, "user_id="+url.QueryEscape(p.UserID),
				"verified=true&email="+url.QueryEscape(p.Email))
		}
	}
	return qs
}

func ackedSessions(l Ledger) []SessionEntry {
	var out []SessionEntry
	for _, e := range l.Sessions {
		if e.Acked {
			out = append(out, e)
		}
	}
	return out
}

func idsOf(es []SessionEntry, keep func(SessionEntry) bool) []string {
	var out []string
	for _, e := range es {
		if keep(e) {
			out = append(out, e.ID)
		}
	}
	return out
}

// union returns the distinct ids of a and b, a's first.
func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
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

// reader runs the read-back requests.
type reader struct {
	c    *client
	sem  chan struct{}
	mu   sync.Mutex
	errs []string
}

func (r *reader) spawn(wg *sync.WaitGroup, f func()) {
	wg.Go(func() {
		r.sem <- struct{}{}
		defer func() { <-r.sem }()
		f()
	})
}

func (r *reader) fail(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// maxPages bounds a listing, in case a cursor never ends.
const maxPages = 10000

// list reads every page of a listing and returns the ids in order.
func (r *reader) list(ctx context.Context, path string, header map[string]string, limit int) []string {
	var ids []string
	cursor := ""
	for range maxPages {
		q := withQuery(path, fmt.Sprintf("limit=%d", limit))
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		res, err := r.c.do(ctx, request{method: "GET", path: q, header: header, expect: []int{200}})
		if err != nil {
			r.fail("GET %s: %v", q, err)
			return ids
		}
		var page contract.SessionList
		if err := json.Unmarshal(res.body, &page); err != nil {
			r.fail("GET %s: 200 with a body that is not a listing: %s", q, shorten(res.body, 200))
			return ids
		}
		if len(page.Items) > limit {
			r.fail("GET %s: %d items on a page, more than limit=%d", q, len(page.Items), limit)
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.NextCursor == nil || *page.NextCursor == "" {
			return ids
		}
		if *page.NextCursor == cursor {
			r.fail("GET %s: next_cursor repeats the cursor", q)
			return ids
		}
		cursor = *page.NextCursor
	}
	r.fail("GET %s: more than %d pages", path, maxPages)
	return ids
}

// get reads one session; status 0 when it got no answer.
func (r *reader) get(ctx context.Context, path string, header map[string]string) (int, StoredSession) {
	res, err := r.c.do(ctx, request{method: "GET", path: path, header: header, expect: []int{200, 404}})
	if err != nil {
		r.fail("GET %s: %v", path, err)
		return res.status, StoredSession{}
	}
	if res.status != http.StatusOK {
		return res.status, StoredSession{}
	}
	var out contract.SessionDetail
	if err := json.Unmarshal(res.body, &out); err != nil {
		r.fail("GET %s: 200 with a body that is not {session, messages}: %s", path, shorten(res.body, 200))
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
	return res.status, s
}
