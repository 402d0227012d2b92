package widget_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

// What the panel shows of an error is a short sentence for the visitor,
// never the error's chain ("widget: ...", a getToken's own error, the
// worker's code or a validation's field): those are for the console.
func TestTheVisitorIsShownSentencesNotErrorChains(t *testing.T) {
	f := newFakeWorker()
	down := widget.TransportFunc(func(context.Context, *widget.Request) (*widget.Response, error) {
		return nil, errors.New("TypeError: Failed to fetch")
	})
	d := newDevice(41)
	offline := d.loadVia(t, down, f, map[string]any{"collectUserData": true})
	_, formErr := offline.SubmitForm(ctx, "Ann", "ann@example.com")
	_, startErr := newDevice(45).loadVia(t, down, f, nil).Start(ctx)
	throwing := newDevice(42).load(t, f, map[string]any{"getToken": widget.TokenFunc(func(context.Context) (string, error) {
		return "", errors.New("no session on the page's server")
	})})
	_, tokenErr := throwing.Start(ctx)
	w := newDevice(43).load(t, f, nil)
	key, _ := w.NewChatKey()
	_, longErr := w.Send(ctx, widget.Draft{ChatKey: key, Content: strings.Repeat("x", identity.MaxContentChars+1)})
	_, goneErr := w.Session(ctx, "no-such-session", "")
	_, badForm := newDevice(44).load(t, f, map[string]any{"collectUserData": true}).SubmitForm(ctx, "Ann", "ann@nowhere")

	cases := []struct {
		name string
		err  error
		want string // in the sentence
	}{
		{"the form's submit while offline", formErr, "cannot be reached"},
		{"start while offline", startErr, "cannot be reached"},
		{"a getToken that fails", tokenErr, "sign in again"},
		{"a message too long", longErr, "10000"},
		{"a session that is gone", goneErr, "no longer available"},
		{"a form field", badForm, "valid email"},
		{"the session's needed form", mustErr(newDevice(46).load(t, f, map[string]any{"collectUserData": true}).Sessions(ctx)), "name and email"},
		{"429", &widget.APIError{Status: 429, Code: identity.CodeRateLimited, Message: "slow down", RetryAfter: time.Hour}, "wait"},
		{"503", &widget.APIError{Status: 503, Code: identity.CodeUnavailable}, "not available"},
		{"401", &widget.APIError{Status: 401, Code: identity.CodeTokenRevoked, Message: "token revoked"}, "sign in again"},
		{"403", &widget.APIError{Status: 403, Code: identity.CodeExternalIDMismatch, Message: "external_id does not match"}, "not available on this page"},
		{"400", identity.Invalid("sessionId", "or chatKey is required."), "went wrong"},
		{"anything else", errors.New("widget core: internal error"), "went wrong"},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		m := widget.VisitorMessage(c.err)
		if !strings.Contains(m, c.want) {
			t.Errorf("%s (%v): shown %q, want it to say %q", c.name, c.err, m, c.want)
		}
		for _, bad := range []string{"widget", "getToken", "\n", "_", "sessionId", "got 10001", "page's server"} {
			if strings.Contains(m, bad) {
				t.Errorf("%s (%v): shown %q, which holds %q", c.name, c.err, m, bad)
			}
		}
	}
}

func mustErr[T any](_ T, err error) error { return err }
