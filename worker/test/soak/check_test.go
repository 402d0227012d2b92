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
	count := map[string]int{}
	for _, m := range d.ledger.Messages {
		if m.Acked {
			count[m.SessionID]++
		}
	}
	for _, s := range d.ledger.Sessions {
		if s.Acked && count[s.ID] > count[d.session.ID] && d.survives(s.Owner) {
			d.session = s
		}
	}
	for _, m := range d.ledger.Messages {
		if m.Acked && m.SessionID == d.session.ID {
			d.msgs = append(d.msgs, m)
		}
	}
	sort.Slice(d.msgs, func(i, j int) bool { return d.msgs[i].ID < d.msgs[j].ID })
	if len(d.msgs) < 2 {
		t.Fatalf("the clean run has no session with 2 acknowledged messages")
	}
	return d
}

// stored calls f on every read-back copy of the doctored session that
// keep accepts the reader of.
func (d *doctor) stored(keep func(who string) bool, f func(s *soak.StoredSession)) {
	d.storedOf(d.session.ID, keep, f)
}

func (d *doctor) storedOf(id string, keep func(who string) bool, f func(s *soak.StoredSession)) {
	for _, rd := range d.snap.Reads {
		if rd.SessionID == id && rd.Session != nil && keep(rd.Who) {
			f(rd.Session)
		}
	}
}

func anyone(string) bool { return true }

// otherSession is another acknowledged session of the same org, of an
// owner not erased.
func (d *doctor) otherSession() soak.SessionEntry {
	for _, s := range d.ledger.Sessions {
		if s.Acked && s.Org == d.session.Org && s.ID != d.session.ID && d.survives(s.Owner) {
			return s
		}
	}
	d.t.Fatal("no other session in the org")
	return soak.SessionEntry{}
}

// erased is the first erased principal that had a session.
func (d *doctor) erased() soak.Principal {
	for _, p := range d.world.Principals {
		if p.Erase != "" && slices.ContainsFunc(d.ledger.Sessions, func(s soak.SessionEntry) bool { return s.Acked && s.Owner == p.Name }) {
			return p
		}
	}
	d.t.Fatal("no erased principal with a session")
	return soak.Principal{}
}

func (d *doctor) ownerOf(session string) string {
	if i := slices.IndexFunc(d.ledger.Sessions, func(s soak.SessionEntry) bool { return s.ID == session }); i >= 0 {
		return d.ledger.Sessions[i].Owner
	}
	return ""
}

func (d *doctor) survives(name string) bool {
	return slices.ContainsFunc(d.world.Principals, func(p soak.Principal) bool { return p.Name == name && p.Erase == "" })
}

// principal returns the first principal not erased that keep accepts.
func (d *doctor) principal(keep func(p soak.Principal) bool) soak.Principal {
	for _, p := range d.world.Principals {
		if p.Erase == "" && keep(p) {
			return p
		}
	}
	d.t.Fatal("no such principal")
	return soak.Principal{}
}

// listing is the listing of who that keep accepts the filter of.
func (d *doctor) listing(who string, keep func(f contract.SessionFilter) bool) *soak.Listing {
	for i, li := range d.snap.Listings {
		if li.Who == who && keep(li.Filter) {
			return &d.snap.Listings[i]
		}
	}
	d.t.Fatalf("no such listing of %s", who)
	return nil
}

func unfiltered(f contract.SessionFilter) bool { return f == contract.SessionFilter{} }

// server is the doctored session's org server.
func (d *doctor) server() string { return d.world.Orgs[d.session.Org].Name + "/server" }

func (d *doctor) check() *soak.Findings {
	return soak.Check(d.world, d.ledger, d.snap)
}

func TestCheckPassesCleanRun(t *testing.T) {
	d := newDoctor(t)
	if f := d.check(); f.Violations() != 0 {
		t.Fatalf("a clean run checked again: %d violations: %q", f.Violations(), f.Problems)
	}
}

func TestCheckCatches(t *testing.T) {
	cases := []struct {
		name   string
		doctor func(d *doctor)
		got    func(f *soak.Findings) int
	}{
		{"a lost message", func(d *doctor) {
			d.stored(anyone, func(s *soak.StoredSession) { s.Messages = s.Messages[1:] })
		}, func(f *soak.Findings) int { return f.Messages.Lost }},
		{"a message lost to its owner only", func(d *doctor) {
			d.stored(func(who string) bool { return who == d.session.Owner }, func(s *soak.StoredSession) { s.Messages = s.Messages[1:] })
		}, func(f *soak.Findings) int { return f.Messages.Lost }},
		{"an acknowledged message never stored", func(d *doctor) {
			m := d.msgs[len(d.msgs)-1]
			m.Key, m.Content, m.ID = "forged", "forged | never sent", m.ID+"0"
			d.ledger.Messages = append(d.ledger.Messages, m)
		}, func(f *soak.Findings) int { return f.Messages.Lost }},
		{"a duplicated message", func(d *doctor) {
			d.stored(anyone, func(s *soak.StoredSession) {
				dup := s.Messages[0]
				dup.ID = "ffffffff-ffff-7fff-bfff-ffffffffffff" // newest
				s.Messages = append(s.Messages, dup)
			})
		}, func(f *soak.Findings) int { return f.Messages.Duplicated }},
		{"a message in another session", func(d *doctor) {
			var moved soak.StoredMessage
			d.stored(anyone, func(s *soak.StoredSession) { moved, s.Messages = s.Messages[0], s.Messages[1:] })
			d.storedOf(d.otherSession().ID, anyone, func(s *soak.StoredSession) {
				s.Messages = append([]soak.StoredMessage{moved}, s.Messages...)
			})
		}, func(f *soak.Findings) int { return f.Messages.Misplaced }},
		{"a message stored out of order", func(d *doctor) {
			d.stored(anyone, func(s *soak.StoredSession) { s.Messages[0], s.Messages[1] = s.Messages[1], s.Messages[0] })
		}, func(f *soak.Findings) int { return f.OutOfOrder }},
		{"a later message numbered before an earlier one", func(d *doctor) {
			// Pretend the message with the smaller id was sent after the
			// other was acknowledged.
			a, b := d.msgs[0], d.msgs[1]
			for i := range d.ledger.Messages {
				if m := &d.ledger.Messages[i]; m.Key == a.Key {
					m.FirstSent, m.AckedAt = b.AckedAt.Add(time.Millisecond), b.AckedAt.Add(2*time.Millisecond)
				}
			}
		}, func(f *soak.Findings) int { return f.OutOfOrder }},
		{"a message nobody sent", func(d *doctor) {
			d.stored(anyone, func(s *soak.StoredSession) {
				s.Messages = append(s.Messages, soak.StoredMessage{ID: "ffffffff-ffff-7fff-bfff-ffffffffffff", SessionID: d.session.ID, Role: "user", Content: "injected"})
			})
		}, func(f *soak.Findings) int { return f.Messages.Unexpected }},
		{"a lost session", func(d *doctor) {
			for i := range d.snap.Listings {
				d.snap.Listings[i].IDs = without(d.snap.Listings[i].IDs, d.session.ID)
			}
			for i, rd := range d.snap.Reads {
				if rd.SessionID == d.session.ID && rd.Status == 200 {
					d.snap.Reads[i].Status, d.snap.Reads[i].Session = 404, nil
				}
			}
		}, func(f *soak.Findings) int { return f.Sessions.Lost }},
		{"a session created twice for one Idempotency-Key", func(d *doctor) {
			d.stored(func(who string) bool { return who == d.server() }, func(s *soak.StoredSession) {
				twin := *s
				twin.ID, twin.Messages = "ffffffff-ffff-7fff-bfff-ffffffffffff", nil
				d.snap.Reads = append(d.snap.Reads, soak.Read{Who: d.server(), SessionID: twin.ID, Status: 200, Session: &twin})
				li := d.listing(d.server(), unfiltered)
				li.IDs = append([]string{twin.ID}, li.IDs...)
			})
		}, func(f *soak.Findings) int { return f.Sessions.Duplicated }},
		{"a session listed to another principal of the org", func(d *doctor) {
			p := d.principal(func(p soak.Principal) bool { return p.Org == d.session.Org && p.Name != d.session.Owner })
			li := d.listing(p.Name, unfiltered)
			li.IDs = append(li.IDs, d.session.ID)
		}, func(f *soak.Findings) int { return f.Visibility }},
		{"a session readable from another org", func(d *doctor) {
			for i, rd := range d.snap.Reads {
				if rd.SessionID == d.session.ID && rd.Status == 404 && d.world.Orgs[d.session.Org].Name != rd.Who[:2] {
					d.snap.Reads[i].Status = 200
					return
				}
			}
			d.t.Fatal("no read from another org")
		}, func(f *soak.Findings) int { return f.Visibility }},
		{"a session its owner does not list", func(d *doctor) {
			li := d.listing(d.session.Owner, unfiltered)
			li.IDs = without(li.IDs, d.session.ID)
		}, func(f *soak.Findings) int { return f.Visibility }},
		{"a filter of the org server that lets another owner's session through", func(d *doctor) {
			owner := d.principal(func(p soak.Principal) bool { return p.Name == d.session.Owner })
			li := d.listing(d.server(), func(f contract.SessionFilter) bool {
				return f.Verified != nil && *f.Verified != owner.Verified && f.Email == ""
			})
			li.IDs = append(li.IDs, d.session.ID)
		}, func(f *soak.Findings) int { return f.Visibility }},
		{"a message missing from its owner's export", func(d *doctor) {
			for i, rd := range d.snap.Exports {
				if rd.SessionID == d.session.ID {
					d.snap.Exports[i].Session.Messages = rd.Session.Messages[1:]
				}
			}
		}, func(f *soak.Findings) int { return f.Messages.Lost }},
		{"an export not newest first", func(d *doctor) {
			for i, li := range d.snap.Listings {
				if li.Export != "" && len(li.IDs) > 1 {
					d.snap.Listings[i].IDs = append(li.IDs[1:], li.IDs[0])
					return
				}
			}
			d.t.Fatal("no export of 2 sessions")
		}, func(f *soak.Findings) int { return f.OutOfOrder }},
		{"an erased principal's session still readable", func(d *doctor) {
			erased := d.erased()
			for i, rd := range d.snap.Reads {
				if rd.Who == d.world.Orgs[erased.Org].Name+"/server" && rd.Status == 404 && d.ownerOf(rd.SessionID) == erased.Name {
					d.snap.Reads[i].Status = 200
					return
				}
			}
			d.t.Fatal("no read of an erased session")
		}, func(f *soak.Findings) int { return f.Visibility }},
		{"an erased principal's old token still accepted", func(d *doctor) {
			d.snap.Probes[0].Status, d.snap.Probes[0].Code = 200, ""
		}, func(f *soak.Findings) int { return f.Erasure.Violations }},
		{"a deletion that counts one message less", func(d *doctor) {
			d.snap.Deletions[0].Messages--
		}, func(f *soak.Findings) int { return f.Erasure.Violations }},
		{"a KV key that holds an erased principal's mark", func(d *doctor) {
			d.snap.KVHolding = append(d.snap.KVHolding, "contact/"+d.erased().ContactID)
		}, func(f *soak.Findings) int { return f.Erasure.Violations }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDoctor(t)
			c.doctor(d)
			f := d.check()
			if c.got(f) == 0 || f.Violations() == 0 {
				t.Fatalf("not caught: %+v", f)
			}
			if err := (&soak.Report{Findings: f}).Err(); !errors.Is(err, soak.ErrViolations) {
				t.Errorf("Report.Err() = %v, want ErrViolations", err)
			}
			t.Logf("caught: %q", f.Problems)
		})
	}
}

func without(ids []string, id string) []string {
	return slices.DeleteFunc(slices.Clone(ids), func(s string) bool { return s == id })
}
