//go:build js && wasm

// Package cfratelimit implements api.RateCounter over Cloudflare's Rate
// Limiting bindings ([[ratelimits]] in wrangler.toml), one binding per scope:
// Spend is binding.limit({key}), which counts the request and answers
// {success} in one call, run by wrangler dev locally and by the platform at
// the edge. It costs no KV operation (the KV limiter it replaced cost a list
// and a put per scope of every limited request).
//
// The binding's own limit and period (10 or 60 s) are the budget: the limit
// Spend is given is ignored. RATE_LIMIT_* vars of 0 still turn a scope off
// (the limiter then never asks), and wrangler.toml must say the limits the
// vars' defaults say (worker/test/wranglertest checks it).
//
// Retry-After: the binding answers only success true or false, not when the
// budget has room again. A refused key has room again once the period it was
// counted in has passed, so the period is an honest upper bound, and the
// widget waits no longer than that before it retries; the in-memory counter
// says the exact rest of its window instead.
//
// A scope whose binding is missing (a wrangler.toml without it) is counted
// by the fallback instead, each isolate on its own, with a warning logged
// once at startup by the worker (Missing says which).
package cfratelimit

import (
	"context"
	"fmt"
	"sort"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/worker/jscall"
)

// Bindings are the binding names, by scope.
var Bindings = map[string]string{
	api.ScopeContactsPerDevice: "RL_CONTACTS_PER_DEVICE",
	api.ScopeContactsPerIP:     "RL_CONTACTS_PER_IP",
	api.ScopeMessagesPerDevice: "RL_MESSAGES_PER_DEVICE",
	api.ScopeMessagesPerIP:     "RL_MESSAGES_PER_IP",
}

// Counter is api.RateCounter over the bindings of an env.
type Counter struct {
	bindings map[string]js.Value // by scope
	period   time.Duration
	fallback api.RateCounter
}

var _ api.RateCounter = (*Counter)(nil)

var jsObject = js.Global().Get("Object")

// New reads the bindings of env (the Worker's env object). period is the
// bindings' period, Retry-After's answer; fallback counts the scopes whose
// binding env lacks.
func New(env js.Value, period time.Duration, fallback api.RateCounter) *Counter {
	c := &Counter{bindings: map[string]js.Value{}, period: period, fallback: fallback}
	if env.Type() != js.TypeObject {
		return c
	}
	for scope, name := range Bindings {
		if b := env.Get(name); b.Type() == js.TypeObject && b.Get("limit").Type() == js.TypeFunction {
			c.bindings[scope] = b
		}
	}
	return c
}

// Missing is the names of the bindings env lacked, whose scopes the
// fallback counts.
func (c *Counter) Missing() []string {
	var out []string
	for scope, name := range Bindings {
		if _, ok := c.bindings[scope]; !ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Spend implements api.RateCounter: binding.limit({key}).
func (c *Counter) Spend(ctx context.Context, scope, key string, limit int) (ok bool, retryAfter time.Duration, err error) {
	b, found := c.bindings[scope]
	if !found {
		if c.fallback == nil {
			return false, 0, fmt.Errorf("cfratelimit: no binding for scope %q", scope)
		}
		return c.fallback.Spend(ctx, scope, key, limit)
	}
	defer jscall.Recover(&err)
	opts := jsObject.New()
	opts.Set("key", key)
	p, err := jscall.Call(b, "limit", opts)
	if err != nil {
		return false, 0, fmt.Errorf("cfratelimit: %s.limit: %w", Bindings[scope], err)
	}
	v, err := jscall.Await(ctx, p)
	if err != nil {
		return false, 0, fmt.Errorf("cfratelimit: %s.limit: %w", Bindings[scope], err)
	}
	if v.Type() != js.TypeObject {
		return false, 0, fmt.Errorf("cfratelimit: %s.limit: unexpected result %s", Bindings[scope], jscall.Describe(v))
	}
	if s := v.Get("success"); s.Type() != js.TypeBoolean {
		return false, 0, fmt.Errorf("cfratelimit: %s.limit: unexpected result %s", Bindings[scope], jscall.Describe(v))
	} else if !s.Bool() {
		return false, c.period, nil
	}
	return true, 0, nil
}
