package api

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/google/uuid"
)

// Limiter enforces the rate limits on contact creation and message posting
// with fixed windows counted in KV: every allowed request writes a key of
// its own under its scope and window (never a shared counter, which KV could
// not update safely), and a request counts the keys of its window with one
// list call before it is allowed.
//
// Under KV's eventual consistency the count is exact within one location and
// may lag by up to a minute across locations, so a client spreading a burst
// over several Cloudflare locations can exceed a limit by what each location
// allows; a single client, which reaches one location, cannot.
type Limiter struct {
	kv     kv.KV
	limits config.RateLimits
	now    func() time.Time
}

// NewLimiter returns a limiter with limits over k.
func NewLimiter(k kv.KV, limits config.RateLimits, now func() time.Time) *Limiter {
	if limits.Window < time.Second {
		limits.Window = time.Minute
	}
	return &Limiter{kv: k, limits: limits, now: now}
}

// limitScope is one budget: a name (a device, an IP) and its per-window limit
// (0 is no limit).
type limitScope struct {
	key   string
	limit int
}

// Check returns a rate_limited error for the first scope whose budget is
// spent, or a commit func that counts the request: call it once the request
// has succeeded, so that refused requests spend no budget.
func (l *Limiter) Check(ctx context.Context, scopes ...limitScope) (commit func(), err error) {
	now := l.now()
	window := now.Truncate(l.limits.Window)
	retry := int(window.Add(l.limits.Window).Sub(now).Seconds()) + 1
	prefixes := make([]string, len(scopes))
	errs := make([]error, len(scopes))
	fns := make([]func() error, 0, len(scopes))
	for i, s := range scopes {
		if s.limit <= 0 {
			continue
		}
		sum := sha256.Sum256([]byte(s.key))
		prefixes[i] = "rl/" + base64.RawURLEncoding.EncodeToString(sum[:18]) + "/" + strconv.FormatInt(window.Unix(), 10) + "/"
		fns = append(fns, func() error {
			if l.count(ctx, prefixes[i], s.limit) >= s.limit {
				errs[i] = &rateLimited{retryAfter: retry}
			}
			return nil
		})
	}
	if len(fns) == 0 {
		return func() {}, nil
	}
	_ = conc.All(fns...)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	ttl := max(l.limits.Window+time.Minute, kv.MinTTL)
	return func() {
		var puts []func() error
		for _, p := range prefixes {
			if p == "" {
				continue
			}
			puts = append(puts, func() error {
				return l.kv.Put(ctx, p+uuid.NewString(), nil, kv.PutOptions{TTL: ttl})
			})
		}
		_ = conc.All(puts...)
	}, nil
}

// count returns how many keys are under prefix, counting no further than
// limit: one list call per 1000 keys.
func (l *Limiter) count(ctx context.Context, prefix string, limit int) int {
	n, cursor := 0, ""
	for n < limit {
		res, err := l.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor, Limit: min(limit-n, kv.MaxListLimit)})
		if err != nil {
			// A limiter that cannot count lets the request through rather
			// than refuse everyone while KV is unwell.
			return n
		}
		n += len(res.Keys)
		if res.Complete || res.Cursor == "" {
			break
		}
		cursor = res.Cursor
	}
	return n
}
