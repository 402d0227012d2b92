package api

import (
	"context"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// keyLocks lets one request at a time of an instance hold a key: what two
// requests at once would otherwise both read and then both write. Its keys
// are a caller's Idempotency-Key (a retry sent while the first request is
// still being served waits for it, then finds its saved answer), a session
// (posts take turns, so that its summary names the newest message), an
// org's webhook (PUT, rotate-secret and DELETE take turns) and a device's
// contact (claims take turns). KV has no compare-and-set, so requests in two
// instances at once are not kept apart this way.
//
// A waiter looks again every holdPoll on a timer of its own request (the
// API's sleep), rather than being woken by the request it waits for: in the
// Worker a goroutine must go on in its own request's JavaScript context,
// since workerd cancels, as hung, a request whose promise or I/O another
// request's callback settles.
//
// A person's key is held shared by each write of one of their tokens, from
// its token's revocation check to its last write, and by each message of
// the org's server into their session, and exclusively by the person's
// erasure while it writes the tombstone (see holdPerson). A device's
// contact write (POST /v1/widget/contacts) holds the device the same way,
// and a contact's erasure holds its device exclusively after the contact
// (holdDevice). A request holds one person, and takes its other holds after
// it.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]bool
	// people are the persons' keys: their shared holds, whether one is
	// held exclusively, and how many wait to hold it so (new shared holds
	// wait for them, so that an erasure is not kept waiting by a stream of
	// writes).
	people map[string]*personHold
}

type personHold struct {
	shared, waiting int
	exclusive       bool
}

const (
	holdPoll    = 10 * time.Millisecond
	holdMaxWait = 30 * time.Second // then 503: the holder is stuck
)

// tryLock holds key unless another request does.
func (l *keyLocks) tryLock(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[key] {
		return false
	}
	if l.held == nil {
		l.held = map[string]bool{}
	}
	l.held[key] = true
	return true
}

func (l *keyLocks) unlock(key string) {
	l.mu.Lock()
	delete(l.held, key)
	l.mu.Unlock()
}

// hold holds k in this instance's keyLocks for the rest of the request,
// waiting (polling, see keyLocks) while another request holds it.
func (a *API) hold(ctx context.Context, k string) (unlock func(), err error) {
	for waited := time.Duration(0); !a.locks.tryLock(k); waited += holdPoll {
		if waited >= holdMaxWait {
			return nil, identity.ErrUnavailable
		}
		if err := a.sleep(ctx, holdPoll); err != nil {
			return nil, identity.ErrUnavailable // the caller is gone; a retry finds the answer
		}
	}
	return func() { a.locks.unlock(k) }, nil
}

// tryPerson holds a person's key, shared or exclusively (registering an
// exclusive waiter on its first try: queued), unless it cannot be yet.
func (l *keyLocks) tryPerson(key string, exclusive, queued bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.people == nil {
		l.people = map[string]*personHold{}
	}
	h := l.people[key]
	if h == nil {
		h = &personHold{}
		l.people[key] = h
	}
	if !exclusive {
		if h.exclusive || h.waiting > 0 {
			return false
		}
		h.shared++
		return true
	}
	if !queued {
		h.waiting++
	}
	if h.exclusive || h.shared > 0 {
		return false
	}
	h.waiting--
	h.exclusive = true
	return true
}

// releasePerson ends a hold of tryPerson, or (exclusive and gaveUp) an
// exclusive wait that never held it.
func (l *keyLocks) releasePerson(key string, exclusive, gaveUp bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.people[key]
	switch {
	case h == nil:
		return
	case gaveUp:
		h.waiting--
	case exclusive:
		h.exclusive = false
	default:
		h.shared--
	}
	if h.shared == 0 && h.waiting == 0 && !h.exclusive {
		delete(l.people, key)
	}
}

// holdPerson holds the person principalKey of org for the rest of the
// request: shared by a write of one of their tokens (a contact's, a
// verified user's), from before its revocation check to its last write, and
// by the org's message into their session, from before its check of their
// tombstone; exclusively by their erasure while it writes the tombstone. So, within an instance, a write of a token
// issued before an erasure either ends before the erasure takes its time
// (and everything it wrote is older, and erased) or checks the token after
// the tombstone is written (and is refused): nothing it writes outlives the
// erasure, a session it creates just after the erasure's time or a message
// into the history the person starts afresh included. KV has no
// compare-and-set, so requests in two instances at once are not kept apart
// this way; the sessions' owners still record their token's issue time
// (identity.Owner.Since), which the erasure goes by.
func (a *API) holdPerson(ctx context.Context, orgID, principalKey string, exclusive bool) (unlock func(), err error) {
	k := orgID + "\x00" + principalKey
	for waited := time.Duration(0); !a.locks.tryPerson(k, exclusive, waited > 0); waited += holdPoll {
		fail := waited >= holdMaxWait
		if !fail {
			fail = a.sleep(ctx, holdPoll) != nil
		}
		if fail {
			if exclusive {
				a.locks.releasePerson(k, true, true)
			}
			return nil, identity.ErrUnavailable
		}
	}
	return func() { a.locks.releasePerson(k, exclusive, false) }, nil
}

// holdDevice holds a device (by its hash, store.DeviceLimitKey) as
// holdPerson holds a person: shared by POST /v1/widget/contacts from before
// its read of the device's index to its token, exclusively by the erasure
// of the device's contact, after holdPerson. So, within an instance, a
// contact write either ends before the erasure takes its time (its record
// is erased, its token refused) or reads the index after the erasure
// deleted it, and makes the device's next contact: it never writes back the
// record of a contact erased beside it.
func (a *API) holdDevice(ctx context.Context, orgID, deviceHash string, exclusive bool) (unlock func(), err error) {
	return a.holdPerson(ctx, orgID, "device/"+deviceHash, exclusive)
}
