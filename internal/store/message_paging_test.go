package store_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// addMessages adds n messages to sess, content(i) each.
func addMessages(t testing.TB, s *store.Store, sess *identity.Session, n int, content func(i int) string) []*identity.Message {
	t.Helper()
	out := make([]*identity.Message, n)
	for i := range n {
		m := s.PrepareMessage(sess, identity.RoleUser, content(i), "")
		if _, err := s.AddMessage(ctx, sess, m); err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	return out
}

// readAll pages through the session's messages with after, as a widget
// does, and returns them with the size of each read.
func readAll(t *testing.T, s *store.Store, sess *identity.Session) (all []*identity.Message, reads []int) {
	t.Helper()
	for after := ""; ; {
		page, more, err := s.ReadMessages(ctx, sess, after)
		if err != nil {
			t.Fatal(err)
		}
		all, reads = append(all, page...), append(reads, len(page))
		if !more {
			return all, reads
		}
		if len(page) == 0 || len(reads) > 1000 {
			t.Fatalf("a read said more follow and gave nothing: %v", reads)
		}
		after = page[len(page)-1].ID
	}
}

func sameMessages(t *testing.T, what string, got, want []*identity.Message) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d messages, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Content != want[i].Content {
			t.Fatalf("%s: message %d is %s %.20q, want %s %.20q", what, i, got[i].ID, got[i].Content, want[i].ID, want[i].Content)
		}
	}
}

// TestAReadSaysThatMoreFollow: a read of a session longer than one read
// holds gave its first messages and no sign of the others, so that the
// newest were out of reach (GET /v1/sessions/{id} and the export gave the
// oldest 5,000, silently). Now it says that more follow, and reads after its
// last message give the rest, once each, bounded by count and by bytes; the
// first message of a read is taken even when it alone is past the bytes.
func TestAReadSaysThatMoreFollow(t *testing.T) {
	mem := kv.NewMemory()
	base := newStore(mem)
	sess := createSession(t, base, orgA, contactOwner(device1, ""), "", nil)
	long := strings.Repeat("é", 2000) // 4 KB of JSON, read in bulk
	want := addMessages(t, base, sess, 25, func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf("%02d %s", i, long)
		}
		return fmt.Sprintf("%02d short", i)
	})
	for _, c := range []struct {
		name          string
		msgs, bytes   int
		wantReads     []int
		wantFirstMore bool
	}{
		{"by count", 10, 0, []int{10, 10, 5}, true},
		{"by bytes", 0, 9000, []int{5, 5, 5, 5, 5}, true}, // two of 4.2 KB and three of 0.2
		{"one past the bytes", 0, 1, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, true},
		{"all", 0, 0, []int{25}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := store.New(mem, store.WithClock(fixedClock), store.WithReadLimits(c.msgs, c.bytes))
			all, reads := readAll(t, s, sess)
			sameMessages(t, "read", all, want)
			if fmt.Sprint(reads) != fmt.Sprint(c.wantReads) {
				t.Errorf("reads of %v messages, want %v", reads, c.wantReads)
			}
			if _, more, _ := s.ReadMessages(ctx, sess, ""); more != c.wantFirstMore {
				t.Errorf("first read: more %v, want %v", more, c.wantFirstMore)
			}
			if page, more, err := s.ReadMessages(ctx, sess, want[24].ID); err != nil || more || len(page) != 0 {
				t.Errorf("after the last: %d messages, more %v, %v", len(page), more, err)
			}
		})
	}
}

// TestAReadAtTheRealCap: 6,000 short messages are two reads, 5,000 and
// 1,000, where the first read was all a session view gave.
func TestAReadAtTheRealCap(t *testing.T) {
	s := newStore(kv.NewMemory())
	sess := createSession(t, s, orgA, contactOwner(device1, ""), "", nil)
	want := addMessages(t, s, sess, 6000, func(i int) string { return fmt.Sprint("m", i) })
	all, reads := readAll(t, s, sess)
	sameMessages(t, "read", all, want)
	if fmt.Sprint(reads) != "[5000 1000]" {
		t.Errorf("reads of %v messages, want [5000 1000]", reads)
	}
}

// TestAnExportHoldsEveryMessage: an export page read each session's
// messages whole up to 5,000 and dropped the rest without a sign. Now a
// page holds what one read holds over its sessions; a session past it ends
// the page, and the next page gives that session again with the messages
// that follow. Together the pages give every session once, newest first,
// with every message once, oldest first.
func TestAnExportHoldsEveryMessage(t *testing.T) {
	mem := kv.NewMemory()
	base := newStore(mem)
	owner := contactOwner(device1, "")
	counts := []int{3, 25, 0, 7, 12, 1} // created in this order: exported newest first
	want := map[string][]*identity.Message{}
	var order []string
	for i, n := range counts {
		sess := createSession(t, base, orgA, owner, "", nil)
		want[sess.ID] = addMessages(t, base, sess, n, func(j int) string { return fmt.Sprintf("s%d m%d", i, j) })
		order = append([]string{sess.ID}, order...)
	}
	s := store.New(mem, store.WithClock(fixedClock), store.WithReadLimits(10, 0))
	got := map[string][]*identity.Message{}
	var seen []string
	var pages []string
	for cursor, n := "", 0; n == 0 || cursor != ""; n++ {
		page, next, _, err := s.ExportSessions(ctx, orgA, owner.Key, nil, cursor)
		if err != nil || n > 20 {
			t.Fatalf("page %d: %v", n, err)
		}
		total := 0
		var ids []string
		for _, e := range page {
			if len(seen) == 0 || seen[len(seen)-1] != e.Session.ID {
				seen = append(seen, e.Session.ID)
			}
			got[e.Session.ID] = append(got[e.Session.ID], e.Messages...)
			total += len(e.Messages)
			ids = append(ids, fmt.Sprint(len(e.Messages)))
		}
		if total > 10 {
			t.Errorf("page %d: %d messages, want at most 10", n, total)
		}
		pages = append(pages, strings.Join(ids, "+"))
		cursor = next
	}
	t.Logf("pages (messages of each session): %v", pages)
	if fmt.Sprint(seen) != fmt.Sprint(order) {
		t.Fatalf("sessions %v, want %v", seen, order)
	}
	for _, id := range order {
		sameMessages(t, id, got[id], want[id])
	}
}

// TestAnExportCursorInsideASession: a cursor that names a place inside a
// session names a session of that export's listing past the place it
// resumes from, and a message id; any other (forged, of another person's
// export, given to a listing of sessions) is refused like a forged cursor.
func TestAnExportCursorInsideASession(t *testing.T) {
	mem := kv.NewMemory()
	base := newStore(mem)
	owner := contactOwner(device1, "")
	sess := createSession(t, base, orgA, owner, "", nil)
	addMessages(t, base, sess, 5, func(i int) string { return fmt.Sprint("m", i) })
	other := createSession(t, base, orgA, contactOwner(device2, ""), "", nil)
	addMessages(t, base, other, 5, func(i int) string { return fmt.Sprint("m", i) })
	s := store.New(mem, store.WithClock(fixedClock), store.WithReadLimits(2, 0))
	page, next, _, err := s.ExportSessions(ctx, orgA, owner.Key, nil, "")
	if err != nil || len(page) != 1 || len(page[0].Messages) != 2 || next == "" {
		t.Fatalf("first page: %v, %d sessions, next %q", err, len(page), next)
	}
	decode := func(cursor string) map[string]any {
		var c map[string]any
		raw, _ := base64.RawURLEncoding.DecodeString(cursor)
		if err := json.Unmarshal(raw, &c); err != nil || c["s"] == nil || c["m"] == nil {
			t.Fatalf("cursor %s: %v", raw, err)
		}
		return c
	}
	c := decode(next)
	_, otherNext, _, err := s.ExportSessions(ctx, orgA, other.Owner.Key, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	otherSession := decode(otherNext)["s"]
	forge := func(change func(map[string]any)) string {
		m := map[string]any{}
		for k, v := range c {
			m[k] = v
		}
		change(m)
		b, _ := json.Marshal(m)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	for name, cursor := range map[string]string{
		"no message":          forge(func(m map[string]any) { delete(m, "m") }),
		"no session":          forge(func(m map[string]any) { delete(m, "s") }),
		"another's session":   forge(func(m map[string]any) { m["s"] = otherSession }),
		"a session not ahead": forge(func(m map[string]any) { m["a"] = m["s"] }),
		"a long message id":   forge(func(m map[string]any) { m["m"] = strings.Repeat("f", 65) }),
	} {
		if _, _, _, err := s.ExportSessions(ctx, orgA, owner.Key, nil, cursor); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("%s: %v, want ErrBadCursor", name, err)
		}
	}
	if _, _, _, err := s.ExportSessions(ctx, orgA, other.Owner.Key, nil, next); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("another person's export: %v, want ErrBadCursor", err)
	}
	if _, _, err := s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{}, next, 20); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("a listing of sessions: %v, want ErrBadCursor", err)
	}
}
