package soak

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// sessions checks the org servers' listings against the acknowledged
// sessions: each stored once, in its own org, as created.
func (c *checker) sessions() {
	pendingFound := map[string][]string{} // ref of an unacknowledged session -> ids found
	listedIn := map[string][]int{}        // id -> orgs listing it
	for _, ob := range c.s.Orgs {
		org := c.w.Orgs[ob.Org].Name
		for id, n := range counts(ob.Listed) {
			listedIn[id] = append(listedIn[id], ob.Org)
			if n > 1 {
				c.f.Sessions.Duplicated += n - 1
				c.f.problem("session %s: GET /v1/sessions of %s lists it %d times", id, org, n)
			}
			if _, ok := c.known[id]; ok {
				continue
			}
			st, ok := ob.Sessions[id]
			if !ok {
				c.f.Sessions.Unexpected++
				c.f.problem("session %s: listed by GET /v1/sessions of %s, but GET /v1/sessions/{id} does not answer 200", id, org)
				continue
			}
			switch e := c.byRef[st.Ref]; {
			case e == nil:
				c.f.Sessions.Unexpected++
				c.f.problem("session %s of %s (soak_ref %q): the soak never created it", id, org, st.Ref)
			case e.Acked:
				c.f.Sessions.Duplicated++
				c.f.problem("session %s of %s: a second session for Idempotency-Key %q, which was acknowledged as %s", id, org, e.Ref, e.ID)
			default:
				pendingFound[e.Ref] = append(pendingFound[e.Ref], id)
				c.known[id] = sessionInfo{entry: SessionEntry{Ref: e.Ref, Org: e.Org, Owner: e.Owner, ExternalID: e.ExternalID, ID: id}, owner: c.w.principal(e.Owner)}
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
	for _, e := range c.ackedSessions() {
		org := c.w.Orgs[e.Org]
		ob := c.s.Orgs[e.Org]
		st, stored := ob.Sessions[e.ID]
		if !stored {
			switch status, probed := c.probed[probeKey{org.Name + "/server", e.ID}]; {
			case status == http.StatusNotFound:
				c.f.Sessions.Lost++
				c.f.problem("session %s (Idempotency-Key %q, owner %s): acknowledged with 201, but GET /v1/sessions/{id} of %s answers 404", e.ID, e.Ref, e.Owner, org.Name)
			case !probed:
				c.f.ReadErrors++
				c.f.problem("session %s (Idempotency-Key %q, owner %s): acknowledged, but its org server did not read it back", e.ID, e.Ref, e.Owner)
			}
			continue // else a read error, counted as such
		}
		if orgs := listedIn[e.ID]; len(orgs) != 1 || orgs[0] != e.Org {
			c.f.Visibility++
			c.f.problem("session %s of %s: listed by the servers of orgs %v, want only %s", e.ID, org.Name, orgNames(c.w, orgs), org.Name)
		}
		c.f.VisibilityChecks++
		if want := c.known[e.ID].owner; want != nil && (st.ID != e.ID || st.Ref != e.Ref || st.Verified != want.Verified || st.ExternalID != e.ExternalID) {
			c.f.Sessions.Misplaced++
			c.f.problem("session %s: stored as {id %s, verified %v, external_id %q, soak_ref %q}, want {verified %v, external_id %q, soak_ref %q} (owner %s)",
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
				c.f.Visibility++
				c.f.problem("%s: GET /v1/widget/sessions lists %s, which is no session of its org the soak knows", p.Name, id)
			case info.entry.Owner != p.Name:
				c.f.Visibility++
				c.f.problem("%s: GET /v1/widget/sessions lists session %s of %s", p.Name, id, info.entry.Owner)
			case n > 1:
				c.f.Visibility++
				c.f.problem("%s: GET /v1/widget/sessions lists its session %s %d times", p.Name, id, n)
			}
		}
		for _, e := range c.ackedSessions() {
			if e.Owner == p.Name && listed[e.ID] == 0 {
				c.f.VisibilityChecks++
				c.f.Visibility++
				c.f.problem("%s: GET /v1/widget/sessions does not list its session %s (Idempotency-Key %q)", p.Name, e.ID, e.Ref)
			}
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
			c.f.Visibility++
			c.f.problem("%s: GET session %s (owner %s) answers %d, want %d", pr.Who, pr.SessionID, info.entry.Owner, pr.Status, want)
		}
	}
}

// filters checks the org servers' filtered listings against what the
// sessions' owners say they must hold.
func (c *checker) filters() {
	for _, ob := range c.s.Orgs {
		org := c.w.Orgs[ob.Org].Name
		for q, got := range ob.Filtered {
			vals, _ := url.ParseQuery(q)
			want := map[string]bool{}
			for id, info := range c.known {
				if info.entry.Org == ob.Org && info.owner != nil && matchFilter(vals, info) {
					want[id] = true
				}
			}
			gotN := counts(got)
			c.f.VisibilityChecks++
			var extra, missing []string
			for id, n := range gotN {
				if !want[id] || n > 1 {
					extra = append(extra, id)
				}
			}
			for id := range want {
				if gotN[id] == 0 {
					missing = append(missing, id)
				}
			}
			if len(extra)+len(missing) > 0 {
				sort.Strings(extra)
				sort.Strings(missing)
				c.f.Visibility++
				c.f.problem("%s: GET /v1/sessions?%s lists %d sessions; extra or repeated %v; missing %v", org, q, len(got), extra, missing)
			}
		}
	}
}

func matchFilter(q url.Values, info sessionInfo) bool {
	o := info.owner
	if v := q.Get("verified"); v != "" && (v == "true") != o.Verified {
		return false
	}
	if q.Has("external_id") && q.Get("external_id") != info.entry.ExternalID {
		return false
	}
	if v := q.Get("user_id"); v != "" && (!o.Verified || o.UserID != v) {
		return false
	}
	if v := q.Get("email"); v != "" && !strings.EqualFold(o.Email, v) {
		return false
	}
	return true
}
