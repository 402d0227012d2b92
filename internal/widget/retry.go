package widget

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy says how often and how long the client retries a request that
// failed on the network, with a 5xx or with 429.
type RetryPolicy struct {
	// Attempts is the number of tries in all, at least 1.
	Attempts int
	// BaseDelay is the wait before the first retry; it doubles each time.
	BaseDelay time.Duration
	// MaxDelay caps the doubled wait.
	MaxDelay time.Duration
	// MaxRetryAfter is the longest Retry-After the client waits for; a longer
	// one ends the retries at once (the outbox tries again later).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy gives up after about 3.5 seconds: long enough to ride
// over a blip, short enough that the person sees "not sent yet" soon.
var DefaultRetryPolicy = RetryPolicy{Attempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 2 * time.Second, MaxRetryAfter: 10 * time.Second}

// backoff returns the wait before retry number n (1 for the first retry).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	// Seconds as an int64, whatever int is (32 bits under TinyGo, which
	// compiles the core: Atoi refused anything from 2^31 s on, which then
	// read as no Retry-After and was retried), and no more than a Duration
	// holds (before, 10^11 s and more overflowed into any Duration, a short
	// one included). A value past int64 is the longest wait.
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, int64(math.MaxInt64/time.Second))) * time.Second, true
	}
	if t, err := time.Parse(time.RFC1123, v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
