package soak

import (
	"sync"
	"time"
)

// Ledger is every session and message the drivers tried to create, with
// what the worker acknowledged. Check compares it with what is stored.
type Ledger struct {
	Sessions []SessionEntry
	Messages []MessageEntry
}

// SessionEntry is one POST /v1/widget/sessions operation.
type SessionEntry struct {
	Ref        string // its Idempotency-Key, also sent as custom_data.soak_ref
	Org        int
	Owner      string // the principal's name
	ExternalID string // what the session must carry ("" none)
	Acked      bool   // got a 201
	ID         string // the acknowledged session id
}

// MessageEntry is one message post, by a widget user or an org server.
type MessageEntry struct {
	Key       string // its Idempotency-Key; the content contains it
	Org       int
	SessionID string
	Author    string // the principal's name, or "o1/server"
	Role      string // "user" or "agent"
	Content   string
	FirstSent time.Time // when the first attempt was sent
	Acked     bool      // got a 201
	ID        string    // the acknowledged message id
	AckedAt   time.Time // when the 201 was read
}

// recorder fills a Ledger from many goroutines.
type recorder struct {
	mu     sync.Mutex
	ledger Ledger
	// acked session ids by org, for the org servers to reply into.
	byOrg map[int][]string
}

func newRecorder() *recorder { return &recorder{byOrg: map[int][]string{}} }

// beginSession records an attempt and returns its index.
func (r *recorder) beginSession(e SessionEntry) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ledger.Sessions = append(r.ledger.Sessions, e)
	return len(r.ledger.Sessions) - 1
}

func (r *recorder) ackSession(i int, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := &r.ledger.Sessions[i]
	e.Acked, e.ID = true, id
	r.byOrg[e.Org] = append(r.byOrg[e.Org], id)
}

func (r *recorder) beginMessage(e MessageEntry) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ledger.Messages = append(r.ledger.Messages, e)
	return len(r.ledger.Messages) - 1
}

func (r *recorder) ackMessage(i int, id string, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := &r.ledger.Messages[i]
	e.Acked, e.ID, e.AckedAt = true, id, at
}

// sessionsOf returns the acknowledged session ids of org so far.
func (r *recorder) sessionsOf(org int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.byOrg[org]...)
}

// snapshot returns a copy of the ledger.
func (r *recorder) snapshot() Ledger {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Ledger{
		Sessions: append([]SessionEntry(nil), r.ledger.Sessions...),
		Messages: append([]MessageEntry(nil), r.ledger.Messages...),
	}
}
