package api

import (
	"context"
	"time"

	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
)

// Limiter enforces the rate limits on contact creation and message posting.
type Limiter struct {
	kv     kv.KV
	limits config.RateLimits
	now    func() time.Time
}

// NewLimiter returns a limiter with limits over k.
func NewLimiter(k kv.KV, limits config.RateLimits, now func() time.Time) *Limiter {
	return &Limiter{kv: k, limits: limits, now: now}
}

// Allow returns nil, or a rate_limited error for the first of the scopes
// whose budget is spent. TODO(issue 4): enforce.
func (l *Limiter) Allow(ctx context.Context, scopes ...limitScope) error {
	return nil
}

// limitScope is one budget: a name (device, IP) and its per-window limit.
type limitScope struct {
	key   string
	limit int
}
