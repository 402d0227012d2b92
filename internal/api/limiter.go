package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/config"
)

// A RateCounter counts requests against budgets. Spend counts one request of
// key against the budget of scope (limit requests a window) and reports
// whether the budget had room for it; when it had none, nothing is counted
// and retryAfter is how long until it has room again at the latest. An error
// means it could not tell.
//
// The worker's is Cloudflare's Rate Limiting binding (worker/cfratelimit),
// one binding per scope, whose limit and period are the ones wrangler.toml
// gives it: it ignores limit. Everything else uses MemoryRateCounter.
type RateCounter interface {
	Spend(ctx context.Context, scope, key string, limit int) (ok bool, retryAfter time.Duration, err error)
}

// The scopes, the first segment of a limitScope's key, and the variables
// (config.Load) that turn them off (0) or, for MemoryRateCounter, set their
// limit.
const (
	ScopeContactsPerDevice = "contact-device" // RATE_LIMIT_CONTACTS_PER_DEVICE
	ScopeContactsPerIP     = "contact-ip"     // RATE_LIMIT_CONTACTS_PER_IP
	ScopeMessagesPerDevice = "msg-principal"  // RATE_LIMIT_MESSAGES_PER_DEVICE
	ScopeMessagesPerIP     = "msg-ip"         // RATE_LIMIT_MESSAGES_PER_IP
)

// Limiter enforces the rate limits on contact creation and on the widget's
// messages and new sessions (widgetWriteLimits) through a RateCounter. It
// makes no KV call.
//
// What a request spends: the budget is spent when the limiter lets a request
// through, before the request does its work, because Cloudflare's binding
// counts and checks in one call and cannot be asked first and told later.
// So a request refused before the limiter (bad input, a bad token, an
// unknown session) spends nothing, and neither does an idempotent replay,
// which is answered before it (addMessage); a request the limiter refuses
// spends nothing of the scope that refused it. A request let through that
// then fails (KV unwell, a 5xx) has spent its unit; and scopes are asked in
// order (device, then address), so a request the address scope refuses has
// spent a unit of its device's budget.
type Limiter struct {
	counter RateCounter
}

// NewLimiter returns a limiter over counter.
func NewLimiter(counter RateCounter) *Limiter {
	return &Limiter{counter: counter}
}

// limitScope is one budget: a name (a device, an IP) and its per-window limit
// (0 is no limit). The key's first segment is its scope (Scope*).
type limitScope struct {
	key   string
	limit int
}

// Check spends one request of every scope whose limit is not 0, in order,
// and returns a rate_limited error for the first that has no room left.
func (l *Limiter) Check(ctx context.Context, scopes ...limitScope) error {
	for _, s := range scopes {
		if s.limit <= 0 {
			continue
		}
		scope, _, _ := strings.Cut(s.key, "/")
		// The key hashed: a fixed length whatever the device key or address,
		// and no address handed to the counter.
		sum := sha256.Sum256([]byte(s.key))
		ok, retry, err := l.counter.Spend(ctx, scope, base64.RawURLEncoding.EncodeToString(sum[:18]), s.limit)
		if err != nil {
			// A limiter that cannot count lets the request through rather
			// than refuse everyone while the counter is unwell.
			continue
		}
		if !ok {
			return &rateLimited{retryAfter: max(1, int((retry+time.Second-1)/time.Second))}
		}
	}
	return nil
}

// MemoryRateCounter counts in memory, in fixed windows of Window on the
// clock Now: the in-process server's and the tests' counter, and the
// worker's for a scope whose binding is missing (then each isolate counts
// on its own). Safe for concurrent use.
type MemoryRateCounter struct {
	window time.Duration
	now    func() time.Time

	mu    sync.Mutex
	start time.Time      // of the window counts are for
	count map[string]int // by scope + "/" + key
}

// NewMemoryRateCounter counts in windows of limits.Window (a minute when it
// is under a second) on the clock now.
func NewMemoryRateCounter(limits config.RateLimits, now func() time.Time) *MemoryRateCounter {
	w := limits.Window
	if w < time.Second {
		w = time.Minute
	}
	return &MemoryRateCounter{window: w, now: now, count: map[string]int{}}
}

// Spend implements RateCounter. A new window forgets the counts of the last.
func (m *MemoryRateCounter) Spend(_ context.Context, scope, key string, limit int) (bool, time.Duration, error) {
	now := m.now()
	start := now.Truncate(m.window)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !start.Equal(m.start) {
		m.start, m.count = start, map[string]int{}
	}
	k := scope + "/" + key
	if m.count[k] >= limit {
		return false, start.Add(m.window).Sub(now), nil
	}
	m.count[k]++
	return true, 0, nil
}
