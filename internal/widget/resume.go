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
// verified user's messages of this workspace, then flushes every
// resumeEvery until none of that user's are left or ctx ends. A getToken
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
	for ctx.Err() == nil {
		if rep := w.Flush(ctx); len(rep.Pending) == 0 {
			return
		}
		sleep := w.sleep
		if sleep == nil {
			sleep = conc.Sleep
		}
		if sleep(ctx, resumeEvery) != nil {
			return
		}
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
