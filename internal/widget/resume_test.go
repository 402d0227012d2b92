package widget_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/widget"
)

// A page that names its user through getToken alone: what the user left
// unsent goes out after a reload without the panel being opened, once the
// worker can be reached, and only as that user.
func TestResumeSendsAGetTokenUsersUnsentMessagesAfterAReload(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(41)
	var calls atomic.Int32
	answer := f.verifiedToken("u:ann", "", time.Hour)
	get := widget.TokenFunc(func(context.Context) (string, error) { calls.Add(1); return answer, nil })
	cfg := func() map[string]any { return map[string]any{"getToken": get} }

	// A page with nothing unsent does not ask getToken.
	d.load(t, f, cfg()).Resume(ctx)
	if n := calls.Load(); n != 0 {
		t.Fatalf("an empty outbox asked getToken %d times", n)
	}

	w := d.load(t, f, cfg())
	id := newChat(t, w, "first")
	f.set(func(f *fakeWorker) { f.down = true })
	if r, err := w.Send(ctx, widget.Draft{SessionID: id, Content: "while down"}); err != nil || !r.Pending {
		t.Fatalf("Send while down: %+v %v", r, err)
	}

	// The reload: still down. Until getToken answers, nothing is its own.
	w = d.load(t, f, cfg())
	if p := w.Pending(); len(p) != 0 {
		t.Fatalf("before getToken the page claims %+v", p)
	}
	d.mu.Lock()
	d.onSleep = func(dur time.Duration) {
		if dur == 5*time.Second { // Resume waits: the worker comes back
			f.set(func(f *fakeWorker) { f.down = false })
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { w.Resume(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Resume did not end once the worker was back")
	}
	if got := fmt.Sprint(f.messages(id)); got != "[user:first user:while down]" {
		t.Errorf("stored %s", got)
	}
	if p := w.Pending(); len(p) != 0 {
		t.Errorf("still pending %+v", p)
	}

	// Another user's getToken leaves ann's messages waiting for her.
	f.set(func(f *fakeWorker) { f.down = true })
	if r, err := w.Send(ctx, widget.Draft{SessionID: id, Content: "ann's again"}); err != nil || !r.Pending {
		t.Fatalf("Send while down: %+v %v", r, err)
	}
	f.set(func(f *fakeWorker) { f.down = false })
	answer = f.verifiedToken("u:bob", "", time.Hour)
	w = d.load(t, f, cfg())
	w.Resume(ctx)
	if got := len(f.messages(id)); got != 2 {
		t.Errorf("bob's page sent ann's message: %d messages", got)
	}
	answer = f.verifiedToken("u:ann", "", time.Hour)
	d.load(t, f, cfg()).Resume(ctx)
	if got := fmt.Sprint(f.messages(id)); got != "[user:first user:while down user:ann's again]" {
		t.Errorf("ann back: stored %s", got)
	}
}

// Resume ends when its context does, though the worker stays down.
func TestResumeEndsWithItsContext(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(42)
	tok := f.verifiedToken("u:ann", "", time.Hour)
	get := widget.TokenFunc(func(context.Context) (string, error) { return tok, nil })
	w := d.load(t, f, map[string]any{"getToken": get})
	id := newChat(t, w, "first")
	f.set(func(f *fakeWorker) { f.down = true })
	w.Send(ctx, widget.Draft{SessionID: id, Content: "while down"})
	w = d.load(t, f, map[string]any{"getToken": get})
	rctx, cancel := context.WithCancel(ctx)
	var waits atomic.Int32
	d.onSleep = func(dur time.Duration) {
		if dur == 5*time.Second && waits.Add(1) == 3 {
			cancel()
		}
	}
	done := make(chan struct{})
	go func() { w.Resume(rctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Resume goes on after its context ended")
	}
	if p := w.Pending(); len(p) != 1 {
		t.Errorf("pending %+v", p)
	}
}

// A claim whose flush could not reach the worker leaves the user messages
// that no flush of the panel is due to send: Drain sends them once the
// worker is back, and returns when none are left.
func TestDrainSendsWhatAClaimLeftUnsent(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(43)
	anon := d.load(t, f, nil)
	s := newChat(t, anon, "first")
	var postsDown atomic.Bool
	postsDown.Store(true)
	f.set(func(f *fakeWorker) { f.down = true })
	if r, err := anon.Send(ctx, widget.Draft{SessionID: s, Content: "unsent at the claim"}); err != nil || !r.Pending {
		t.Fatalf("Send while down: %+v %v", r, err)
	}
	f.set(func(f *fakeWorker) { f.down = false })
	tr := widget.TransportFunc(func(ctx context.Context, r *widget.Request) (*widget.Response, error) {
		if postsDown.Load() && r.Method == "POST" && strings.HasSuffix(r.URL, "/messages") {
			return nil, errors.New("offline")
		}
		return f.Do(ctx, r)
	})
	w := d.loadVia(t, tr, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:ida", "", time.Hour)}, "claimChats": "always"})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if o, err := w.OfferClaim(ctx); err != nil || o.Claimed != 1 {
		t.Fatalf("offer: %+v, %v", o, err)
	}
	if p := w.Pending(); len(p) != 1 {
		t.Fatalf("after the claim the user has %d pending, want the visitor's 1", len(p))
	}
	d.mu.Lock()
	d.onSleep = func(dur time.Duration) {
		if dur == 5*time.Second {
			postsDown.Store(false)
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { w.Drain(ctx); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Drain did not end once the message was sent")
	}
	if got := fmt.Sprint(f.messages(s)); got != "[user:first user:unsent at the claim]" {
		t.Errorf("stored %s", got)
	}
}
