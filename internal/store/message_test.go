package store_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/testclock"
)

// TestIDsStrictlyIncreasingWhenTheClockStandsStill: with a clock that never
// moves, session and message ids are still strictly increasing, valid
// UUIDs v7, and message ids sort in the order messages were accepted.
func TestIDsStrictlyIncreasingWhenTheClockStandsStill(t *testing.T) {
	s := newStore(kv.NewMemory())
	var all []string
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")})
	all = append(all, sess.ID)
	for i := range 3000 {
		var id string
		if i%2 == 0 {
			id = s.PrepareMessage(sess, identity.RoleUser, "x", "").ID
		} else {
			id = s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")}).ID
		}
		all = append(all, id)
	}
	for i, id := range all {
		u, err := uuid.Parse(id)
		if err != nil || u.String() != id || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("id %d %q is not a canonical UUID v7 (%v)", i, id, err)
		}
		if i > 0 && id <= all[i-1] {
			t.Fatalf("id %d %q not after %q", i, id, all[i-1])
		}
	}
	if got := s.Now(); !got.Equal(t0) {
		t.Errorf("Now() = %v", got)
	}
}

func TestIDsStrictlyIncreasingConcurrently(t *testing.T) {
	s := newStore(kv.NewMemory())
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")})
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				id := s.PrepareMessage(sess, identity.RoleUser, "x", "").ID
				mu.Lock()
				got = append(got, id)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	if len(slices.Compact(got)) != 1600 {
		t.Error("duplicate ids")
	}
}

// TestMessageIDAfterLastMessage: a message id is greater than the session's
// last message even when that one was made by another instance whose clock
// runs ahead.
func TestMessageIDAfterLastMessage(t *testing.T) {
	s := newStore(kv.NewMemory())
	sess := createSession(t, s, orgA, contactOwner(device1, ""), "", nil)
	ahead := "ffffffff-0000-7000-8000-000000000000" // year 10889
	sess.LastMessage = &identity.Message{ID: ahead, SessionID: sess.ID}
	m1 := s.PrepareMessage(sess, identity.RoleUser, "a", "")
	if m1.ID <= ahead {
		t.Fatalf("id %q not after %q", m1.ID, ahead)
	}
	sess.LastMessage = m1
	m2 := s.PrepareMessage(sess, identity.RoleAgent, "b", "Bob")
	if m2.ID <= m1.ID {
		t.Fatalf("id %q not after %q", m2.ID, m1.ID)
	}
	if m2.Role != identity.RoleAgent || m2.AuthorName != "Bob" || m2.SessionID != sess.ID || !m2.CreatedAt.Equal(t0) {
		t.Errorf("message %+v", m2)
	}
	// Another instance (a second Store on the same KV) continues after it.
	other := newStore(kv.NewMemory())
	sess.LastMessage = m2
	if m3 := other.PrepareMessage(sess, identity.RoleUser, "c", ""); m3.ID <= m2.ID {
		t.Fatalf("other instance: %q not after %q", m3.ID, m2.ID)
	}
}

func TestMessagesOldestFirstAndAfter(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	sess := createSession(t, s, orgA, contactOwner(device1, ""), "", nil)
	otherSess := createSession(t, s, orgA, contactOwner(device1, ""), "", nil)
	var want []*identity.Message
	for i := range 30 {
		content := fmt.Sprintf("message %02d", i)
		if i%10 == 7 {
			content = strings.Repeat("long ", 400) // too long to ride in metadata
		}
		role := identity.RoleUser
		if i%3 == 0 {
			role = identity.RoleAgent
		}
		want = append(want, addMessage(t, s, sess, role, content))
		if i%5 == 0 {
			addMessage(t, s, otherSess, identity.RoleUser, "elsewhere")
		}
	}
	got, err := s.Messages(ctx, sess, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameMessage(got[i], want[i]) {
			t.Errorf("message %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, after := range []int{0, 9, 17, 28, 29} {
		got, err := s.Messages(ctx, sess, want[after].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want)-after-1 {
			t.Errorf("after %d: %d messages, want %d", after, len(got), len(want)-after-1)
			continue
		}
		for i, m := range got {
			if !sameMessage(m, want[after+1+i]) {
				t.Errorf("after %d, message %d = %s, want %s", after, i, m.ID, want[after+1+i].ID)
			}
		}
	}
	// An id before every message returns all of them; one after, none.
	if got, _ := s.Messages(ctx, sess, "00000000-0000-0000-0000-000000000000"); len(got) != 30 {
		t.Errorf("after the zero id: %d", len(got))
	}
	if got, _ := s.Messages(ctx, sess, "ffffffff-ffff-ffff-ffff-ffffffffffff"); len(got) != 0 {
		t.Errorf("after the max id: %d", len(got))
	}
	// An empty session has an empty, non-nil list.
	empty := createSession(t, s, orgA, contactOwner(device2, ""), "", nil)
	if got, err := s.Messages(ctx, empty, ""); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty session: %v %v", got, err)
	}
}

func TestAddMessageUpdatesTheSummary(t *testing.T) {
	mem := kv.NewMemory()
	c := testclock.New(t0)
	s := store.New(mem, store.WithClock(c.Now))
	owner := verifiedOwner("u-1", "")
	sess := createSession(t, s, orgA, owner, "", nil)
	older := createSession(t, s, orgA, owner, "", nil)
	_ = older
	c.Advance(90 * 1e9)
	m := addMessage(t, s, sess, identity.RoleUser, "hello")
	if sess.LastMessage == nil || sess.LastMessage.ID != m.ID || !sess.UpdatedAt.Equal(t0.Add(90*1e9)) {
		t.Errorf("in memory: last %+v updated %v", sess.LastMessage, sess.UpdatedAt)
	}
	stored, err := s.Session(ctx, orgA, sess.ID)
	if err != nil || !sameSession(stored, sess) {
		t.Errorf("stored %+v, %v", stored, err)
	}
	for name, list := range map[string]func() ([]*identity.Session, string, error){
		"org": func() ([]*identity.Session, string, error) {
			return s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 10)
		},
		"owner": func() ([]*identity.Session, string, error) {
			return s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{}, "", 10)
		},
	} {
		items, _, err := list()
		if err != nil || len(items) != 2 {
			t.Fatalf("%s: %d items, %v", name, len(items), err)
		}
		var listed *identity.Session
		for _, it := range items {
			if it.ID == sess.ID {
				listed = it
			}
		}
		if listed == nil || !sameSession(listed, sess) {
			t.Errorf("%s listing shows %+v, want %+v", name, listed, sess)
		}
	}
	// An older message (a late retry) does not replace a newer last message.
	late := &identity.Message{ID: "00000000-0000-7000-8000-000000000000", SessionID: sess.ID, Role: identity.RoleUser, Content: "late", CreatedAt: t0}
	if summaryErr, err := s.AddMessage(ctx, sess, late); err != nil || summaryErr != nil {
		t.Fatal(err, summaryErr)
	}
	if sess.LastMessage.ID != m.ID {
		t.Errorf("late message became the last: %+v", sess.LastMessage)
	}
}

func TestEnsureMessageAndSession(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: contactOwner(device1, "")})
	// A request that died after reserving the session: its retry stores it.
	if err := s.EnsureSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, orgA, sess.ID); err != nil {
		t.Fatalf("EnsureSession did not store: %v", err)
	}
	snap := mem.Snapshot()
	if err := s.EnsureSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if len(mem.Snapshot()) != len(snap) {
		t.Error("EnsureSession of a stored session wrote more keys")
	}
	msg := s.PrepareMessage(sess, identity.RoleUser, "hi", "")
	if err := s.EnsureMessage(ctx, sess, msg); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureMessage(ctx, sess, msg); err != nil {
		t.Fatal(err)
	}
	got, err := s.Messages(ctx, sess, "")
	if err != nil || len(got) != 1 || !sameMessage(got[0], msg) {
		t.Fatalf("messages %v, %v", got, err)
	}
}

func TestReplayRecords(t *testing.T) {
	mem := kv.NewMemory()
	rec := newRecorder(mem)
	s := newStore(rec)
	sess := s.PrepareSession(store.NewSession{OrgID: orgA, Owner: verifiedOwner("u-1", "")})
	sc := store.SessionScope(sess.ID)
	msg := s.PrepareMessage(sess, identity.RoleUser, "hi", "")

	if r, err := s.Replay(ctx, orgA, sc, "d:x", "k1"); r != nil || err != nil {
		t.Fatalf("Replay before save = %+v, %v", r, err)
	}
	first := &store.Replay{Fingerprint: "fp-1", Status: 201, Body: []byte(`{"session":{"id":"x"}}`), Session: sess}
	if err := s.SaveReplay(ctx, orgA, sc, "v:u-1", "k1", first); err != nil {
		t.Fatal(err)
	}
	second := &store.Replay{Fingerprint: "fp-2", Status: 201, Body: []byte(`{"message":{}}`), Message: msg}
	if err := s.SaveReplay(ctx, orgA, sc, "d:"+device1, "k1", second); err != nil {
		t.Fatal(err)
	}

	got, err := s.Replay(ctx, orgA, sc, "v:u-1", "k1")
	if err != nil || got == nil {
		t.Fatalf("Replay = %v, %v", got, err)
	}
	if got.Fingerprint != "fp-1" || got.Status != 201 || string(got.Body) != string(first.Body) || got.Message != nil {
		t.Errorf("replay %+v", got)
	}
	if got.Session == nil || !sameSession(got.Session, sess) {
		t.Errorf("replayed session %+v, want %+v", got.Session, sess)
	}
	got, err = s.Replay(ctx, orgA, sc, "d:"+device1, "k1")
	if err != nil || got == nil || got.Fingerprint != "fp-2" || !sameMessage(got.Message, msg) || got.Session != nil {
		t.Errorf("second caller's replay %+v, %v", got, err)
	}
	// Same key, other caller, other org, other key: nothing.
	for _, c := range []struct{ org, caller, key string }{
		{orgA, "v:u-2", "k1"}, {orgB, "v:u-1", "k1"}, {orgA, "v:u-1", "k2"}, {orgA, "v:u-1", "K1"},
		{orgA, "v:u-1\x00k1", ""}, // the parts are not simply concatenated
	} {
		if r, err := s.Replay(ctx, c.org, sc, c.caller, c.key); r != nil || err != nil {
			t.Errorf("Replay(%q, %q, %q) = %+v, %v", c.org, c.caller, c.key, r, err)
		}
	}
	// Replays expire after 24 hours, and their keys stay short whatever the
	// caller's key.
	puts := rec.withPrefix("idem/")
	if len(puts) != 2 {
		t.Fatalf("%d idem puts", len(puts))
	}
	for k, o := range puts {
		if o.TTL != store.IdempotencyTTL || store.IdempotencyTTL != 24*60*60*1e9 {
			t.Errorf("%s: TTL %v", k, o.TTL)
		}
	}
	long := strings.Repeat("k", 128)
	if err := s.SaveReplay(ctx, orgA, sc, "v:"+strings.Repeat("u", 256), long, first); err != nil {
		t.Errorf("long caller and key: %v", err)
	}
}

// ann is the identity key of the email ann@example.com.
var ann = identity.KeyOf("", "Ann@Example.com")

func TestRevocation(t *testing.T) {
	mem := kv.NewMemory()
	c := testclock.New(t0.Add(123456789)) // not on a millisecond
	s := store.New(mem, store.WithClock(c.Now))
	if at, err := s.RevokedBefore(ctx, orgA, ann); err != nil || !at.IsZero() {
		t.Fatalf("never revoked: %v %v", at, err)
	}
	at, err := s.RevokeUser(ctx, orgA, ann)
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(123000000); !at.Equal(want) || at.Location().String() != "UTC" {
		t.Errorf("RevokeUser = %v, want %v in UTC (milliseconds)", at, want)
	}
	got, err := s.RevokedBefore(ctx, orgA, ann)
	if err != nil || !got.Equal(at) {
		t.Errorf("RevokedBefore = %v, %v; want %v", got, err, at)
	}
	for _, c := range []struct {
		org string
		key identity.Key
	}{{orgB, ann}, {orgA, identity.KeyOf("", "bob@example.com")}, {orgA, identity.KeyOf("ann@example.com", "")}, {orgA, identity.Key{Kind: identity.KeyEmail, Value: "Ann@example.com"}}} {
		if got, _ := s.RevokedBefore(ctx, c.org, c.key); !got.IsZero() {
			t.Errorf("RevokedBefore(%s, %s) = %v", c.org, c.key, got)
		}
	}
	// A later revoke moves the time forward.
	c.Advance(5e9)
	later, _ := s.RevokeUser(ctx, orgA, ann)
	if got, _ := s.RevokedBefore(ctx, orgA, ann); !got.Equal(later) || !later.After(at) {
		t.Errorf("after a second revoke: %v, want %v", got, later)
	}
	// Long identity keys (user_id of 256 characters) fit KV's key limit.
	if _, err := s.RevokeUser(ctx, orgA, identity.KeyOf(strings.Repeat("u", 256), "")); err != nil {
		t.Errorf("long identity key: %v", err)
	}
}

func TestRevocationCorruptValueRefusesTokens(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	if _, err := s.RevokeUser(ctx, orgA, ann); err != nil {
		t.Fatal(err)
	}
	var key string
	for k := range mem.Snapshot() {
		if strings.HasPrefix(k, "revoked/"+orgA+"/") {
			key = k
		}
	}
	if key == "" {
		t.Fatal("no revoked/ key")
	}
	if err := mem.Put(ctx, key, []byte("garbage"), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.RevokedBefore(ctx, orgA, ann)
	if err != nil || got.IsZero() {
		t.Errorf("corrupt revocation read as %v, %v: it must not let tokens through", got, err)
	}
}

// TestListStableWhileSessionsAreCreated: the org's server pages through its
// sessions while visitors start new chats. A session created between two
// page requests is newer than everything listed, so it may be skipped, but
// the next page must not repeat what the previous page returned nor skip
// older sessions.
func TestListStableWhileSessionsAreCreated(t *testing.T) {
	for _, pageSize := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("kv pages of %d", pageSize), func(t *testing.T) {
			var k kv.KV = kv.NewMemory()
			if pageSize > 0 {
				k = smallPages{k, pageSize}
			}
			testListStable(t, newStore(k))
		})
	}
}

func testListStable(t *testing.T, s *store.Store) {
	owner := contactOwner(device1, "")
	var want []string
	for range 10 {
		want = append([]string{createSession(t, s, orgA, owner, "", nil).ID}, want...)
	}
	for name, list := range map[string]func(cursor string) ([]*identity.Session, string, error){
		"org": func(c string) ([]*identity.Session, string, error) {
			return s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, c, 3)
		},
		"owner": func(c string) ([]*identity.Session, string, error) {
			return s.ListOwnerSessions(ctx, orgA, owner.Key, store.SessionFilter{}, c, 3)
		},
	} {
		t.Run(name, func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; pages < 20; pages++ {
				items, next, err := list(cursor)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(items)...)
				if next == "" {
					break
				}
				cursor = next
				createSession(t, s, orgA, owner, "", nil) // a new chat between pages
			}
			var old []string
			seen := map[string]int{}
			for _, id := range got {
				seen[id]++
				if seen[id] == 2 {
					t.Errorf("session %s listed twice", id)
				}
				if slices.Contains(want, id) {
					old = append(old, id)
				}
			}
			if !slices.Equal(slices.Compact(old), want) {
				t.Errorf("the sessions that existed before listing came as\n%q\nwant\n%q", old, want)
			}
		})
	}
}

// A message's key carries the message itself as metadata, so that reading a
// session's messages is list calls, not a get per message.
func TestAMessageIsItsOwnKeysMetadata(t *testing.T) {
	mem := kv.NewMemory()
	s := store.New(mem, store.WithClock(testclock.New(t0).Now))
	sess := createSession(t, s, orgA, verifiedOwner("u-1", ""), "", nil)
	m := addMessage(t, s, sess, identity.RoleUser, "hello <you> & \u2028")
	res, err := mem.List(ctx, kv.ListOptions{Prefix: "msg/"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, k := range res.Keys {
		if !strings.HasSuffix(k.Name, "/"+m.ID) {
			continue
		}
		found = true
		v, ok, err := mem.Get(ctx, k.Name)
		want, _ := json.Marshal(m)
		if err != nil || !ok || string(v) != string(want) || string(k.Metadata) != string(want) {
			t.Errorf("%s: value %s, metadata %s; want both %s", k.Name, v, k.Metadata, want)
		}
	}
	if !found {
		t.Fatalf("no key for message %s among %+v", m.ID, res.Keys)
	}
}
