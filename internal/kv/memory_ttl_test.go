package kv

// This file is in package kv to reach Memory's clock; the rest of the tests
// use only the exported API (package kv_test).

import (
	"context"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/testclock"
)

func newClockedMemory() (*Memory, *testclock.Clock) {
	c := testclock.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	m := NewMemory()
	m.now = c.Now
	return m, c
}

func TestMemoryTTLExpiry(t *testing.T) {
	ctx := context.Background()
	m, clock := newClockedMemory()
	if err := m.Put(ctx, "ttl/short", []byte("x"), PutOptions{TTL: time.Minute, Metadata: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "ttl/long", []byte("y"), PutOptions{TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := m.Put(ctx, "ttl/none", []byte("z"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	live := func() []string {
		res, err := m.List(ctx, ListOptions{Prefix: "ttl/"})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range res.Keys {
			out = append(out, k.Name)
		}
		return out
	}
	check := func(when string, wantShort bool, wantLen int) {
		t.Helper()
		_, found, err := m.Get(ctx, "ttl/short")
		if err != nil || found != wantShort {
			t.Errorf("%s: Get(ttl/short) found = %v, want %v (%v)", when, found, wantShort, err)
		}
		if got := live(); len(got) != wantLen {
			t.Errorf("%s: List = %q, want %d keys", when, got, wantLen)
		}
		if m.Len() != wantLen || len(m.Snapshot()) != wantLen {
			t.Errorf("%s: Len %d, Snapshot %d, want %d", when, m.Len(), len(m.Snapshot()), wantLen)
		}
	}
	check("at once", true, 3)
	clock.Advance(time.Minute - time.Nanosecond)
	check("just before a minute", true, 3)
	clock.Advance(time.Nanosecond)
	check("at a minute", false, 2)
	clock.Advance(time.Hour)
	check("after an hour", false, 1)

	// Writing again gives the key a new life from the clock's now.
	if err := m.Put(ctx, "ttl/short", []byte("x2"), PutOptions{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	v, found, _ := m.Get(ctx, "ttl/short")
	if !found || string(v) != "x2" {
		t.Errorf("rewritten key: %q %v", v, found)
	}
	// A rewrite without TTL makes it permanent.
	if err := m.Put(ctx, "ttl/short", []byte("x3"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	if _, found, _ := m.Get(ctx, "ttl/short"); !found {
		t.Error("a key rewritten without TTL expired")
	}
}

func TestMemoryListSkipsExpiredInPagination(t *testing.T) {
	ctx := context.Background()
	m, clock := newClockedMemory()
	for i, k := range []string{"a", "b", "c", "d", "e"} {
		opts := PutOptions{}
		if i%2 == 1 {
			opts.TTL = time.Minute
		}
		if err := m.Put(ctx, k, nil, opts); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Minute)
	var got []string
	cursor := ""
	for {
		res, err := m.List(ctx, ListOptions{Cursor: cursor, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range res.Keys {
			got = append(got, k.Name)
		}
		if res.Complete {
			break
		}
		cursor = res.Cursor
	}
	if len(got) != 3 || got[0] != "a" || got[1] != "c" || got[2] != "e" {
		t.Errorf("got %q, want [a c e]", got)
	}
}
