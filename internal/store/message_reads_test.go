package store_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// oneByOne is a KV without a bulk read: the store reads with a Get each.
type oneByOne struct{ kv.KV }

// TestLongMessagesAreReadInBulk: a session of 1,200 messages too long to ride
// in their keys' metadata reads in a few dozen KV operations (a bulk read
// per 100 of them), where a Get each spent 1,200 and more, past Workers'
// 1,000 an invocation: the session could not be opened, by the widget or
// the org. They are more than one read holds (4 MiB): it takes two, and
// two export pages, each within the export's budget. A KV without bulk
// reads gives the same messages.
func TestLongMessagesAreReadInBulk(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")})
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	const n = 1200
	for i := range n {
		m := s.PrepareMessage(sess, identity.RoleUser, fmt.Sprintf("%04d ", i)+strings.Repeat("é", 2000), "")
		if _, err := s.AddMessage(ctx, sess, m); err != nil {
			t.Fatal(err)
		}
	}
	ops := func(f func()) int {
		before := maps.Clone(mem.Ops())
		f()
		total := 0
		for k, v := range mem.Ops() {
			total += v - before[k]
		}
		return total
	}
	// 1,200 of 4 KB are more than one read holds (4 MiB): two reads.
	var msgs []*identity.Message
	for after, reads := "", 0; ; reads++ {
		var page []*identity.Message
		var more bool
		var err error
		if spent := ops(func() { page, more, err = s.ReadMessages(ctx, sess, after) }); err != nil || spent > 30 || len(page) == 0 {
			t.Fatalf("ReadMessages: %v, %d KV operations for %d long messages, want at most 30", err, spent, len(page))
		}
		msgs = append(msgs, page...)
		if !more {
			if reads != 1 {
				t.Errorf("%d reads, want 2", reads+1)
			}
			break
		}
		after = page[len(page)-1].ID
	}
	check := func(what string, msgs []*identity.Message) {
		t.Helper()
		if len(msgs) != n {
			t.Fatalf("%s: %d messages, want %d", what, len(msgs), n)
		}
		for i, m := range msgs {
			if !strings.HasPrefix(m.Content, fmt.Sprintf("%04d é", i)) || len([]rune(m.Content)) != 2005 || m.SessionID != sess.ID {
				t.Fatalf("%s: message %d is %.20q of session %s", what, i, m.Content, m.SessionID)
			}
		}
	}
	check("bulk", msgs)
	slow := store.New(oneByOne{mem}, store.WithReadLimits(0, 8<<20))
	all, err := slow.Messages(ctx, sess, "")
	if err != nil {
		t.Fatal(err)
	}
	check("one by one", all)
	if _, ok := any(oneByOne{mem}).(kv.ManyGetter); ok {
		t.Fatal("oneByOne reads in bulk")
	}
	var exported []*identity.Message
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		var page []store.SessionExport
		if spent := ops(func() {
			page, cursor, _, err = s.ExportSessions(ctx, orgA, sess.Owner.Key, nil, cursor)
		}); err != nil || len(page) != 1 || page[0].Session.ID != sess.ID || spent > 600 || pages > 1 {
			t.Fatalf("export page %d: %v, %d sessions, %d KV operations", pages, err, len(page), spent)
		}
		exported = append(exported, page[0].Messages...)
	}
	check("export", exported)
}

// deletedAfterList is a KV whose bulk reads (and Gets) run after the keys
// of its session's messages were deleted, as an erasure's batch does
// between a read's list and its fetch of the long messages.
type deletedAfterList struct {
	*kv.Memory
	prefix string
}

func (k deletedAfterList) eraseNow() {
	res, _ := k.Memory.List(ctx, kv.ListOptions{Prefix: k.prefix})
	for _, key := range res.Keys {
		_ = k.Memory.Delete(ctx, key.Name)
	}
}

func (k deletedAfterList) GetMany(c context.Context, keys []string) (map[string][]byte, error) {
	k.eraseNow()
	return k.Memory.GetMany(c, keys)
}

// TestLongMessagesErasedDuringARead: a read of a session listed its
// messages, then its person's erasure deleted them before it fetched the
// long ones. Before, the read failed ("listed message vanished"), a 500
// internal on GET /v1/sessions/{id}, the widget's GET and the export; now
// the erased messages are left out, as the erasure has it. The short ones,
// read from the listing, are kept (they were there when it was taken).
func TestLongMessagesErasedDuringARead(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")})
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	for _, content := range []string{"short", strings.Repeat("é", 2000), "short again"} {
		if _, err := s.AddMessage(ctx, sess, s.PrepareMessage(sess, identity.RoleUser, content, "")); err != nil {
			t.Fatal(err)
		}
	}
	k := deletedAfterList{Memory: mem, prefix: "msg/" + orgA + "/" + sess.ID + "/"}
	msgs, err := store.New(k).Messages(ctx, sess, "")
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	if len(msgs) != 2 || msgs[0].Content != "short" || msgs[1].Content != "short again" {
		t.Errorf("messages %v, want the two short ones", msgs)
	}
}
