package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// pageOpsBound is what one page of a listing may spend in KV, leaving the
// route's own calls room under Workers' 1,000 per invocation.
const pageOpsBound = 850

// pageAllBounded pages a listing to its end, checking that each page spends at
// most pageOpsBound KV operations, and returns the ids listed.
func pageAllBounded(t *testing.T, mem *kv.Memory, list func(cursor string) ([]*identity.Session, string, error)) (got []string, pages int) {
	t.Helper()
	cursor := ""
	for {
		before := mem.Ops()
		items, next, err := list(cursor)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		d := opsDelta(before, mem.Ops())
		if n := d["get"] + d["list"] + d["put"] + d["delete"]; n > pageOpsBound {
			t.Fatalf("page %d took %d KV operations (%v), over %d", pages, n, d, pageOpsBound)
		}
		pages++
		got = append(got, ids(items)...)
		if next == "" {
			return got, pages
		}
		if pages > 1000 {
			t.Fatal("the listing does not end")
		}
		cursor = next
	}
}

// An owner's listing by external id over 1,200 sessions whose external id
// (256 emoji) leaves no room in their summaries: the summaries hold its
// hash, so no page reads a record of another external id (before, a page
// read all 1,200), and a filter by that long id finds its sessions.
func TestOwnerListingByExternalIDOfUnfitSummariesReadsNoRecord(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	owner := contactOwner("c-1", "")
	long := strings.Repeat("\U0001F600", 256)
	var want, wantLong []string
	for i := 0; i < 1200; i++ {
		if i%500 == 0 {
			want = append(want, createSession(t, s, orgA, owner, "ws-1", nil).ID)
		}
		sess := createSession(t, s, orgA, owner, long, nil)
		if i%300 == 0 {
			wantLong = append(wantLong, sess.ID)
		}
	}
	slices.Reverse(want)
	ws := "ws-1"
	before := mem.Ops()
	got, _ := pageAllBounded(t, mem, func(c string) ([]*identity.Session, string, error) {
		return s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{ExternalID: &ws}, c, 20)
	})
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	if d := opsDelta(before, mem.Ops()); d["get"] != 0 {
		t.Errorf("the listing by ws-1 read %d records (%v)", d["get"], d)
	}
	got, _ = pageAllBounded(t, mem, func(c string) ([]*identity.Session, string, error) {
		return s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{ExternalID: &long}, c, 100)
	})
	if len(got) != 1200 {
		t.Errorf("the listing by the long external id found %d, want 1200", len(got))
	}
}

// A move that takes one external id leaves the sessions whose summaries
// hold the hash of another unread, and one that does not say which reads
// and takes them.
func TestMoveSessionsDecidesHashedExternalIDs(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from, to := contactOwner("c-1", ""), verifiedOwner("u-1", "")
	long, other := strings.Repeat("<", 256), strings.Repeat("<", 255)+">"
	target := createSession(t, s, orgA, from, long, nil)
	for i := 0; i < 950; i++ {
		createSession(t, s, orgA, from, other, nil)
	}
	sel := func(x *identity.Session) bool { return x.ExternalIDValue() == long }
	before := mem.Ops()
	moved, done, err := s.MoveSessions(ctx, orgA, from.Key, store.Move{To: to, Select: sel, External: &long})
	if err != nil || !done || len(moved) != 1 || moved[0].ID != target.ID {
		t.Fatalf("MoveSessions bound to the long id = %v, done %v, %v; want [%s]", ids(moved), done, err, target.ID)
	}
	if d := opsDelta(before, mem.Ops()); d["get"] > 2 {
		t.Errorf("the move read %d records (%v), want only its own", d["get"], d)
	}
	// Unbound: every session is read and taken.
	moved, done, err = s.MoveSessions(ctx, orgA, from.Key, store.Move{To: to, Select: func(*identity.Session) bool { return true }})
	if err != nil || len(moved) == 0 {
		t.Fatalf("MoveSessions unbound = %d, done %v, %v", len(moved), done, err)
	}
}
