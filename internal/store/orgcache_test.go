package store

import (
	"strconv"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// The cache keeps at most orgCacheSize orgs, and what it gives is what was put.
func TestTheOrgCacheIsBounded(t *testing.T) {
	var c orgCache
	now := time.Unix(1_800_000_000, 0)
	for i := range orgCacheSize + 100 {
		pk := "pk_" + strconv.Itoa(i)
		c.put(pk, &identity.Org{ID: strconv.Itoa(i), AllowedOrigins: []string{"https://" + pk}}, now, c.gen())
		if got, ok := c.get(pk, now); !ok || got.ID != strconv.Itoa(i) || got.AllowedOrigins[0] != "https://"+pk {
			t.Fatalf("%s: %+v %v", pk, got, ok)
		}
	}
	if n := len(c.m); n != orgCacheSize {
		t.Errorf("%d orgs kept, want %d", n, orgCacheSize)
	}
	for pk, e := range c.m {
		if "pk_"+e.org.ID != pk {
			t.Errorf("%s holds org %s", pk, e.org.ID)
		}
	}
}

// An org is kept for orgCacheTTL from its read, not for ever: the vendor may
// change its origins. A clock that went back does not extend it.
func TestTheOrgCacheForgetsAfterItsTTL(t *testing.T) {
	var c orgCache
	read := time.Unix(1_800_000_000, 0)
	c.put("pk_a", &identity.Org{ID: "a"}, read, c.gen())
	for _, tc := range []struct {
		at   time.Duration
		kept bool
	}{{0, true}, {orgCacheTTL - time.Millisecond, true}, {orgCacheTTL, false}, {-time.Second, false}} {
		if _, ok := c.get("pk_a", read.Add(tc.at)); ok != tc.kept {
			t.Errorf("%v after the read: kept %v, want %v", tc.at, ok, tc.kept)
		}
	}
	c.drop("pk_a")
	if _, ok := c.get("pk_a", read); ok {
		t.Error("kept after drop")
	}
}

// A read begun before a drop (this instance changed an org) is not kept: it
// may hold the org as it was before the change.
func TestTheOrgCacheKeepsNoReadBegunBeforeADrop(t *testing.T) {
	var c orgCache
	now := time.Unix(1_800_000_000, 0)
	gen := c.gen()
	c.drop("pk_a")
	c.put("pk_a", &identity.Org{ID: "old"}, now, gen)
	if got, ok := c.get("pk_a", now); ok {
		t.Errorf("kept %+v, read before the drop", got)
	}
	c.put("pk_a", &identity.Org{ID: "new"}, now, c.gen())
	if got, ok := c.get("pk_a", now); !ok || got.ID != "new" {
		t.Errorf("a read after the drop: %+v %v, want kept", got, ok)
	}
}
