package widget

import (
	"context"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/conc"
)

// resumeEvery is how often Resume tries the outbox again while the worker
// cannot be reached: as often as the panel's background flush (widget.js).
const resumeEvery = 5 * time.Second

// Resume sends what a verified user left unsent on an earlier page load,
// when this page names its user through getToken alone (no user.token).
// Until getToken has answered, the widget does not know whose messages are
// its own, so Pending is empty and nothing would go out until the panel is
// opened, perhaps never: the agent would not see a message the visitor saw
// as sending. Resume asks getToken once, and only when the outbox holds a
// verified user's messages of this workspace, then flushes, and drains
// (Drain) until none of that user's are left or ctx ends. A getToken
// that refuses ends it; one that answers for another user leaves the
// messages waiting for theirs, as Flush does. Every other page has nothing
// to do here: its Pending names its messages and the panel sends them.
func (w *Widget) Resume(ctx context.Context) {
	w.mu.Lock()
	unnamed := w.mode == ModeVerified && w.userToken == "" && w.getToken != nil
	w.mu.Unlock()
	if !unnamed || !w.holdsVerified() {
		return
	}
	if _, err := w.bearer(ctx, ""); err != nil {
		return
	}
	w.Flush(ctx)
	w.Drain(ctx)
}

// Drain flushes the outbox every resumeEvery until the person chatting has
// nothing left in it or ctx ends; while one Drain runs, another returns at
// once. The page runs it after a claim: the messages a claim gives the user
// (perhaps typed in another tab) are not in any flush the panel has
// scheduled, and one the claim could not send (the worker unreachable)
// would wait for the panel to be closed or the page reloaded.
func (w *Widget) Drain(ctx context.Context) {
	if !w.draining.CompareAndSwap(false, true) {
		return
	}
	defer w.draining.Store(false)
	sleep := w.sleep
	if sleep == nil {
		sleep = conc.Sleep
	}
	for ctx.Err() == nil && len(w.Pending()) > 0 {
		if sleep(ctx, resumeEvery) != nil {
			return
		}
		w.Flush(ctx)
	}
}

// holdsVerified reports whether the outbox holds a message a verified user
// typed into this config's workspace (ownerOf), or one that names nobody.
func (w *Widget) holdsVerified() bool {
	for _, e := range w.outbox.entries() {
		if e.Owner == "" || strings.HasPrefix(e.Owner, "user ") && strings.HasSuffix(e.Owner, "\n"+w.cfg.ExternalID) {
			return true
		}
	}
	return false
}
