package soak

import "fmt"

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

// Check compares the ledger with what was read back.
func Check(w *World, l Ledger, s *Snapshot) *Findings {
	c := newChecker(w, l, s)
	c.f.ReadErrors = len(s.ReadErrors)
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

func newChecker(w *World, l Ledger, s *Snapshot) *checker {
	c := &checker{w: w, l: l, s: s, f: &Findings{}, byRef: map[string]*SessionEntry{}, known: map[string]sessionInfo{}, probed: map[probeKey]int{}}
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
	return c
}

func (c *checker) ackedSessions() []SessionEntry { return ackedSessions(c.l) }

func counts(ids []string) map[string]int {
	m := make(map[string]int, len(ids))
	for _, id := range ids {
		m[id]++
	}
	return m
}

func orgNames(w *World, orgs []int) []string {
	out := make([]string, len(orgs))
	for i, o := range orgs {
		out[i] = w.Orgs[o].Name
	}
	return out
}
