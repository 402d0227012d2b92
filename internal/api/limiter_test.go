package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/config"
)

// What a request spends (Limiter's doc): the scopes in order, nothing of the
// scope that refuses, a unit of those before it.
func TestLimiterSpendsInOrderAndNothingOfTheScopeThatRefuses(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	c := NewMemoryRateCounter(config.RateLimits{Window: time.Minute}, func() time.Time { return now })
	l := NewLimiter(c)
	ctx := context.Background()
	dev := func(d string) limitScope { return limitScope{key: ScopeMessagesPerDevice + "/" + d, limit: 3} }
	ip := limitScope{key: ScopeMessagesPerIP + "/198.51.100.1", limit: 2}
	for i := range 2 {
		if err := l.Check(ctx, dev("a"), ip); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	err := l.Check(ctx, dev("a"), ip)
	var rl *rateLimited
	if !errors.As(err, &rl) || rl.retryAfter != 50 {
		t.Fatalf("third request from the address: %v, want rate limited for the 50 s left of the window", err)
	}
	// The address refused it, after device a had spent its third unit.
	if err := l.Check(ctx, dev("a")); !errors.As(err, &rl) {
		t.Errorf("device a after 3 requests: %v, want rate limited", err)
	}
	// The refusals spent nothing of the address's budget: the next window
	// has it whole, and device b is only limited by the address.
	now = now.Add(time.Minute)
	for i := range 2 {
		if err := l.Check(ctx, dev("b"), ip); err != nil {
			t.Fatalf("next window, request %d: %v", i, err)
		}
	}
	// A scope of limit 0 is never asked.
	if err := l.Check(ctx, limitScope{key: ScopeMessagesPerIP + "/198.51.100.1", limit: 0}); err != nil {
		t.Errorf("a limit of 0: %v", err)
	}
}

type failingCounter struct{}

func (failingCounter) Spend(context.Context, string, string, int) (bool, time.Duration, error) {
	return false, 0, errors.New("unwell")
}

// A counter that cannot tell lets the request through.
func TestLimiterLetsThroughWhenTheCounterFails(t *testing.T) {
	if err := NewLimiter(failingCounter{}).Check(context.Background(), limitScope{key: ScopeContactsPerIP + "/x", limit: 1}); err != nil {
		t.Errorf("%v, want the request let through", err)
	}
}

// The counter is handed the scope and a hash of the key, never the address.
func TestLimiterHandsTheCounterAHashedKey(t *testing.T) {
	var got []string
	rec := recordingCounter(func(scope, key string) { got = append(got, scope, key) })
	_ = NewLimiter(rec).Check(context.Background(), limitScope{key: ScopeContactsPerIP + "/198.51.100.1", limit: 5})
	if len(got) != 2 || got[0] != ScopeContactsPerIP || len(got[1]) != 24 || got[1] == "198.51.100.1" {
		t.Errorf("the counter got %q", got)
	}
}

type recordingCounter func(scope, key string)

func (r recordingCounter) Spend(_ context.Context, scope, key string, _ int) (bool, time.Duration, error) {
	r(scope, key)
	return true, 0, nil
}
