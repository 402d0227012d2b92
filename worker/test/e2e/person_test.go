//go:build !js

package e2e

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// readKV reads every key of the local KV with its value and metadata.
func readKV(t testing.TB) map[string]contract.KVEntry {
	t.Helper()
	// The dump is outside the OpenAPI document: sent without its validator.
	s := server(t)
	keys, found, err := contract.New(s.URL, nil, contract.Bearer(s.AdminToken)).DumpKV(t.Context())
	if err != nil || !found {
		t.Fatalf("GET /v1/admin/debug/kv (found %v): %v", found, err)
	}
	out := map[string]contract.KVEntry{}
	for _, k := range keys {
		out[k.Name] = k
	}
	return out
}

// holdingAny returns the keys whose name, value or metadata holds one of
// marks, ASCII case folded.
func holdingAny(kv map[string]contract.KVEntry, marks ...string) []string {
	return contract.Holding(slices.Collect(maps.Values(kv)), marks...)
}

func waitDone(t testing.TB, o *org, id string) (d contract.DeletionAnswer) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if d = typed(o.api().c.GetDeletion(t.Context(), id)).want(t, 200); d.Deletion.Status == "done" {
			return d
		}
	}
	t.Fatalf("deletion %s still %q after 90 s", id, d.Deletion.Status)
	return d
}

// TestErasureLeavesNothing: a verified user with sessions, messages, custom
// data, idempotent retries and a second device is exported (all of it) and
// deleted; once the deletion is done, no key or value of the worker's KV
// holds their id, user_id, email, name or any message text, and every key
// that held another person's data (in the same org and another) is byte for
// byte what it was.
func TestErasureLeavesNothing(t *testing.T) {
	o, other := newOrg(t), newOrg(t)
	mark := uniq("erase")
	uid, email, name := mark+"-uid", "Ann."+mark+"@Example.com", "Ann "+mark
	ann := o.authenticate(t, map[string]any{"user_id": uid, "email": email, "name": name, "custom_data": map[string]any{"k": mark + "-custom"}})
	w1 := o.widget(ann.Token)
	w2 := o.widget(o.authenticate(t, map[string]any{"user_id": uid}).Token) // a second device
	var sessions []string
	texts := 0
	for i, w := range []*caller{w1, w1, w2} {
		key := fmt.Sprintf("%s-s%d", mark, i)
		s := createSession(t, w, map[string]any{"custom_data": map[string]any{"n": mark + "-sc"}}, contract.IdempotencyKey(key))
		createSession(t, w, map[string]any{"custom_data": map[string]any{"n": mark + "-sc"}}, contract.IdempotencyKey(key)) // a retry
		sessions = append(sessions, s.ID)
		for j := range 3 {
			k := fmt.Sprintf("%s-m%d-%d", mark, i, j)
			say(t, w, s.ID, fmt.Sprintf("%s text %d %d", mark, i, j), contract.IdempotencyKey(k))
			say(t, w, s.ID, fmt.Sprintf("%s text %d %d", mark, i, j), contract.IdempotencyKey(k))
			texts++
		}
		agentSay(t, o, s.ID, mark+" agent reply", "Agent")
		texts++
	}
	// Others: a user and a contact in the same org, the same user_id in another.
	bobMark, carlMark, otherMark := uniq("bob"), uniq("carl"), uniq("orgb")
	bob := o.widget(o.authenticate(t, map[string]any{"user_id": bobMark, "name": "Bob"}).Token)
	say(t, bob, createSession(t, bob, nil).ID, bobMark+" hello", contract.IdempotencyKey(bobMark))
	carl := o.widget(o.contact(t, newDevice(), map[string]any{"name": carlMark}).Token)
	say(t, carl, createSession(t, carl, nil).ID, carlMark+" hello")
	ob := other.widget(other.authenticate(t, map[string]any{"user_id": uid, "name": otherMark}).Token)
	say(t, ob, createSession(t, ob, nil).ID, otherMark+" hello")

	// The export is everything created.
	ex := as[contract.Export](o.api().get(t, "/v1/users/export?email=&user_id="+url.QueryEscape(uid)), 200)
	got, msgs := []string{}, 0
	for _, s := range ex.Sessions {
		got = append([]string{s.Session.ID}, got...)
		msgs += len(s.Messages)
		match(t, "export: owner", s.Session.Owner, M{"kind": "user", "id": ann.User.ID, "user_id": uid})
	}
	match(t, "export", M{"sessions": got, "messages": msgs, "next_cursor": ex.NextCursor, "user": ex.User},
		M{"sessions": sessions, "messages": texts, "next_cursor": nil, "user": M{"name": name}})

	before := readKV(t)
	other.api().do(t, "DELETE", "/v1/users?user_id="+url.QueryEscape(bobMark), nil).fails(404, "not_found")
	d := typed(o.api().c.DeleteUser(t.Context(), contract.Identity{UserID: uid})).want(t, 202)
	match(t, "deletion", d.Deletion, M{"status": "pending", "id": contract.NonEmpty})
	// From the 202 on.
	w1.get(t, "/v1/widget/sessions").fails(401, "token_revoked")
	w2.post(t, "/v1/widget/sessions", map[string]any{}).fails(401, "token_revoked")
	for _, s := range sessions {
		o.api().get(t, "/v1/sessions/"+s).fails(404, "not_found")
	}
	sameSet(t, "the org lists", sessionIDs(orgSessions(t, o, q("user_id", uid))), nil)
	other.api().get(t, "/v1/deletions/"+d.Deletion.ID).fails(404, "not_found")

	done := waitDone(t, o, d.Deletion.ID)
	match(t, "done", done.Deletion, M{"sessions": 3, "messages": texts, "completed_at": contract.Not(nil)})
	after := readKV(t)
	marks := []string{mark, ann.User.ID, "ann." + mark}
	for _, k := range holdingAny(after, marks...) {
		if strings.Contains(k, other.ID) {
			continue // the other org's person of the same user_id is theirs
		}
		t.Errorf("left of the erased person: %s = %.200q", k, after[k].Value+after[k].Metadata)
	}
	for _, m := range []string{bobMark, carlMark, otherMark} {
		keys := holdingAny(before, m)
		if len(keys) == 0 {
			t.Errorf("%s: nothing stored?", m)
		}
		for _, k := range keys {
			if !strings.HasPrefix(k, "rl/") && after[k] != before[k] {
				t.Errorf("%s: %s changed", m, k)
			}
		}
	}
	// Authenticating again starts an empty history.
	time.Sleep(5 * time.Millisecond)
	fresh := o.widget(o.authenticate(t, map[string]any{"user_id": uid}).Token)
	sameSet(t, "after re-authentication", sessionIDs(widgetSessions(t, fresh, nil)), nil)
}

// TestWidgetForget: DELETE /v1/widget/me erases this device's contact; a
// verified token may not. The erased contact's token is refused as
// X-Contact-Token too: a claim right after the erasure moves nothing, so the
// erasure still removes everything of that contact (before the fix, the
// claim carried its sessions to the claimer, out of the erasure's reach).
func TestWidgetForget(t *testing.T) {
	o := newOrg(t)
	mark := uniq("forget")
	c := o.contact(t, newDevice(), map[string]any{"name": mark + " name", "email": mark + "@example.com"})
	w := o.widget(c.Token)
	s := createSession(t, w, nil)
	say(t, w, s.ID, mark+" text")
	verified := o.authenticate(t, map[string]any{"user_id": uniq("claimer")}).Token
	o.widget(verified).do(t, "DELETE", "/v1/widget/me", nil).fails(403, "forbidden")
	ex := typed(o.api().c.ExportContact(t.Context(), c.Contact.ID, "")).want(t, 200)
	match(t, "export", M{"sessions": len(ex.Sessions), "contact": ex.Contact}, M{"sessions": 1, "contact": M{"id": c.Contact.ID}})
	d := typed(w.c.DeleteMe(t.Context())).want(t, 202)
	w.get(t, "/v1/widget/me").fails(401, "token_revoked")
	o.widget(verified).post(t, "/v1/widget/claim", nil, contract.ContactToken(c.Token)).fails(401, "token_revoked")
	sees(t, o.widget(verified), "the claimer")
	o.widget(verified).get(t, "/v1/widget/sessions/"+url.PathEscape(s.ID)).fails(404, "not_found")
	o.api().get(t, "/v1/contacts/"+c.Contact.ID+"/export").fails(404, "not_found")
	match(t, "done", waitDone(t, o, d.Deletion.ID).Deletion, M{"sessions": 1, "messages": 1})
	match(t, "keys left", holdingAny(readKV(t), mark, c.Contact.ID), []string(nil))
}

// TestUserErasureBesideWritesOfItsTokens: sessions and messages of a
// verified token sent at the same instant as DELETE /v1/users of its user.
// Each is answered (201, or 401 token_revoked once the erasure stands;
// none hangs: in the Worker a write and the erasure wait for each other on
// timers of their own requests), and once the deletion is done nothing of
// them is left: the identity authenticated again starts empty, the org
// lists none, and the KV holds none of their data.
func TestUserErasureBesideWritesOfItsTokens(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	mark := uniq("beside")
	uid := mark + "-uid"
	w := o.widget(o.authenticate(t, map[string]any{"user_id": uid}).Token)
	s := createSession(t, w, nil)
	const n = 8
	status := make([]int, 2*n)
	var wg sync.WaitGroup
	send := func(i int, path string, body any) {
		if r, err := w.c.Do(t.Context(), "POST", path, body); err == nil {
			status[i] = r.Status
		}
	}
	for i := range n {
		wg.Go(func() {
			send(i, "/v1/widget/sessions", map[string]any{"custom_data": map[string]any{"m": mark + "-data"}})
		})
		wg.Go(func() { send(n+i, "/v1/widget/sessions/"+s.ID+"/messages", map[string]any{"content": mark + " words"}) })
	}
	time.Sleep(3 * time.Millisecond) // the writes on their way
	d := typed(o.api().c.DeleteUser(t.Context(), contract.Identity{UserID: uid})).want(t, 202)
	wg.Wait()
	t.Logf("the writes answered %v", status)
	for i, st := range status {
		if st != 201 && st != 401 {
			t.Errorf("write %d answered %d", i, st)
		}
	}
	waitDone(t, o, d.Deletion.ID)
	sameSet(t, "the org lists", sessionIDs(orgSessions(t, o, q("user_id", uid))), nil)
	time.Sleep(5 * time.Millisecond)
	fresh := o.widget(o.authenticate(t, map[string]any{"user_id": uid}).Token)
	sameSet(t, "after re-authentication", sessionIDs(widgetSessions(t, fresh, nil)), nil)
	for _, k := range holdingAny(readKV(t), mark+"-data", mark+" words") {
		t.Errorf("left: %s", k)
	}
}
