package widget

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/identity"
)

// Draft is a message the person typed: into an existing session, or into a
// new chat named by ChatKey (from NewChatKey) that has no session yet.
type Draft struct {
	SessionID string `json:"sessionId"`
	ChatKey   string `json:"chatKey"`
	Content   string `json:"content"`
	// Key, when set (from NewKey), is the message's Idempotency-Key, so that
	// the UI knows the message by it before Send returns; else Send makes one.
	Key string `json:"key"`
}

// SendResult is what became of one message.
type SendResult struct {
	// Key is the message's Idempotency-Key.
	Key       string `json:"key"`
	ChatKey   string `json:"chatKey,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
	// Message is the stored message, when the worker acknowledged it.
	Message *Message `json:"message,omitempty"`
	// Pending: still in the outbox; it will be sent again.
	Pending bool `json:"pending,omitempty"`
	// Error: refused for good (dropped from the outbox), a sentence.
	Error string `json:"error,omitempty"`
}

// FlushReport is what one outbox flush did.
type FlushReport struct {
	Sent    []SendResult  `json:"sent"`
	Failed  []SendResult  `json:"failed"`
	Pending []OutboxEntry `json:"pending"`
}

// NewChatKey returns the key of a new chat: its messages share it until its
// session exists, so the session is created once however often they are sent.
func (w *Widget) NewChatKey() (string, error) { return w.newKey() }

// NewKey returns a fresh Idempotency-Key for Draft.Key.
func (w *Widget) NewKey() (string, error) { return w.newKey() }

// Pending returns the messages of the person chatting that the worker has
// not acknowledged yet, oldest first.
func (w *Widget) Pending() []OutboxEntry {
	w.mu.Lock()
	owner := w.ownerLocked()
	w.mu.Unlock()
	return w.pendingOf(owner)
}

// Unlisted returns what the list of sessions shows as sending, besides the
// sessions listed (their ids): of the pending messages (Pending), the first
// of each chat that is not among them (a new chat's, or one of a session
// the page has not listed yet), oldest first.
func (w *Widget) Unlisted(listed []string) []OutboxEntry {
	seen := map[string]bool{}
	for _, id := range listed {
		seen[id] = true
	}
	out := []OutboxEntry{}
	for _, p := range w.Pending() {
		k := p.SessionID
		if k == "" {
			k = "\x00" + p.ChatKey // never a session's id
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	return out
}

// ownerLocked names the person chatting, for the outbox: the verified user
// (their token's subject, the identity key, and the external id it is bound
// to) or this device's contact, and the config's external id, which a new
// chat's session gets. A message typed
// by one is never sent with another's credential or into another workspace:
// a page that switches users by calling init again, without logout, leaves
// the previous user's unsent messages for when that user comes back.
// w.mu must be held.
func (w *Widget) ownerLocked() string {
	return w.ownerOf(w.mode, w.userToken)
}

// ownerOf is the owner that a bearer token of mode names: in verified mode
// the token's user, in the others this device's contact.
func (w *Widget) ownerOf(mode Mode, tok string) string {
	who := ownerContact
	if mode == ModeVerified {
		c := tokenClaims(tok)
		who = "user " + c.Sub + "\n" + c.ExternalID
	}
	return who + "\n" + w.cfg.ExternalID
}

// ownerContact starts the owner of what a contact typed (ownerOf).
const ownerContact = "contact"

// pendingOf returns the outbox entries of owner (and those that name
// nobody), oldest first.
func (w *Widget) pendingOf(owner string) []OutboxEntry {
	out := []OutboxEntry{}
	for _, e := range w.outbox.entries() {
		if e.Owner == "" || e.Owner == owner {
			out = append(out, e)
		}
	}
	return out
}

// Send puts a message in the outbox (persisted at once, with its own
// Idempotency-Key) and flushes the outbox. When the worker cannot be reached,
// the result is Pending and a later Send, Flush or Sync sends it, once.
func (w *Widget) Send(ctx context.Context, d Draft) (SendResult, error) {
	if err := identity.ValidateContent("message", d.Content); err != nil {
		if utf8.RuneCountInString(d.Content) > identity.MaxContentChars {
			err = &shownError{text: msgTooLong, err: err}
		}
		return SendResult{}, err
	}
	if d.SessionID == "" && d.ChatKey == "" {
		return SendResult{}, identity.Invalid("sessionId", "or chatKey is required.")
	}
	if d.SessionID == "" && identity.ValidateIdempotencyKey(d.ChatKey) != nil {
		return SendResult{}, identity.Invalid("chatKey", "must come from newChatKey.")
	}
	if d.Key != "" && identity.ValidateIdempotencyKey(d.Key) != nil {
		return SendResult{}, identity.Invalid("key", "must come from newKey.")
	}
	if st := w.Status(); st.NeedsForm {
		return SendResult{}, ErrNeedsUserData
	}
	w.mu.Lock()
	unnamed := w.mode == ModeVerified && w.userToken == ""
	w.mu.Unlock()
	if unnamed { // getToken has not been asked yet: who is this?
		if _, err := w.bearer(ctx, ""); err != nil {
			return SendResult{}, err
		}
	}
	w.mu.Lock()
	owner := w.ownerLocked()
	w.mu.Unlock()
	key := d.Key
	if key == "" {
		var err error
		if key, err = w.newKey(); err != nil {
			return SendResult{}, err
		}
	} else if w.outbox.has(key) {
		return SendResult{}, identity.Invalid("key", "is already in the outbox.")
	}
	e := OutboxEntry{Key: key, SessionID: d.SessionID, Content: d.Content, QueuedAt: w.now().UTC(), Owner: owner}
	if d.SessionID == "" {
		e.ChatKey = d.ChatKey
	}
	w.outbox.add(e)
	rep := w.Flush(ctx)
	for _, r := range append(rep.Sent, rep.Failed...) {
		if r.Key == key {
			return r, nil
		}
	}
	w.mu.Lock()
	r, ok := w.done[key]
	delete(w.done, key)
	w.mu.Unlock()
	if ok {
		return r, nil
	}
	r = SendResult{Key: key, ChatKey: e.ChatKey, SessionID: e.SessionID, Pending: true}
	for _, p := range rep.Pending {
		if p.Key == key {
			r.SessionID = p.SessionID
		}
	}
	return r, nil
}

// Flush sends the outbox, oldest first, and stops at the first message that
// cannot reach the worker, so that messages keep their order. A message the
// worker refuses for good (404: the session is gone, 400) is dropped and
// reported in Failed.
func (w *Widget) Flush(ctx context.Context) FlushReport {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	rep := FlushReport{Sent: []SendResult{}, Failed: []SendResult{}}
	tried := map[string]bool{}
	for ctx.Err() == nil {
		var e *OutboxEntry
		w.mu.Lock()
		owner, visit := w.ownerLocked(), w.visit
		w.mu.Unlock()
		for _, x := range w.pendingOf(owner) {
			if !tried[x.Key] {
				e = &x
				break
			}
		}
		if e == nil {
			break
		}
		tried[e.Key] = true
		r, err := w.sendEntry(ctx, *e, visit)
		if err == nil || permanent(err) {
			if !w.outbox.remove(e.Key, e.Owner) {
				// Logged out meanwhile, or another tab sent it first, or a
				// claim gave it to the user: a refusal is not this page's
				// to report, but a message the worker has is sent.
				if err == nil {
					rep.Sent = append(rep.Sent, r)
					w.remember(r)
				}
				continue
			}
			if err != nil {
				r.Error = w.sentence(err)
				rep.Failed = append(rep.Failed, r)
			} else {
				rep.Sent = append(rep.Sent, r)
			}
			w.remember(r)
			continue
		}
		if errors.Is(err, errNotTheOwner) {
			continue // its owner is no longer chatting: the next one may be
		}
		break // the network, a 5xx, 429 or a missing credential: try later
	}
	rep.Pending = w.Pending()
	return rep
}

func (w *Widget) remember(r SendResult) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.done) > 100 {
		clear(w.done)
	}
	w.done[r.Key] = r
}

// sendEntry creates the entry's session when it has none yet, then posts the
// message, both under their Idempotency-Keys, with a credential of its
// owner during the page's visit (authedAs): the entry was read then.
func (w *Widget) sendEntry(ctx context.Context, e OutboxEntry, visit int) (SendResult, error) {
	return w.sendEntryWith(ctx, e, func(fn func(bearer string) error) error { return w.authedAs(ctx, e.Owner, visit, fn) })
}

// sendEntryWith is sendEntry with the credential that authed gives.
func (w *Widget) sendEntryWith(ctx context.Context, e OutboxEntry, authed func(func(bearer string) error) error) (SendResult, error) {
	r := SendResult{Key: e.Key, ChatKey: e.ChatKey, SessionID: e.SessionID}
	if e.SessionID == "" {
		var s *Session
		err := authed(func(bearer string) (err error) {
			s, err = w.client.CreateSession(ctx, bearer, e.ChatKey, w.cfg.ExternalID)
			return err
		})
		if err != nil {
			return r, err
		}
		w.outbox.setSession(e.ChatKey, s.ID)
		r.SessionID = s.ID
	}
	err := authed(func(bearer string) error {
		m, err := w.client.PostMessage(ctx, bearer, r.SessionID, e.Key, e.Content)
		r.Message = m
		return err
	})
	return r, err
}

// flushContact sends, with contactToken, what this device's contact left in
// the outbox, oldest first, as Flush does (a claim sends it before it moves
// the chats: a new chat's session is created where the claim finds it). It
// stops at the first message that cannot reach the worker.
func (w *Widget) flushContact(ctx context.Context, contactToken string) {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	owner := w.ownerOf(ModeAnonymous, "")
	for _, e := range w.outbox.entries() {
		if e.Owner != owner || ctx.Err() != nil {
			continue
		}
		if e.SessionID == "" { // an earlier entry of its chat may have created it
			for _, x := range w.outbox.entries() {
				if x.Key == e.Key {
					e = x
				}
			}
		}
		r, err := w.sendEntryWith(ctx, e, func(fn func(bearer string) error) error { return fn(contactToken) })
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == 404 {
			continue // a chat claimed before: it waits for its owner, as it did
		}
		if err != nil && !permanent(err) {
			return
		}
		if !w.outbox.remove(e.Key, e.Owner) {
			continue
		}
		if err != nil {
			r.Error = w.sentence(err)
		}
		w.remember(r)
	}
}

// sentence is err for the visitor (VisitorMessage); its details go to the
// site's developer.
func (w *Widget) sentence(err error) string {
	w.tell("ChatWidget: a message was refused: " + err.Error())
	return VisitorMessage(err)
}
