//go:build !js

package e2e

import (
	"slices"
	"sync"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// TestRetriesSentAtOnce: retries with one Idempotency-Key sent while the
// first is still being served (a widget that timed out and resent) all get
// the first answer, and one message or session is stored. In the Worker the
// waiting retries must go on in their own requests' contexts, or workerd
// cancels them as hung.
func TestRetriesSentAtOnce(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w, s := o.chat(t)
	const n = 8
	// all sends n requests at once and returns the id each was answered.
	all := func(what string, send func() (string, error)) {
		t.Helper()
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { ids[i], errs[i] = send() })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("%s %d: %q %v, the first was answered %q", what, i, ids[i], errs[i], ids[0])
			}
		}
	}
	all("widget message", func() (string, error) {
		m, err := w.c.PostUserMessage(t.Context(), s.ID, "once", contract.IdempotencyKey("user-1"))
		if err = contract.Fits(m.Response, err, 201); err != nil {
			return "", err
		}
		return m.Value.Message.ID, nil
	})
	all("agent message", func() (string, error) {
		m, err := o.api().c.PostAgentMessage(t.Context(), s.ID, contract.MessageRequest{Content: "once"}, contract.IdempotencyKey("agent-1"))
		if err = contract.Fits(m.Response, err, 201); err != nil {
			return "", err
		}
		return m.Value.Message.ID, nil
	})
	match(t, "messages stored", len(widgetSession(t, w, s.ID).Messages), 2)
	all("session", func() (string, error) {
		c, err := w.c.CreateSession(t.Context(), contract.SessionRequest{}, contract.IdempotencyKey("session-1"))
		if err = contract.Fits(c.Response, err, 201); err != nil {
			return "", err
		}
		return c.Value.Session.ID, nil
	})
	match(t, "sessions listed", len(widgetSessions(t, w, nil)), 2)
}

// TestChangesAtOnce: first PUTs of one webhook sent at once answer one
// secret (before, several answered one and one was stored), and messages
// posted at once to one session leave the newest as the session's
// last_message. In the Worker the requests that wait take turns on timers
// of their own.
func TestChangesAtOnce(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	const n = 8
	secrets := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := o.api().c.PutWebhook(t.Context(), contract.WebhookRequest{URL: "https://hooks.example/at-once"})
			if err = contract.Fits(r.Response, err, 200); err != nil {
				t.Errorf("PUT %d: %v", i, err)
				return
			}
			secrets[i] = r.Value.Webhook.Secret
		})
	}
	wg.Wait()
	answered := 0
	for _, s := range secrets {
		if s != "" {
			answered++
		}
	}
	match(t, "PUTs that answered a secret", answered, 1)

	w, s := o.chat(t)
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			var id string
			if i%2 == 0 {
				m, err := w.c.PostUserMessage(t.Context(), s.ID, "visitor")
				if err = contract.Fits(m.Response, err, 201); err != nil {
					t.Errorf("visitor %d: %v", i, err)
					return
				}
				id = m.Value.Message.ID
			} else {
				m, err := o.api().c.PostAgentMessage(t.Context(), s.ID, contract.MessageRequest{Content: "agent"})
				if err = contract.Fits(m.Response, err, 201); err != nil {
					t.Errorf("agent %d: %v", i, err)
					return
				}
				id = m.Value.Message.ID
			}
			ids[i] = id
		})
	}
	wg.Wait()
	newest := slices.Max(ids)
	l, err := o.api().c.ListOrgSessions(t.Context(), contract.SessionFilter{}, contract.Page{})
	if err = contract.Fits(l.Response, err, 200); err != nil || len(l.Value.Items) != 1 || l.Value.Items[0].LastMessage == nil {
		t.Fatalf("org listing: %v %+v", err, l.Value)
	}
	match(t, "last_message of the org listing", l.Value.Items[0].LastMessage.ID, newest)
	match(t, "last_message of the device's listing", widgetSessions(t, w, nil)[0].LastMessage.ID, newest)
}

// TestAClaimedOutboxSentAtOnce: a visitor logs in and the widget claims the
// device's chats while messages wait in its outbox. The device's tab (its
// token from before the claim) and the user's send them again, at once:
// each is stored once in the claimed session, the one whose first attempt
// was stored too. The stored one is answered to every send; the one never
// stored is the user's to post (the contact no longer sees the chat), so a
// device's send of it gets the user's answer or 404, never a message of its
// own. Before, the device's sends were 404 and the user's retry of the
// stored one was a second message.
func TestAClaimedOutboxSentAtOnce(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ct := o.contactToken(t)
	device := o.widget(ct)
	s := createSession(t, device, nil)
	stored := say(t, device, s.ID, "stored, its answer lost", contract.IdempotencyKey("outbox-stored"))
	user := o.widget(o.authenticate(t, map[string]any{"user_id": uniq("claimer")}).Token)
	out := typed(user.c.Claim(t.Context(), ct)).want(t, 200)
	sameSet(t, "claimed", sessionIDs(out.Claimed), []string{s.ID})
	const n = 8
	for _, m := range []struct{ key, content, want string }{
		{"outbox-stored", "stored, its answer lost", stored.ID},
		{"outbox-unsent", "never stored", ""},
	} {
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			w := device
			if i%2 == 1 {
				w = user
			}
			wg.Go(func() {
				r, err := w.c.PostUserMessage(t.Context(), s.ID, m.content, contract.IdempotencyKey(m.key))
				if errs[i] = contract.Fits(r.Response, err, 201); errs[i] == nil {
					ids[i] = r.Value.Message.ID
				} else if m.want == "" && w == device && contract.Fits(r.Response, err, 404) == nil && r.Error.Code == "not_found" {
					errs[i], ids[i] = nil, "404"
				}
			})
		}
		wg.Wait()
		want := m.want
		if want == "" {
			want = ids[1] // the user's
		}
		for i := range n {
			if errs[i] != nil || ids[i] != want && ids[i] != "404" {
				t.Errorf("%s, send %d: %q %v, want %q", m.key, i, ids[i], errs[i], want)
			}
		}
	}
	match(t, "messages of the claimed session", len(widgetSession(t, user, s.ID).Messages), 2)
	cannotSee(t, o, device, s.ID, "the device's contact")
}
