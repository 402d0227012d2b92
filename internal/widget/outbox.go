package widget

import (
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// OutboxEntry is a message the person sent that the worker has not
// acknowledged yet. It is kept in Storage, so it survives a network failure
// and a reload, and its Idempotency-Keys are the same on every try, so the
// worker stores it once however often it is sent.
type OutboxEntry struct {
	// Key is the message's Idempotency-Key.
	Key string `json:"key"`
	// SessionID is the session the message goes to; "" while the session of
	// a new chat has not been created yet.
	SessionID string `json:"session_id,omitempty"`
	// ChatKey names a new chat before it has a session: it is the
	// Idempotency-Key of POST /v1/widget/sessions, shared by every message
	// typed into that chat.
	ChatKey  string    `json:"chat_key,omitempty"`
	Content  string    `json:"content"`
	QueuedAt time.Time `json:"queued_at"`
	// Owner names who typed it (Widget.ownerLocked): it is sent only while
	// that person is chatting, never with another's credential. "" in an
	// outbox of an older version: sent by whoever chats next, as then.
	Owner string `json:"owner,omitempty"`
}

// outbox is the persisted queue of OutboxEntry, oldest first. Each method is
// one load-change-save under mu, so concurrent sends and flushes of one page
// never lose an entry.
type outbox struct {
	mu  sync.Mutex
	st  Storage
	key string
}

func (o *outbox) load() []OutboxEntry {
	v, ok := o.st.Get(o.key)
	if !ok {
		return nil
	}
	var es []OutboxEntry
	if json.Unmarshal([]byte(v), &es) != nil {
		return nil // corrupted: nothing can be sent from it
	}
	return es
}

func (o *outbox) save(es []OutboxEntry) {
	if len(es) == 0 {
		o.st.Remove(o.key)
		return
	}
	if b, err := json.Marshal(es); err == nil {
		o.st.Set(o.key, string(b))
	}
}

// Entries returns a copy of the queue.
func (o *outbox) entries() []OutboxEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.load()
}

func (o *outbox) add(e OutboxEntry) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.save(append(o.load(), e))
}

// remove drops the entry with the message key while owner owns it, and
// reports whether it was there. An entry a claim gave to the user meanwhile
// (reown, perhaps in another tab) stays for the user to send: the contact's
// answer for it, a 404 once the chat is the user's, is not the user's.
func (o *outbox) remove(key, owner string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	es := o.load()
	for i, e := range es {
		if e.Key == key && e.Owner == owner {
			o.save(append(es[:i], es[i+1:]...))
			return true
		}
	}
	return false
}

// setSession gives every entry of the new chat chatKey its session id.
func (o *outbox) setSession(chatKey, sessionID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	es := o.load()
	changed := false
	for i := range es {
		if es[i].ChatKey == chatKey && es[i].SessionID == "" {
			es[i].SessionID = sessionID
			changed = true
		}
	}
	if changed {
		o.save(es)
	}
}

// reown gives the entries of a contact (ownerOf: the device's contact, with
// any config's external id) that go to one of the sessions to owner to (a
// claim moved those sessions to the verified user). Those typed on a page
// of another workspace than the claim's are in moved chats too (a claim by
// a token bound to no workspace moves them all), and their session fixes
// where they go: left the contact's, they would be refused (404) and
// dropped.
func (o *outbox) reown(sessions map[string]bool, to string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	es := o.load()
	changed := false
	for i := range es {
		if strings.HasPrefix(es[i].Owner, ownerContact+"\n") && es[i].SessionID != "" && sessions[es[i].SessionID] {
			es[i].Owner = to
			changed = true
		}
	}
	if changed {
		o.save(es)
	}
}

func (o *outbox) has(key string) bool {
	for _, e := range o.entries() {
		if e.Key == key {
			return true
		}
	}
	return false
}
