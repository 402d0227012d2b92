package api

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// A person's erasure waits for their writes in flight, and writes that come
// while it waits wait for it (holdPerson): within an instance no write of
// an old token straddles the tombstone.
func TestHoldPersonKeepsWritesAndTheErasureApart(t *testing.T) {
	var slept atomic.Int64
	a := &API{sleep: func(ctx context.Context, d time.Duration) error {
		slept.Add(1)
		time.Sleep(time.Millisecond)
		return ctx.Err()
	}}
	ctx := context.Background()
	w1, err := a.holdPerson(ctx, "org", "u:1", false)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := a.holdPerson(ctx, "org", "u:1", false) // writes share the hold
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.holdPerson(ctx, "org", "u:2", true) // another person's erasure does not wait
	if err != nil {
		t.Fatal(err)
	}
	other()
	erased := make(chan func(), 1)
	go func() {
		unlock, err := a.holdPerson(ctx, "org", "u:1", true)
		if err != nil {
			t.Error(err)
		}
		erased <- unlock
	}()
	for slept.Load() == 0 { // the erasure waits
		time.Sleep(time.Millisecond)
	}
	late := make(chan func(), 1)
	go func() { // a write that comes now waits for the erasure
		unlock, err := a.holdPerson(ctx, "org", "u:1", false)
		if err != nil {
			t.Error(err)
		}
		late <- unlock
	}()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-erased:
		t.Fatal("the erasure did not wait for the writes in flight")
	case <-late:
		t.Fatal("a write came in while the erasure waited")
	default:
	}
	w1()
	w2()
	unlock := <-erased
	select {
	case <-late:
		t.Fatal("a write ran beside the erasure")
	case <-time.After(20 * time.Millisecond):
	}
	unlock()
	(<-late)()
	if n := len(a.locks.people); n != 0 {
		t.Errorf("%d holds left", n)
	}
	// An erasure that gives up waiting leaves no waiter behind.
	w, _ := a.holdPerson(ctx, "org", "u:1", false)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.holdPerson(cctx, "org", "u:1", true); !errors.Is(err, identity.ErrUnavailable) {
		t.Errorf("a cancelled erasure: %v", err)
	}
	if w2, err := a.holdPerson(ctx, "org", "u:1", false); err != nil {
		t.Errorf("a write after the erasure gave up: %v", err)
	} else {
		w2()
	}
	w()
	if n := len(a.locks.people); n != 0 {
		t.Errorf("%d holds left", n)
	}
}
