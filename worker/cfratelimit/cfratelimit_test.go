//go:build js && wasm

package cfratelimit

import (
	"context"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

// fakeEnv has two bindings shaped like the Rate Limiting binding (and like
// miniflare's, which wrangler dev runs): limit({key}) counts and answers
// {success} on a later turn, refusing past 2 per key without counting.
// RL_MESSAGES_PER_DEVICE answers nonsense; RL_CONTACTS_PER_IP is missing.
const fakeEnv = `
const binding = (limit) => {
  const counts = new Map();
  return {
    calls: [],
    limit(opts) {
      this.calls.push(JSON.stringify(opts));
      if (Object.keys(opts).join() !== "key") return Promise.reject(new Error("bad rate limit options"));
      if (opts.key === "throw") throw new TypeError("sync boom");
      return new Promise((r) => setTimeout(() => {
        const n = counts.get(opts.key) || 0;
        if (n >= limit) return r({ success: false });
        counts.set(opts.key, n + 1);
        r({ success: true });
      }, 0));
    },
  };
};
return {
  RL_CONTACTS_PER_DEVICE: binding(2),
  RL_MESSAGES_PER_IP: binding(2),
  RL_MESSAGES_PER_DEVICE: { limit() { return Promise.resolve("yes"); } },
};
`

func TestSpendAsksTheBindingOfTheScope(t *testing.T) {
	env := js.Global().Get("Function").New(fakeEnv).Invoke()
	fallback := api.NewMemoryRateCounter(config.RateLimits{Window: time.Minute}, time.Now)
	c := New(env, time.Minute, fallback)
	ctx := context.Background()
	if got := c.Missing(); len(got) != 1 || got[0] != "RL_CONTACTS_PER_IP" {
		t.Errorf("Missing() = %v, want [RL_CONTACTS_PER_IP]", got)
	}
	for i := range 2 {
		// The limit Spend is given is not the binding's: it is ignored.
		if ok, _, err := c.Spend(ctx, api.ScopeContactsPerDevice, "a", 1); !ok || err != nil {
			t.Fatalf("request %d: %v %v, want allowed", i, ok, err)
		}
	}
	ok, retry, err := c.Spend(ctx, api.ScopeContactsPerDevice, "a", 1)
	if ok || err != nil || retry != time.Minute {
		t.Errorf("third request: %v %v %v, want refused, retry after the period", ok, retry, err)
	}
	if ok, _, err := c.Spend(ctx, api.ScopeContactsPerDevice, "b", 1); !ok || err != nil {
		t.Errorf("another key: %v %v, want allowed", ok, err)
	}
	// Each scope has a budget of its own.
	if ok, _, err := c.Spend(ctx, api.ScopeMessagesPerIP, "a", 1); !ok || err != nil {
		t.Errorf("another scope: %v %v, want allowed", ok, err)
	}
	if calls := env.Get("RL_CONTACTS_PER_DEVICE").Get("calls"); calls.Length() != 4 || calls.Index(0).String() != `{"key":"a"}` {
		t.Errorf("the binding was called %d times, first with %s", calls.Length(), calls.Index(0).String())
	}
	// A missing binding's scope is the fallback's: limit 1 there.
	if ok, _, _ := c.Spend(ctx, api.ScopeContactsPerIP, "a", 1); !ok {
		t.Error("fallback: first request refused")
	}
	if ok, retry, _ := c.Spend(ctx, api.ScopeContactsPerIP, "a", 1); ok || retry <= 0 {
		t.Errorf("fallback: second request %v (retry %v), want refused", ok, retry)
	}
}

func TestABindingThatFailsIsAnError(t *testing.T) {
	env := js.Global().Get("Function").New(fakeEnv).Invoke()
	c := New(env, time.Minute, nil)
	ctx := context.Background()
	if _, _, err := c.Spend(ctx, api.ScopeMessagesPerDevice, "a", 1); err == nil {
		t.Error("a result without success was taken")
	}
	if _, _, err := c.Spend(ctx, api.ScopeContactsPerDevice, "throw", 1); err == nil {
		t.Error("a thrown exception was no error")
	}
	if _, _, err := c.Spend(ctx, api.ScopeContactsPerIP, "a", 1); err == nil {
		t.Error("a missing binding without a fallback was no error")
	}
	if _, _, err := New(js.Undefined(), time.Minute, nil).Spend(ctx, api.ScopeContactsPerDevice, "a", 1); err == nil {
		t.Error("no env at all was no error")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := c.Spend(cancelled, api.ScopeMessagesPerIP, "c", 1); err == nil {
		t.Error("a cancelled context was no error")
	}
}

func TestMain(m *testing.M) {
	gluetest.Load()
	m.Run()
}
