package widget_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/widget"
)

// TestASendInFlightAtLogoutStaysTheVisitors: a message on its way (a new
// chat's session creation, or a post into a chat) when the page calls
// forget() (the contact is erased, so the send's token is refused: 401) or
// logout() (its token expired meanwhile: 401). Before, the send renewed
// its token, and every contact of a device has one outbox owner: the
// renewal made the next visitor's device id and contact, and a new chat's
// message was stored in a chat of theirs, which they would see, after the
// visitor had asked the browser to forget it. Now a send goes on only
// during the visit it was read in: nothing is stored, nothing is created,
// and the storage stays empty.
func TestASendInFlightAtLogoutStaysTheVisitors(t *testing.T) {
	for _, c := range []struct {
		name         string
		forget, chat bool
	}{
		{"forget, new chat", true, false},
		{"forget, chat", true, true},
		{"logout, new chat", false, false},
		{"logout, chat", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeWorker()
			d := newDevice(41)
			var w *widget.Widget
			var armed atomic.Bool
			contacts := 0 // POST /v1/widget/contacts served when the visitor left
			tr := widget.TransportFunc(func(ctx context.Context, r *widget.Request) (*widget.Response, error) {
				path := "/v1/widget/sessions"
				if c.chat {
					path = "/messages"
				}
				if r.Method == "POST" && strings.HasSuffix(r.URL, path) && armed.CompareAndSwap(true, false) {
					if c.forget {
						if err := w.Forget(ctx); err != nil {
							t.Errorf("Forget: %v", err)
						}
					} else {
						w.Logout()
						f.advance(2 * time.Hour) // the send's token has expired
					}
					contacts = f.count("POST", "/v1/widget/contacts")
				}
				return f.Do(ctx, r)
			})
			w = d.loadVia(t, tr, f, nil)
			draft := widget.Draft{Content: "left-behind"}
			if c.chat {
				draft.SessionID = newChat(t, w, "first")
			} else {
				draft.ChatKey, _ = w.NewChatKey()
			}
			armed.Store(true)
			if _, err := w.Send(ctx, draft); err != nil {
				t.Logf("Send: %v", err)
			}
			for id, s := range f.sessions {
				for _, m := range s.messages {
					if m.Content == "left-behind" {
						t.Errorf("stored after the visitor left, in session %s of %s", id, s.owner)
					}
				}
			}
			if n := f.count("POST", "/v1/widget/contacts") - contacts; n != 0 {
				t.Errorf("%d contacts made for the next visitor by the send", n)
			}
			if keys := d.st.Keys(); len(keys) != 0 {
				t.Errorf("storage keeps %q", keys)
			}
		})
	}
}
