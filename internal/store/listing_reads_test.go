package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// The org's listing filtered by verified=false over 1,200 verified sessions
// whose summaries are partial (custom data over 1 KiB), which only their
// records can decide (a verified owner may hold a claimed, non-verified
// session): each page stays within the bound, ending early with a cursor,
// and the pages together hold the non-verified sessions, each once.
func TestOrgListingOfPartialSummariesBoundsItsReads(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	var want []string
	for i := 0; i < 1200; i++ {
		if i%400 == 0 {
			want = append(want, createSession(t, s, orgA, contactOwner(fmt.Sprintf("c-%d", i), ""), "", nil).ID)
		}
		createSession(t, s, orgA, verifiedOwner(fmt.Sprintf("u-%d", i), ""), "", bigData(1100))
	}
	slices.Reverse(want) // newest first
	no := false
	got, pages := pageAllBounded(t, mem, func(c string) ([]*identity.Session, string, error) {
		return s.ListOrgSessions(ctx, orgA, store.SessionFilter{Verified: &no}, c, 20)
	})
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
	t.Logf("%d pages", pages)
}

// Random mixes of sessions whose summaries decide a filter and sessions
// only their records can, over KV pages of random sizes: every page within
// the bound, and paging to the end lists exactly the matching sessions,
// newest first, each once.
func TestListingPagesOfMixedSummariesListEachMatchOnce(t *testing.T) {
	long := strings.Repeat("<", 256) // escaped in JSON: no summary fits
	for trial := 0; trial < 4; trial++ {
		r := rand.New(rand.NewPCG(uint64(trial), 23))
		mem := kv.NewMemory()
		var k kv.KV = mem
		if trial%2 == 1 {
			k = smallPages{KV: mem, n: 50 + r.IntN(900)}
		}
		s := newStore(k)
		owner := contactOwner("c-1", "")
		var want []string
		n := 900 + r.IntN(1500)
		for i := 0; i < n; i++ {
			var sess *identity.Session
			switch x := r.IntN(100); {
			case x < 3: // matches, decided by its summary
				sess = createSession(t, s, orgA, owner, "ws-1", nil)
				want = append(want, sess.ID)
			case x < 6: // matches, only its record tells
				sess = createSession(t, s, orgA, owner, "ws-1", bigData(1100))
				want = append(want, sess.ID)
			case x < 30: // does not, decided by its summary
				createSession(t, s, orgA, owner, "ws-2", nil)
			default: // does not, only its record tells
				createSession(t, s, orgA, owner, long, nil)
			}
		}
		slices.Reverse(want)
		ws := "ws-1"
		limit := []int{100, 20, 1 + r.IntN(100), 100}[trial]
		got, pages := pageAllBounded(t, mem, func(c string) ([]*identity.Session, string, error) {
			return s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{ExternalID: &ws}, c, limit)
		})
		if !slices.Equal(got, want) {
			t.Errorf("trial %d (%d sessions, pages of %d): listed %d, want %d", trial, n, limit, len(got), len(want))
		}
		t.Logf("trial %d: %d sessions, %d match, %d pages of %d", trial, n, len(want), pages, limit)
	}
}
