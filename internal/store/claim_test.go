package store_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
)

// onPut is a KV that runs hook once, before the first put of a key that
// starts with prefix (once hook is set).
type onPut struct {
	kv.KV
	prefix string
	fired  atomic.Bool
	hook   func()
}

func (k *onPut) Put(ctx context.Context, key string, v []byte, o kv.PutOptions) error {
	if strings.HasPrefix(key, k.prefix) {
		if k.hook != nil && !k.fired.Swap(true) {
			k.hook()
		}
	}
	return k.KV.Put(ctx, key, v, o)
}

// claimedBy asserts that every session of ids is to's only: its record, the
// org listing's owner, to's listing, and not the contact's.
func claimedBy(t *testing.T, s *store.Store, from, to identity.Owner, ids []string) {
	t.Helper()
	for _, id := range ids {
		sess, err := s.Session(ctx, orgA, id)
		if err != nil || withoutFrom(sess.Owner) != to || !store.ClaimedFrom(sess, from.Key) || sess.Owner.FromContact != from.ContactID || sess.Verified {
			t.Errorf("session %s: %+v, %v", id, sess, err)
		}
	}
	if left := listAll(t, s, from.Key); len(left) != 0 {
		t.Errorf("the contact still lists %d sessions", len(left))
	}
	listed := map[string]bool{}
	for _, sess := range listAll(t, s, to.Key) {
		listed[sess.ID] = true
	}
	for _, id := range ids {
		if !listed[id] {
			t.Errorf("the claimer does not list %s", id)
		}
	}
	org, _, _ := s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 100)
	for _, sess := range org {
		for _, id := range ids {
			if sess.ID == id && (withoutFrom(sess.Owner) != to || !store.ClaimedFrom(sess, from.Key)) {
				t.Errorf("the org's listing has %s with owner %+v", id, sess.Owner)
			}
		}
	}
}

// withoutFrom is o without the contact it claimed from (checked with
// store.ClaimedFrom and FromContact).
func withoutFrom(o identity.Owner) identity.Owner {
	o.From, o.FromContact = "", ""
	return o
}

func claimAll(t *testing.T, s *store.Store, from, to identity.Owner) []*identity.Session {
	t.Helper()
	claimed, done, err := s.ClaimSessions(ctx, orgA, from.Key, to, "", nil)
	if err != nil || !done {
		t.Fatalf("ClaimSessions: done %v, %v", done, err)
	}
	return claimed
}

// A message posted on a session read before a claim, and written after it,
// does not give the session back to the contact: the message is kept and
// the session stays claimed.
func TestClaimSurvivesAPostFromAStaleRead(t *testing.T) {
	s := newStore(kv.NewMemory())
	from, to := contactOwner("contact-1", ""), verifiedOwner("u-1", "")
	sess := createSession(t, s, orgA, from, "", nil)
	stale, err := s.Session(ctx, orgA, sess.ID) // the post's read
	if err != nil {
		t.Fatal(err)
	}
	if got := claimAll(t, s, from, to); len(got) != 1 {
		t.Fatalf("claimed %d", len(got))
	}
	msg := addMessage(t, s, stale, identity.RoleUser, "sent while claimed")
	claimedBy(t, s, from, to, []string{sess.ID})
	after, _ := s.Session(ctx, orgA, sess.ID)
	if after.LastMessage == nil || after.LastMessage.ID != msg.ID {
		t.Errorf("last_message after the post: %+v", after.LastMessage)
	}
	msgs, err := s.Messages(ctx, after, "")
	if err != nil || len(msgs) != 1 || msgs[0].ID != msg.ID {
		t.Errorf("messages: %v, %v", msgs, err)
	}
}

// The post's writes land in the middle of the claim's (after the claimer's
// listing key, before the record): the session still ends claimed.
func TestClaimSurvivesAPostInTheMiddle(t *testing.T) {
	mem := kv.NewMemory()
	hooked := &onPut{KV: mem, prefix: "session/"}
	s := newStore(hooked)
	from, to := contactOwner("contact-1", ""), verifiedOwner("u-1", "")
	sess := createSession(t, s, orgA, from, "", nil)
	stale, _ := s.Session(ctx, orgA, sess.ID)
	hooked.hook = func() { addMessage(t, s, stale, identity.RoleAgent, "an agent's reply") }
	claimAll(t, s, from, to)
	claimedBy(t, s, from, to, []string{sess.ID})
}

// Posts on every session while two tabs claim at once: each session ends
// claimed once, listed once, and no message is lost.
func TestClaimConcurrentWithPostsAndAnotherClaim(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from, to := contactOwner("contact-1", ""), verifiedOwner("u-1", "")
	var all []*identity.Session
	var made []string
	for range 30 {
		sess := createSession(t, s, orgA, from, "", nil)
		all = append(all, sess)
		made = append(made, sess.ID)
	}
	var wg sync.WaitGroup
	claimed := make([][]*identity.Session, 2)
	for i := range claimed {
		wg.Go(func() {
			c, _, err := s.ClaimSessions(ctx, orgA, from.Key, to, "", nil)
			if err != nil {
				t.Error(err)
			}
			claimed[i] = c
		})
	}
	for _, sess := range all {
		stale := *sess
		wg.Go(func() {
			msg := s.PrepareMessage(&stale, identity.RoleUser, "hi", "")
			if _, err := s.AddMessage(ctx, &stale, msg); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	claimedBy(t, s, from, to, made)
	if n := len(listAll(t, s, to.Key)); n != 30 {
		t.Errorf("the claimer lists %d sessions, want 30", n)
	}
	seen := map[string]bool{}
	for _, c := range claimed {
		for _, sess := range c {
			seen[sess.ID] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("the two claims answered %d of the 30 sessions", len(seen))
	}
	for _, sess := range all {
		msgs, err := s.Messages(ctx, sess, "")
		if err != nil || len(msgs) != 1 {
			t.Errorf("session %s has %d messages, %v", sess.ID, len(msgs), err)
		}
	}
}

// A claim takes what Select allows and nothing of another contact; a
// contact's post costs one list call more than before claims existed, and
// none when the session is a verified user's.
func TestClaimSelectsAndPostCost(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	from, to := contactOwner("contact-1", ""), verifiedOwner("u-1", "")
	other := createSession(t, s, orgA, contactOwner("contact-2", ""), "", nil)
	keep := createSession(t, s, orgA, from, "ws-2", nil)
	take := createSession(t, s, orgA, from, "ws-1", nil)
	claimed, _, err := s.ClaimSessions(ctx, orgA, from.Key, to, "ws-1", func(x *identity.Session) bool { return x.ExternalIDValue() == "ws-1" })
	if err != nil || len(claimed) != 1 || claimed[0].ID != take.ID {
		t.Fatalf("claimed %v, %v", ids(claimed), err)
	}
	if o, _ := s.Session(ctx, orgA, keep.ID); o.Owner != from || o.ClaimedAt != nil {
		t.Errorf("an unselected session moved: %+v", o)
	}
	if o, _ := s.Session(ctx, orgA, other.ID); o.Owner.Key != "c:contact-2" {
		t.Errorf("another contact's session moved: %+v", o.Owner)
	}
	// A later post on the unselected session keeps it the contact's.
	addMessage(t, s, keep, identity.RoleUser, "still mine")
	if o, _ := s.Session(ctx, orgA, keep.ID); o.Owner != from {
		t.Errorf("after a post, the unselected session is %+v's", o.Owner)
	}
	before := mem.Ops()
	addMessage(t, s, other, identity.RoleUser, "x")
	d := opsDelta(before, mem.Ops())
	if d["list"] != 1 || d["get"] != 0 {
		t.Errorf("a contact's post: %v", d)
	}
	mine := createSession(t, s, orgA, to, "", nil)
	before = mem.Ops()
	addMessage(t, s, mine, identity.RoleUser, "x")
	if d := opsDelta(before, mem.Ops()); d["list"] != 0 || d["get"] != 0 {
		t.Errorf("a verified user's post: %v", d)
	}
}
