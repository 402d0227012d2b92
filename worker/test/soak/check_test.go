//go:build !js

package soak_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/soak"
)

// The checker must catch what it is there to catch: each case below doctors
// the ledger or the read-back of one clean in-process run and expects the
// matching violation.

// cleanRun is one short in-process run without a restart, shared by the cases.
var cleanRun = sync.OnceValues(func() (*soak.Result, error) {
	s, err := soak.StartInProcess()
	if err != nil {
		return nil, err
	}
	defer s.Close()
	cfg := soak.ShortConfig()
	cfg.Orgs, cfg.DevicesPerOrg, cfg.VerifiedPerOrg = 2, 2, 2
	cfg.Duration, cfg.Think = time.Second, 20*time.Millisecond
	target := s.Target()
	target.Restart = nil
	return soak.Run(context.Background(), target, cfg)
})

// doctor is a copy of a clean run's inputs to Check, and the session the
// cases tamper with: the one with the most acknowledged messages of an
// owner that was not erased.
type doctor struct {
	t       *testing.T
	world   *soak.World
	ledger  soak.Ledger
	snap    *soak.Snapshot
	session soak.SessionEntry
	msgs    []soak.MessageEntry // its acknowledged messages, in id order
}

func newDoctor(t *testing.T) *doctor {
	res, err := cleanRun()
	if err != nil {
		t.Fatalf("the clean run: %v", err)
	}
	d := &doctor{t: t, world: res.World, snap: &soak.Snapshot{},
		ledger: soak.Ledger{Sessions: slices.Clone(res.Ledger.Sessions), Messages: slices.Clone(res.Ledger.Messages)}}
	b, err := json.Marshal(res.Snapshot)
	if err == nil {
		err = json.Unmarshal(b, d.snap)
	}
	if err != nil {
		t.Fatal(err)
	}
	acked := map[string][]soak.MessageEntry{} // session id -> its acknowledged messages
	for _, m := range d.ledger.Messages {
		if m.Acked {
			acked[m.SessionID] = append(acked[m.SessionID], m)
		}
	}
	for _, s := range d.ledger.Sessions {
		if s.Acked && len(acked[s.ID]) > len(acked[d.session.ID]) && d.survives(s.Owner) {
			d.session = s
		}
	}
	d.msgs = acked[d.session.ID]
	sort.Slice(d.msgs, func(i, j int) bool { return d.msgs[i].ID < d.msgs[j].ID })
	if len(d.msgs) < 2 {
		t.Fatalf("the clean run has no session with 2 acknowledged messages")
	}
	return d
}

// stored calls f on every read-back copy of session id that keep accepts
// the reader of.
func (d *doctor) stored(id string, keep func(who string) bool, f func(s *soak.StoredSession)) {
	for _, rd := range d.snap.Reads {
		if rd.SessionID == id && rd.Session != nil && keep(rd.Who) {
			f(rd.Session)
		}
	}
}

func anyone(string) bool { return true }

// only accepts who alone.
func only(who string) func(string) bool { return func(s string) bool { return s == who } }

// dropFirst loses a stored session's oldest message.
func dropFirst(s *soak.StoredSession) { s.Messages = s.Messages[1:] }

// first is the first of items that keep accepts: what the case needs.
func first[T any](t *testing.T, what string, items []T, keep func(T) bool) *T {
	t.Helper()
	i := slices.IndexFunc(items, keep)
	if i < 0 {
		t.Fatalf("the clean run has no %s", what)
	}
	return &items[i]
}

// principal is the first principal not erased that keep accepts.
func (d *doctor) principal(keep func(p soak.Principal) bool) soak.Principal {
	return *first(d.t, "such principal", d.world.Principals, func(p soak.Principal) bool { return p.Erase == "" && keep(p) })
}

// erased is the first erased principal that had a session.
func (d *doctor) erased() soak.Principal {
	return *first(d.t, "erased principal with a session", d.world.Principals, func(p soak.Principal) bool {
		return p.Erase != "" && slices.ContainsFunc(d.ledger.Sessions, func(s soak.SessionEntry) bool { return s.Acked && s.Owner == p.Name })
	})
}

func (d *doctor) survives(name string) bool {
	return slices.ContainsFunc(d.world.Principals, func(p soak.Principal) bool { return p.Name == name && p.Erase == "" })
}

// listing is the listing of who that keep accepts the filter of.
func (d *doctor) listing(who string, keep func(f contract.SessionFilter) bool) *soak.Listing {
	return first(d.t, "such listing of "+who, d.snap.Listings, func(li soak.Listing) bool { return li.Who == who && keep(li.Filter) })
}

func unfiltered(f contract.SessionFilter) bool { return f == contract.SessionFilter{} }

// reveal makes the first read that answered 404 and that match accepts
// answer 200 instead.
func (d *doctor) reveal(match func(rd soak.Read) bool) {
	first(d.t, "such read answered 404", d.snap.Reads, func(rd soak.Read) bool { return rd.Status == 404 && match(rd) }).Status = 200
}

// server is the org server of org.
func (d *doctor) server(org int) string { return d.world.Orgs[org].Name + "/server" }

func TestCheckPassesCleanRun(t *testing.T) {
	d := newDoctor(t)
	if f := soak.Check(d.world, d.ledger, d.snap); f.Violations() != 0 {
		t.Fatalf("a clean run checked again: %d violations: %q", f.Violations(), f.Problems)
	}
}

// The counts of Findings that the cases of TestCheckCatches must raise.
func messagesLost(f *soak.Findings) int       { return f.Messages.Lost }
func messagesDuplicated(f *soak.Findings) int { return f.Messages.Duplicated }
func messagesMisplaced(f *soak.Findings) int  { return f.Messages.Misplaced }
func messagesUnexpected(f *soak.Findings) int { return f.Messages.Unexpected }
func sessionsLost(f *soak.Findings) int       { return f.Sessions.Lost }
func sessionsDuplicated(f *soak.Findings) int { return f.Sessions.Duplicated }
func outOfOrder(f *soak.Findings) int         { return f.OutOfOrder }
func visibility(f *soak.Findings) int         { return f.Visibility }
func erasure(f *soak.Findings) int            { return f.Erasure.Violations }

func TestCheckCatches(t *testing.T) {
	cases := []struct {
		name   string
		caught func(f *soak.Findings) int // the count it must raise
		doctor func(d *doctor)
	}{
		{"a lost message", messagesLost, func(d *doctor) { d.stored(d.session.ID, anyone, dropFirst) }},
		{"a message lost to its owner only", messagesLost, func(d *doctor) { d.stored(d.session.ID, only(d.session.Owner), dropFirst) }},
		{"an acknowledged message never stored", messagesLost, func(d *doctor) {
			m := d.msgs[len(d.msgs)-1]
			m.Key, m.Content, m.ID = "forged", "forged | never sent", m.ID+"0"
			d.ledger.Messages = append(d.ledger.Messages, m)
		}},
		{"a duplicated message", messagesDuplicated, func(d *doctor) {
			d.stored(d.session.ID, anyone, func(s *soak.StoredSession) {
				dup := s.Messages[0]
				dup.ID = newest
				s.Messages = append(s.Messages, dup)
			})
		}},
		{"a message in another session", messagesMisplaced, func(d *doctor) {
			other := first(d.t, "other session in the org", d.ledger.Sessions, func(s soak.SessionEntry) bool {
				return s.Acked && s.Org == d.session.Org && s.ID != d.session.ID && d.survives(s.Owner)
			})
			var moved contract.Message
			d.stored(d.session.ID, anyone, func(s *soak.StoredSession) { moved, s.Messages = s.Messages[0], s.Messages[1:] })
			d.stored(other.ID, anyone, func(s *soak.StoredSession) {
				s.Messages = append([]contract.Message{moved}, s.Messages...)
			})
		}},
		{"a message stored out of order", outOfOrder, func(d *doctor) {
			d.stored(d.session.ID, anyone, func(s *soak.StoredSession) { s.Messages[0], s.Messages[1] = s.Messages[1], s.Messages[0] })
		}},
		{"a later message numbered before an earlier one", outOfOrder, func(d *doctor) {
			// Pretend the message with the smaller id was sent after the
			// other was acknowledged.
			a, b := d.msgs[0], d.msgs[1]
			for i := range d.ledger.Messages {
				if m := &d.ledger.Messages[i]; m.Key == a.Key {
					m.FirstSent, m.AckedAt = b.AckedAt.Add(time.Millisecond), b.AckedAt.Add(2*time.Millisecond)
				}
			}
		}},
		{"a message nobody sent", messagesUnexpected, func(d *doctor) {
			d.stored(d.session.ID, anyone, func(s *soak.StoredSession) {
				s.Messages = append(s.Messages, contract.Message{ID: newest, SessionID: d.session.ID, Role: "user", Content: "injected"})
			})
		}},
		{"a lost session", sessionsLost, func(d *doctor) {
			for i := range d.snap.Listings {
				d.snap.Listings[i].IDs = without(d.snap.Listings[i].IDs, d.session.ID)
			}
			for i, rd := range d.snap.Reads {
				if rd.SessionID == d.session.ID && rd.Status == 200 {
					d.snap.Reads[i].Status, d.snap.Reads[i].Session = 404, nil
				}
			}
		}},
		{"a session created twice for one Idempotency-Key", sessionsDuplicated, func(d *doctor) {
			server := d.server(d.session.Org)
			d.stored(d.session.ID, only(server), func(s *soak.StoredSession) {
				twin := *s
				twin.ID, twin.Messages = newest, nil
				d.snap.Reads = append(d.snap.Reads, soak.Read{Who: server, SessionID: twin.ID, Status: 200, Session: &twin})
				li := d.listing(server, unfiltered)
				li.IDs = append([]string{twin.ID}, li.IDs...)
			})
		}},
		{"a session listed to another principal of the org", visibility, func(d *doctor) {
			p := d.principal(func(p soak.Principal) bool { return p.Org == d.session.Org && p.Name != d.session.Owner })
			li := d.listing(p.Name, unfiltered)
			li.IDs = append(li.IDs, d.session.ID)
		}},
		{"a session readable from another org", visibility, func(d *doctor) {
			d.reveal(func(rd soak.Read) bool {
				return rd.SessionID == d.session.ID && d.world.Orgs[d.session.Org].Name != rd.Who[:2]
			})
		}},
		{"a session its owner does not list", visibility, func(d *doctor) {
			li := d.listing(d.session.Owner, unfiltered)
			li.IDs = without(li.IDs, d.session.ID)
		}},
		{"a filter of the org server that lets another owner's session through", visibility, func(d *doctor) {
			owner := d.principal(func(p soak.Principal) bool { return p.Name == d.session.Owner })
			li := d.listing(d.server(d.session.Org), func(f contract.SessionFilter) bool {
				return f.Verified != nil && *f.Verified != owner.Verified && f.Email == ""
			})
			li.IDs = append(li.IDs, d.session.ID)
		}},
		{"a message missing from its owner's export", messagesLost, func(d *doctor) {
			for _, rd := range d.snap.Exports {
				if rd.SessionID == d.session.ID {
					dropFirst(rd.Session)
				}
			}
		}},
		{"an export not newest first", outOfOrder, func(d *doctor) {
			li := first(d.t, "export of 2 sessions", d.snap.Listings, func(li soak.Listing) bool { return li.Export != "" && len(li.IDs) > 1 })
			li.IDs = append(li.IDs[1:], li.IDs[0])
		}},
		{"an erased principal's session still readable", visibility, func(d *doctor) {
			erased := d.erased()
			d.reveal(func(rd soak.Read) bool {
				return rd.Who == d.server(erased.Org) && slices.ContainsFunc(d.ledger.Sessions, func(s soak.SessionEntry) bool {
					return s.ID == rd.SessionID && s.Owner == erased.Name
				})
			})
		}},
		{"an erased principal's old token still accepted", erasure, func(d *doctor) { d.snap.Probes[0].Status, d.snap.Probes[0].Code = 200, "" }},
		{"a deletion that counts one message less", erasure, func(d *doctor) { d.snap.Deletions[0].Messages-- }},
		{"a KV key that holds an erased principal's mark", erasure, func(d *doctor) {
			d.snap.KVHolding = append(d.snap.KVHolding, "contact/"+d.erased().ContactID)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDoctor(t)
			c.doctor(d)
			f := soak.Check(d.world, d.ledger, d.snap)
			if c.caught(f) == 0 || f.Violations() == 0 {
				t.Fatalf("not caught: %+v", f)
			}
			if err := (&soak.Report{Findings: f}).Err(); !errors.Is(err, soak.ErrViolations) {
				t.Errorf("Report.Err() = %v, want ErrViolations", err)
			}
			t.Logf("caught: %q", f.Problems)
		})
	}
}

// newest is a message or session id that sorts after every real one.
const newest = "ffffffff-ffff-7fff-bfff-ffffffffffff"

func without(ids []string, id string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == id })
}
