package store_test

import (
	"sync"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// A device with 200 sessions moves whole in one call, within Workers' limit
// of 1,000 KV operations per invocation, and afterwards each session is the
// new owner's only: its record, the org's listing and both owners' listings.
func TestMoveSessions200WithinOneInvocation(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from := contactOwner("contact-1", "ann@example.com")
	to := verifiedOwner("u-1", "")
	var made []string
	for i := 0; i < 200; i++ {
		made = append(made, createSession(t, s, orgA, from, "", nil).ID)
	}
	big := createSession(t, s, orgA, from, "", bigData(2000)) // partial summary: read with one get
	made = append(made, big.ID)
	other := createSession(t, s, orgA, contactOwner("contact-2", ""), "", nil)

	before := mem.Ops()
	moved, done, err := s.MoveSessions(ctx, orgA, from.Key, store.MoveAll(to))
	if err != nil || !done || len(moved) != 201 {
		t.Fatalf("MoveSessions = %d moved, done %v, %v", len(moved), done, err)
	}
	d := opsDelta(before, mem.Ops())
	total := d["get"] + d["put"] + d["list"] + d["delete"]
	if total > 1000 || total > store.MaxMoveOps {
		t.Errorf("moving 201 sessions took %d KV operations (%v), over the limit", total, d)
	}
	t.Logf("201 sessions moved in %d KV operations: %v", total, d)

	for _, id := range made {
		sess, err := s.Session(ctx, orgA, id)
		if err != nil || sess.Owner != to {
			t.Fatalf("session %s after the move: %+v, %v", id, sess, err)
		}
	}
	left, _, _ := s.ListOwnerSessions(ctx, orgA, from.Key, store.SessionFilter{}, "", 100)
	if len(left) != 0 {
		t.Errorf("the old owner still lists %d sessions", len(left))
	}
	all := listAll(t, s, to.Key)
	if len(all) != 201 {
		t.Errorf("the new owner lists %d sessions, want 201", len(all))
	}
	if o, _ := s.Session(ctx, orgA, other.ID); o.Owner.Key != "c:contact-2" {
		t.Errorf("another owner's session moved: %+v", o.Owner)
	}
	org, _, _ := s.ListOrgSessions(ctx, orgA, store.SessionFilter{UserID: "u-1"}, "", 100)
	if len(org) != 100 {
		t.Errorf("the org's listing by user_id shows %d of the moved sessions on a page of 100", len(org))
	}
	// Moving again moves nothing.
	if moved, done, err := s.MoveSessions(ctx, orgA, from.Key, store.MoveAll(to)); err != nil || !done || len(moved) != 0 {
		t.Errorf("second move: %d, %v, %v", len(moved), done, err)
	}
}

func listAll(t *testing.T, s *store.Store, key string) []*identity.Session {
	t.Helper()
	var all []*identity.Session
	cursor := ""
	for {
		items, next, err := s.ListOwnerSessions(ctx, orgA, key, store.SessionFilter{}, cursor, 100)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

// More sessions than one call may move: it stops under the limit and a
// second call finishes; Select leaves the others where they are.
func TestMoveSessionsResumesAndSelects(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from := contactOwner("contact-1", "")
	to := verifiedOwner("", "ann@example.com")
	for i := 0; i < 260; i++ {
		ext := ""
		if i%2 == 0 {
			ext = "ws-1"
		}
		createSession(t, s, orgA, from, ext, nil)
	}
	m := store.Move{To: to, Select: func(s *identity.Session) bool { return s.ExternalIDValue() == "ws-1" }}
	calls, total := 0, 0
	for {
		calls++
		moved, done, err := s.MoveSessions(ctx, orgA, from.Key, m)
		if err != nil {
			t.Fatal(err)
		}
		total += len(moved)
		if done {
			break
		}
		if calls > 5 {
			t.Fatal("never done")
		}
	}
	if total != 130 || len(listAll(t, s, from.Key)) != 130 || len(listAll(t, s, to.Key)) != 130 {
		t.Errorf("moved %d in %d calls; left %d, new owner %d", total, calls, len(listAll(t, s, from.Key)), len(listAll(t, s, to.Key)))
	}
}

// Two moves at once (two tabs claiming) leave each session moved once and
// none lost.
func TestMoveSessionsConcurrent(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from := contactOwner("contact-1", "")
	to := verifiedOwner("u-1", "")
	for i := 0; i < 50; i++ {
		createSession(t, s, orgA, from, "", nil)
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Go(func() {
			moved, _, err := s.MoveSessions(ctx, orgA, from.Key, store.MoveAll(to))
			if err != nil {
				t.Error(err)
			}
			counts[i] = len(moved)
		})
	}
	wg.Wait()
	if n := len(listAll(t, s, to.Key)); n != 50 || len(listAll(t, s, from.Key)) != 0 {
		t.Errorf("after two moves at once: new owner lists %d, old %d (moved %v)", n, len(listAll(t, s, from.Key)), counts)
	}
}

// A move that selects by external id (a claim with a token bound to one)
// decides the sessions it leaves from their listing keys' summaries, even
// partial ones, without reading their records: 950 sessions of another
// workspace, each with a summary too big for the listing key's metadata,
// used to spend the call's whole budget on reading them, so that the one
// session of the workspace, listed after them, was never reached and every
// claim answered that it had moved nothing.
func TestMoveSessionsLeavesPartialSummariesUnread(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from := contactOwner("contact-1", "")
	to := verifiedOwner("u-1", "")
	mine := createSession(t, s, orgA, from, "ws-1", bigData(2000)) // the oldest: listed last
	for i := 0; i < 950; i++ {
		createSession(t, s, orgA, from, "ws-2", bigData(2000))
	}
	sel := func(sess *identity.Session) bool { return sess.ExternalIDValue() == "ws-1" }
	before := mem.Ops()
	moved, done, err := s.MoveSessions(ctx, orgA, from.Key, store.Move{To: to, Select: sel})
	if err != nil || !done || len(moved) != 1 || moved[0].ID != mine.ID {
		t.Fatalf("MoveSessions = %d moved, done %v, %v; want the ws-1 session, done", len(moved), done, err)
	}
	if d := opsDelta(before, mem.Ops()); d["get"] > 2 {
		t.Errorf("the move read %d records, want only the one it moved (%v)", d["get"], d)
	}
	if sess, err := s.Session(ctx, orgA, mine.ID); err != nil || sess.Owner != to || len(sess.NonVerifiedCustomData) == 0 {
		t.Errorf("the moved session: %+v, %v", sess, err)
	}
	if left := listAll(t, s, from.Key); len(left) != 950 {
		t.Errorf("the contact lists %d sessions, want the 950 of ws-2", len(left))
	}
}
