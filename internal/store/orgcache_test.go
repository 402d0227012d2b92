package store

import (
	"strconv"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
)

// The cache keeps at most orgCacheSize orgs, and what it gives is what was put.
func TestTheOrgCacheIsBounded(t *testing.T) {
	var c orgCache
	for i := range orgCacheSize + 100 {
		pk := "pk_" + strconv.Itoa(i)
		c.put(pk, &identity.Org{ID: strconv.Itoa(i), AllowedOrigins: []string{"https://" + pk}})
		if got, ok := c.get(pk); !ok || got.ID != strconv.Itoa(i) || got.AllowedOrigins[0] != "https://"+pk {
			t.Fatalf("%s: %+v %v", pk, got, ok)
		}
	}
	if n := len(c.m); n != orgCacheSize {
		t.Errorf("%d orgs kept, want %d", n, orgCacheSize)
	}
	for pk, org := range c.m {
		if "pk_"+org.ID != pk {
			t.Errorf("%s holds org %s", pk, org.ID)
		}
	}
}
