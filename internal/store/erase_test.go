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
