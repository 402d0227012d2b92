package widget_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/widget"
)

func TestParseConfigClaimChats(t *testing.T) {
	for _, v := range []any{nil, "never", "ask", "always"} {
		m := map[string]any{"token": testWidgetToken}
		if v != nil {
			m["claimChats"] = v
		}
		cfg, err := parse(m)
		want := "never"
		if v != nil {
			want = v.(string)
		}
		if err != nil || cfg.ClaimChats != want {
			t.Errorf("claimChats %v: %+v, %v", v, cfg, err)
		}
		if err == nil && len(cfg.Warnings) != 0 {
			t.Errorf("claimChats %v warns %q", v, cfg.Warnings)
		}
	}
	for _, v := range []any{"Ask", "yes", "", true, 1.0} {
		if _, err := parse(map[string]any{"token": testWidgetToken, "claimChats": v}); err == nil {
			t.Errorf("claimChats %#v was accepted", v)
		}
	}
}

// "ask": the offer counts the device's chats once per user; a claim moves
// them and forgets the contact token; declining keeps them on the device.
func TestClaimAskAcceptAndDecline(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(31)
	anon := d.load(t, f, nil)
	newChat(t, anon, "one")
	newChat(t, anon, "two")
	user := func(key, mode string) *widget.Widget {
		w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken(key, "", time.Hour)}, "claimChats": mode})
		if _, err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return w
	}
	if o, err := user("u:never", "never").OfferClaim(ctx); err != nil || o != (widget.ClaimOffer{}) {
		t.Errorf("\"never\" offered %+v, %v", o, err)
	}
	// Declined by one user: not asked again, the chats stay.
	w := user("u:bo", "ask")
	if o, err := w.OfferClaim(ctx); err != nil || !o.Ask || o.Count != 2 {
		t.Fatalf("offer: %+v, %v", o, err)
	}
	w.DeclineClaim()
	if o, _ := user("u:bo", "ask").OfferClaim(ctx); o.Ask {
		t.Error("asked again after declining")
	}
	if ss, _ := d.load(t, f, nil).Sessions(ctx); len(ss) != 2 {
		t.Errorf("after declining the device lists %d", len(ss))
	}
	// Accepted by another.
	w = user("u:ann", "ask")
	if o, _ := w.OfferClaim(ctx); !o.Ask || o.Count != 2 {
		t.Fatalf("offer to ann: %+v", o)
	}
	if n, err := w.Claim(ctx); err != nil || n != 2 {
		t.Fatalf("Claim: %d, %v", n, err)
	}
	if ss, _ := w.Sessions(ctx); len(ss) != 2 {
		t.Errorf("after the claim the user lists %d", len(ss))
	}
	if _, ok := d.st.Get(widget.StorageKey(testWidgetToken, "contact")); ok {
		t.Error("the contact token is still stored")
	}
	if _, ok := d.st.Get(widget.StorageKey(testWidgetToken, "device")); !ok {
		t.Error("the device id was forgotten")
	}
	if o, _ := user("u:ann", "ask").OfferClaim(ctx); o != (widget.ClaimOffer{}) {
		t.Errorf("offer after the claim: %+v", o)
	}
	if ss, _ := d.load(t, f, nil).Sessions(ctx); len(ss) != 0 {
		t.Errorf("after the claim the device lists %d", len(ss))
	}
}

// The claim prompt's marks name who answered it (e:<email>, u:<user_id>):
// logout and forget leave none of them for the next visitor to read.
func TestLogoutForgetsWhoAnsweredTheClaimPrompt(t *testing.T) {
	f := newFakeWorker()
	for _, forget := range []bool{false, true} {
		d := newDevice(32)
		newChat(t, d.load(t, f, nil), "anonymous")
		var w *widget.Widget
		for _, key := range []string{"e:alice.private@example.com", "u:bob"} {
			w = d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken(key, "", time.Hour)}, "claimChats": "ask"})
			if o, err := w.OfferClaim(ctx); err != nil || !o.Ask {
				t.Fatalf("offer to %s: %+v, %v", key, o, err)
			}
			w.DeclineClaim()
		}
		if forget {
			if err := w.Forget(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			w.Logout()
		}
		if keys := d.st.Keys(); len(keys) != 0 {
			t.Errorf("forget %v: the browser keeps %q", forget, keys)
		}
	}
}

func TestClaimAlways(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(32)
	newChat(t, d.load(t, f, nil), "one")
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:cy", "", time.Hour)}, "claimChats": "always"})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := w.OfferClaim(ctx); err != nil || o.Ask || o.Claimed != 1 {
		t.Fatalf("offer: %+v, %v", o, err)
	}
	if ss, _ := w.Sessions(ctx); len(ss) != 1 {
		t.Errorf("the user lists %d", len(ss))
	}
	// Anonymous mode offers nothing.
	if o, _ := d.load(t, f, map[string]any{"claimChats": "always"}).OfferClaim(ctx); o != (widget.ClaimOffer{}) {
		t.Errorf("anonymous offer: %+v", o)
	}
}

// The "ask" prompt counts what the claim would move: with a verified token
// bound to an external id, that workspace's chats of the device only (none:
// no prompt); with an unbound token, all of them, whatever the config's
// externalId, since the worker's claim moves them all.
func TestClaimOfferCountsWhatTheClaimMoves(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(33)
	newChat(t, d.load(t, f, map[string]any{"externalId": "other"}), "other 1")
	newChat(t, d.load(t, f, map[string]any{"externalId": "other"}), "other 2")
	newChat(t, d.load(t, f, map[string]any{"externalId": "acme"}), "acme")
	newChat(t, d.load(t, f, nil), "none")
	offer := func(key, ext string, cfg map[string]any) widget.ClaimOffer {
		t.Helper()
		if cfg == nil {
			cfg = map[string]any{}
		}
		cfg["user"] = map[string]any{"token": f.verifiedToken(key, ext, time.Hour)}
		cfg["claimChats"] = "ask"
		w := d.load(t, f, cfg)
		if _, err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		o, err := w.OfferClaim(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if o := offer("u:acme", "acme", nil); !o.Ask || o.Count != 1 {
		t.Errorf("a token bound to acme is offered %+v, want the 1 acme chat", o)
	}
	if o := offer("u:globex", "globex", nil); o.Ask {
		t.Errorf("a token bound to a workspace without chats here is offered %+v", o)
	}
	if o := offer("u:all", "", map[string]any{"externalId": "other"}); !o.Ask || o.Count != 4 {
		t.Errorf("an unbound token with externalId \"other\" is offered %+v, want all 4 chats", o)
	}
}

// A device whose contact token has expired since its visitor chatted still
// has those chats: the offer renews the token from the device id (the same
// contact) and asks, and the claim moves them.
func TestClaimOfferAfterTheContactTokenExpired(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(34)
	newChat(t, d.load(t, f, nil), "a week ago")
	f.advance(2 * time.Hour) // the fake's contact tokens last an hour
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:late", "", time.Hour)}, "claimChats": "ask"})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := w.OfferClaim(ctx); err != nil || !o.Ask || o.Count != 1 {
		t.Fatalf("offer with an expired contact token: %+v, %v", o, err)
	}
	if n, err := w.Claim(ctx); err != nil || n != 1 {
		t.Fatalf("Claim: %d, %v", n, err)
	}
	if ss, _ := w.Sessions(ctx); len(ss) != 1 {
		t.Errorf("after the claim the user lists %d", len(ss))
	}
}

// A message the visitor left unsent in a chat that the claim moves goes out
// with the user's token (same Idempotency-Key). Before, it waited in the
// outbox for the device's contact, whose token the claim forgot and which
// no longer sees the chat: never sent while the user chatted, refused (404)
// and dropped when an anonymous page sent it.
func TestClaimSendsTheVisitorsUnsentMessagesAsTheUser(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(33)
	anon := d.load(t, f, nil)
	s := newChat(t, anon, "first")
	f.set(func(f *fakeWorker) { f.down = true })
	if r, err := anon.Send(ctx, widget.Draft{SessionID: s, Content: "typed offline"}); err != nil || !r.Pending {
		t.Fatalf("offline Send: %+v, %v", r, err)
	}
	f.set(func(f *fakeWorker) { f.down = false })
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:dee", "", time.Hour)}, "claimChats": "always"})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := w.OfferClaim(ctx); err != nil || o.Claimed != 1 {
		t.Fatalf("offer: %+v, %v", o, err)
	}
	if got := f.messages(s); len(got) != 2 || got[1] != "user:typed offline" {
		t.Errorf("the claimed chat has %q", got)
	}
	if v, ok := d.st.Get(widget.StorageKey(testWidgetToken, "outbox")); ok {
		t.Errorf("the outbox keeps %s", v)
	}
}

// A new chat the visitor typed while offline, whose session was never
// created, is sent as the visitor before the claim: its session is created
// and moves with the others, its message in it. Before, it waited in the
// outbox for the device's contact.
func TestClaimTakesTheVisitorsUnsentNewChat(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(34)
	anon := d.load(t, f, nil)
	newChat(t, anon, "first")
	f.set(func(f *fakeWorker) { f.down = true })
	key, err := anon.NewChatKey()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := anon.Send(ctx, widget.Draft{ChatKey: key, Content: "a new chat, offline"}); err != nil || !r.Pending {
		t.Fatalf("offline Send: %+v, %v", r, err)
	}
	f.set(func(f *fakeWorker) { f.down = false })
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:eve", "", time.Hour)}, "claimChats": "always"})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := w.OfferClaim(ctx); err != nil || o.Claimed != 2 {
		t.Fatalf("offer: %+v, %v", o, err)
	}
	ss, err := w.Sessions(ctx)
	if err != nil || len(ss) != 2 {
		t.Fatalf("the user lists %d, %v", len(ss), err)
	}
	found := false
	for _, s := range ss {
		if got := f.messages(s.ID); len(got) == 1 && got[0] == "user:a new chat, offline" {
			found = true
		}
	}
	if !found {
		t.Errorf("no claimed chat holds the new chat's message")
	}
	if v, ok := d.st.Get(widget.StorageKey(testWidgetToken, "outbox")); ok {
		t.Errorf("the outbox keeps %s", v)
	}
}

// Two tabs of one device: tab A's message is on its way with the device's
// contact token when tab B, where the visitor logged in, claims the chat and
// gives the message to the user (tab B's own sends fail for now). Tab A's
// answer, 404 since the chat is the user's, must not drop the message from
// the outbox they share: tab B sends it later. Before, tab A dropped it and
// it was lost.
func TestAClaimInAnotherTabKeepsAMessageInFlight(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(35)
	var tabB *widget.Widget
	var bOffline atomic.Bool
	isMessage := func(r *widget.Request) bool { return r.Method == "POST" && strings.HasSuffix(r.URL, "/messages") }
	claimInTabB := sync.OnceFunc(func() {
		bOffline.Store(true)
		if o, err := tabB.OfferClaim(ctx); err != nil || o.Claimed != 1 {
			t.Errorf("tab B's claim: %+v, %v", o, err)
		}
		bOffline.Store(false)
	})
	tabA := d.loadVia(t, widget.TransportFunc(func(ctx context.Context, r *widget.Request) (*widget.Response, error) {
		if tabB != nil && isMessage(r) {
			claimInTabB()
		}
		return f.Do(ctx, r)
	}), f, nil)
	s := newChat(t, tabA, "first")
	tabB = d.loadVia(t, widget.TransportFunc(func(ctx context.Context, r *widget.Request) (*widget.Response, error) {
		if bOffline.Load() && isMessage(r) {
			return nil, errors.New("offline")
		}
		return f.Do(ctx, r)
	}), f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:fay", "", time.Hour)}, "claimChats": "always"})
	if _, err := tabB.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := tabA.Send(ctx, widget.Draft{SessionID: s, Content: "in flight at the claim"}); err != nil {
		t.Fatalf("tab A's Send: %v", err)
	}
	if p := tabB.Pending(); len(p) != 1 {
		t.Fatalf("tab B has %d pending, want the message", len(p))
	}
	tabB.Flush(ctx)
	if got := f.messages(s); len(got) != 2 || got[1] != "user:in flight at the claim" {
		t.Errorf("the claimed chat has %q", got)
	}
	if v, ok := d.st.Get(widget.StorageKey(testWidgetToken, "outbox")); ok {
		t.Errorf("the outbox keeps %s", v)
	}
}

// A message the visitor left unsent on a page of another workspace
// (externalId w1) is in a chat that a claim on a w2 page moves (the user's
// token is bound to no workspace, so the claim takes every chat of the
// device): it goes to the user, as those of w2 do. Before, it stayed the
// contact's, whose answer for the moved chat is 404: a user's page never
// sent it, an anonymous w1 page had it refused and dropped.
func TestClaimGivesTheUserUnsentMessagesOfEveryWorkspace(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(36)
	w1 := map[string]any{"externalId": "w1"}
	anon := d.load(t, f, w1)
	s := newChat(t, anon, "first, in w1")
	f.set(func(f *fakeWorker) { f.down = true })
	if r, err := anon.Send(ctx, widget.Draft{SessionID: s, Content: "typed offline in w1"}); err != nil || !r.Pending {
		t.Fatalf("offline Send: %+v, %v", r, err)
	}
	f.set(func(f *fakeWorker) { f.down = false })
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:gus", "", time.Hour)}, "claimChats": "always", "externalId": "w2"})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := w.OfferClaim(ctx); err != nil || o.Claimed != 1 {
		t.Fatalf("offer: %+v, %v", o, err)
	}
	d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:gus", "", time.Hour)}, "externalId": "w1"}).Flush(ctx)
	d.load(t, f, w1).Flush(ctx)
	if got := f.messages(s); len(got) != 2 || got[1] != "user:typed offline in w1" {
		t.Errorf("the claimed chat has %q", got)
	}
}

// A claim by a token bound to workspace w1 moves only w1's chats: the
// device keeps its contact token for the others, so that the same user's
// token bound to w2 ("always") claims w2's chats on its page. Before, the
// first claim forgot the contact token, and the device then looked as if
// it had no chats: w2's were never claimed while the user stayed logged in.
func TestABoundClaimLeavesTheOtherWorkspacesChatsClaimable(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(37)
	newChat(t, d.load(t, f, map[string]any{"externalId": "w1"}), "in w1")
	newChat(t, d.load(t, f, map[string]any{"externalId": "w2"}), "in w2")
	claim := func(ext string) int {
		t.Helper()
		w := d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:hal", ext, time.Hour)}, "claimChats": "always", "externalId": ext})
		if _, err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		o, err := w.OfferClaim(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return o.Claimed
	}
	if n := claim("w1"); n != 1 {
		t.Fatalf("the w1 page claimed %d, want 1", n)
	}
	if n := claim("w2"); n != 1 {
		t.Errorf("the w2 page claimed %d, want w2's 1", n)
	}
	if n := claim("w2"); n != 0 {
		t.Errorf("the w2 page claimed %d again", n)
	}
}

// Two tabs of one device: tab B's flush sends tab A's message (their
// outbox is shared) while tab A's own post of it is on its way; tab A's
// answer, the same stored message, is reported as sent, so that tab A
// shows it sent. Before, tab A found the entry gone and reported it still
// pending: after a claim in tab B (where tab A's chat no longer reads), it
// showed as sending for good, though stored.
func TestAMessageAnotherTabSentFirstIsReportedSent(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(38)
	var tabB *widget.Widget
	isMessage := func(r *widget.Request) bool { return r.Method == "POST" && strings.HasSuffix(r.URL, "/messages") }
	flushInTabB := sync.OnceFunc(func() {
		if rep := tabB.Flush(ctx); len(rep.Sent) != 1 {
			t.Errorf("tab B's flush: %+v", rep)
		}
	})
	tabA := d.loadVia(t, widget.TransportFunc(func(ctx context.Context, r *widget.Request) (*widget.Response, error) {
		if tabB != nil && isMessage(r) {
			flushInTabB()
		}
		return f.Do(ctx, r)
	}), f, nil)
	s := newChat(t, tabA, "first")
	tabB = d.load(t, f, nil)
	r, err := tabA.Send(ctx, widget.Draft{SessionID: s, Content: "sent by both tabs"})
	if err != nil || r.Pending || r.Message == nil || r.Message.Content != "sent by both tabs" {
		t.Errorf("tab A's Send: %+v, %v", r, err)
	}
	if got := f.messages(s); len(got) != 2 {
		t.Errorf("the chat has %q", got)
	}
}
