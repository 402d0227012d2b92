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
type keyLocks struct {
	mu   sync.Mutex
	held map[string]bool
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
