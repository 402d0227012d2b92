package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// TestStepSweepsWhatARequestInFlightWrote: a message written to a session
// after its batch removed it (a request let through just before the
// erasure) is removed by the sweep, and counted; a batch delivered again
// does nothing; one ahead of the record is Ahead.
func TestStepSweepsWhatARequestInFlightWrote(t *testing.T) {
	ctx := context.Background()
	mem := kv.NewMemory()
	now := t0
	s := store.New(mem, store.WithClock(func() time.Time { return now }))
	k := identity.KeyOf("sweep-uid", "")
	if _, err := s.UpsertUser(ctx, orgA, store.UserInput{UserID: "sweep-uid"}); err != nil {
		t.Fatal(err)
	}
	owner := identity.Owner{Key: k.String(), Verified: true, UserID: "sweep-uid"}
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: owner})
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	msg := s.PrepareMessage(sess, identity.RoleUser, "sweep-text-1", "")
	if _, err := s.AddMessage(ctx, sess, msg); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	d, err := s.StartDeletion(ctx, store.Erasure{OrgID: orgA, PrincipalKey: k.String(), UserKey: &k})
	if err != nil {
		t.Fatal(err)
	}
	var sent []int
	send := func(next int, _ time.Duration) error { sent = append(sent, next); return nil }
	if r, err := s.Step(ctx, orgA, d.ID, 1, send); err != nil || !r.Ahead || r.Handled {
		t.Fatalf("a batch ahead: %+v %v", r, err)
	}
	if r, err := s.Step(ctx, orgA, d.ID, 0, send); err != nil || !r.Handled || r.Delay != store.SweepDelay {
		t.Fatalf("first batch: %+v %v", r, err)
	}
	if r, err := s.Step(ctx, orgA, d.ID, 0, send); err != nil || r.Handled {
		t.Fatalf("the first batch again: %+v %v", r, err)
	}
	// The late write.
	late := s.PrepareMessage(sess, identity.RoleUser, "sweep-text-2", "")
	if _, err := s.AddMessage(ctx, sess, late); err != nil {
		t.Fatal(err)
	}
	runDeletion(t, s, d.ID, 1)
	got, err := s.Deletion(ctx, orgA, d.ID)
	if err != nil || got.Status != store.DeletionDone || got.Sessions != 1 || got.Messages != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	if got.Owner != "" || got.Erased != nil || got.Profile != "" {
		t.Errorf("the done record keeps the job: %+v", got)
	}
	for key, v := range mem.Snapshot() {
		if strings.Contains(key+v, "sweep-") || strings.Contains(key, sess.ID) {
			t.Errorf("left: %s", key)
		}
	}
}

// A tombstone hides what a request of a token issued before the erasure
// wrote after it, whatever the session's created_at or claimed_at says: a
// session's owner records its token's issue time (Owner.Since). Sessions
// stored before that was kept go by their creation or claim, as before.
func TestATombstoneGoesByTheTokenThatGaveTheSession(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tomb := &store.Tombstone{At: at}
	before, after := at.Add(-time.Minute), at.Add(time.Second)
	for _, c := range []struct {
		name           string
		created, since time.Time
		claimed        *time.Time
		hidden         bool
	}{
		{"created after by an old token", after, before, nil, true},
		{"claimed after by an old token", before, before, &after, true},
		{"created after by a token of the erasure's instant", after, at, nil, true},
		{"created after by a new token", after, after, nil, false},
		{"claimed after by a new token", before, after, &after, false},
		{"stored before Since: created after", after, time.Time{}, nil, false},
		{"stored before Since: created before", before, time.Time{}, nil, true},
	} {
		sess := &identity.Session{CreatedAt: c.created, ClaimedAt: c.claimed, Owner: identity.Owner{Key: "u:1", Verified: true, Since: c.since}}
		if got := tomb.Hides(sess); got != c.hidden {
			t.Errorf("%s: hidden %v, want %v", c.name, got, c.hidden)
		}
	}
}
