package store_test

import (
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/store"
)

// A session an identity claims after it was erased is its new history: the
// tombstone hides what it owned before the erasure, not what it claimed
// since, though the session itself was created before.
func TestTombstoneHidesByOwnershipNotCreation(t *testing.T) {
	erasedAt := t0.Add(time.Hour)
	ts := &store.Tombstone{Deletion: "d-1", At: erasedAt}
	before := &identity.Session{CreatedAt: t0}
	claimedAfter := t0.Add(2 * time.Hour)
	claimed := &identity.Session{CreatedAt: t0, ClaimedAt: &claimedAfter}
	claimedBefore := t0.Add(30 * time.Minute)
	claimedEarlier := &identity.Session{CreatedAt: t0, ClaimedAt: &claimedBefore}
	if !ts.Hides(before) {
		t.Error("a session owned since before the erasure is not hidden")
	}
	if ts.Hides(claimed) {
		t.Error("a session claimed after the erasure is hidden")
	}
	if !ts.Hides(claimedEarlier) {
		t.Error("a session claimed before the erasure is not hidden")
	}
	var none *store.Tombstone
	if none.Hides(before) {
		t.Error("no tombstone hides a session")
	}
}
