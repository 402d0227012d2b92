package store_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// toLegacyLayout rewrites the org's sessions as the store kept them before a
// session's record moved into its org listing key: the record at
// session/{org}/{id}, the listing key with an empty value and the same
// metadata.
func toLegacyLayout(t *testing.T, mem *kv.Memory, org string) {
	t.Helper()
	prefix := "sessions/" + org + "/"
	res, err := mem.List(ctx, kv.ListOptions{Prefix: prefix})
	if err != nil || len(res.Keys) == 0 {
		t.Fatalf("list %s: %d keys, %v", prefix, len(res.Keys), err)
	}
	for _, k := range res.Keys {
		record, _, _ := mem.Get(ctx, k.Name)
		id := inv(k.Name[len(prefix):])
		if err := mem.Put(ctx, "session/"+org+"/"+id, record, kv.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := mem.Put(ctx, k.Name, nil, kv.PutOptions{Metadata: k.Metadata}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSessionKeyIsItsRecord: a session is one key in its org's listing, the
// record its value; a message rewrites it and the owner's listing key, and
// reading it back is one get.
func TestSessionKeyIsItsRecord(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	sess := createSession(t, s, orgA, contactOwner(device1, ""), "ws", identity.CustomData{"k": "v"})
	before := mem.Ops()
	addMessage(t, s, sess, identity.RoleUser, "hello")
	if got := opsDelta(before, mem.Ops()); !maps.Equal(got, map[string]int{"put": 3, "list": 1}) {
		t.Errorf("a message cost %v, want 3 puts (message, session, owner's listing) and the claims' list", got)
	}
	for k := range mem.Snapshot() {
		if strings.HasPrefix(k, "session/") {
			t.Errorf("a legacy record was written: %s", k)
		}
	}
	before = mem.Ops()
	got, err := s.Session(ctx, orgA, sess.ID)
	if err != nil || !sameSession(got, sess) {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if d := opsDelta(before, mem.Ops()); !maps.Equal(d, map[string]int{"get": 1}) {
		t.Errorf("Session cost %v, want 1 get", d)
	}
}

// TestLegacyLayoutStillServes: sessions stored before the move (their record
// at session/{org}/{id}) read, list, page and filter as before, take
// messages (which write them in the present layout), move to a claimer
// (which deletes the legacy record), and are erased without a trace.
func TestLegacyLayoutStillServes(t *testing.T) {
	f := newFixture(t, plainKV)
	toLegacyLayout(t, f.mem, orgA)
	for _, want := range f.created {
		got, err := f.s.Session(ctx, orgA, want.ID)
		if err != nil || !sameSession(got, want) {
			t.Fatalf("legacy Session %s = %+v, %v", want.ID, got, err)
		}
	}
	for _, c := range filterCases() {
		gotIDs, _ := pageAll(t, 4, false, func(cursor string) ([]*identity.Session, string, error) {
			return f.s.ListOrgSessions(ctx, orgA, c.filter, cursor, 4)
		})
		if want := f.expected(c.keep); !slices.Equal(gotIDs, want) {
			t.Errorf("%s: listed %v, want %v", c.name, gotIDs, want)
		}
	}

	// A message: the session is written in the present layout, read with
	// one get from then on.
	sess := f.created[0]
	addMessage(t, f.s, sess, identity.RoleUser, "after the move")
	before := f.mem.Ops()
	got, err := f.s.Session(ctx, orgA, sess.ID)
	if err != nil || !sameSession(got, sess) {
		t.Fatalf("Session after a message = %+v, %v", got, err)
	}
	if d := opsDelta(before, f.mem.Ops()); !maps.Equal(d, map[string]int{"get": 1}) {
		t.Errorf("Session after a message cost %v, want 1 get", d)
	}

	// A claim moves legacy sessions (partial summaries among them) too.
	from, to := f.owners[1], verifiedOwner("u-claimer", "")
	var mine []string
	for _, s := range f.created {
		if s.Owner == from {
			mine = append(mine, s.ID)
		}
	}
	claimAll(t, f.s, from, to)
	claimedBy(t, f.s, from, to, mine)
	for _, id := range mine {
		if _, found, _ := f.mem.Get(ctx, "session/"+orgA+"/"+id); found {
			t.Errorf("the claim left the legacy record of %s, which names the old owner", id)
		}
	}

	// Erasing the claimer removes every key of those sessions.
	k := identity.KeyOf("u-claimer", "")
	d, err := f.s.StartDeletion(ctx, store.Erasure{OrgID: orgA, PrincipalKey: k.String(), UserKey: &k})
	if err != nil {
		t.Fatal(err)
	}
	runDeletion(t, f.s, d.ID, 0)
	for key := range f.mem.Snapshot() {
		for _, id := range mine {
			if strings.Contains(key, id) || strings.Contains(key, inv(id)) {
				t.Errorf("left after the erasure: %s", key)
			}
		}
	}
}

// inv is the store's invert of an id (its own inverse).
func inv(id string) string {
	return strings.Map(func(r rune) rune {
		if i := strings.IndexRune("0123456789abcdef", r); i >= 0 {
			return rune("fedcba9876543210"[i])
		}
		return r
	}, id)
}
