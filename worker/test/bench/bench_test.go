//go:build !js

package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// TestBenchBothWorkersAnswerAlike runs the bench with a tiny load against the
// Go worker and the JavaScript peer and checks behaviour only, never timing:
// every route answers every request with the expected status and body on
// both (so the same statuses), the tokens of each verify against that
// worker's own JWKS, the peer's tokens carry the same claims as ours, and the
// instrumented copies make the same KV calls per route.
func TestBenchBothWorkersAnswerAlike(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four wrangler dev servers")
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("wrangler dev needs a Unix system here")
	}
	// ProfileRateLimits: ours with its rate limits on, they cost no KV call.
	// MemoryRequests: 60 after 42 (1 warm-up, 4 loaded and 2 alone per route),
	// so the routes in turn make up the rest before the second reading.
	cfg := Config{Clients: 2, Requests: 4, Rounds: 1, Warmup: 1, Single: 2, Sessions: 2, Principal: "verified", ColdStarts: 1, Profile: 2, ProfileRateLimits: true,
		MemoryRequests: 60}
	if os.Getenv("BENCH_VERBOSE") != "" {
		cfg.Log, cfg.WranglerLog = os.Stderr, os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if errors.Is(err, wranglertest.ErrNotBuilt) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: a missing build is a failure)", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("problem: %s", p)
	}
	for _, name := range sides {
		if m := rep.Memory[name]; m.RSS <= 0 || m.Requests == 0 {
			t.Errorf("%s: workerd memory not read: %+v", name, m)
		}
		// The isolate's memory, read through the inspector after the
		// warm-up and after the load: a heap on both, the Go program's
		// linear memory (whole 64 KiB pages) on ours only.
		ms := rep.Isolate[name]
		if len(ms) != 2 {
			t.Errorf("%s: %d isolate memory readings, want 2: %+v", name, len(ms), ms)
			continue
		}
		if want := len(Routes) * cfg.Warmup; ms[0].Requests != want || ms[1].Requests != cfg.MemoryRequests {
			t.Errorf("%s: isolate memory read after %d and %d requests, want %d (the warm-up) and %d", name, ms[0].Requests, ms[1].Requests, want, cfg.MemoryRequests)
		}
		for _, m := range ms {
			wasm := m.Wasm > 0 && m.Wasm%(64<<10) == 0
			if m.HeapUsed <= 0 || m.HeapTotal < m.HeapUsed || wasm != (name == "ours") || (name == "peer" && m.Wasm != 0) {
				t.Errorf("%s: isolate memory %+v: want a heap, and WebAssembly memory on ours only", name, m)
			}
		}
	}

	// Every route, every request, both workers: the expected status and body.
	if len(rep.Routes) != len(Routes) {
		t.Fatalf("%d routes measured, want %d", len(rep.Routes), len(Routes))
	}
	for i, rr := range rep.Routes {
		want := Routes[i].want
		for k, s := range rr.Load {
			if s.Errors > 0 {
				t.Errorf("%s %s: %d errors, first: %s", sides[k], rr.Route, s.Errors, s.FirstError)
			}
			if s.N != cfg.Requests || s.Statuses[want] != cfg.Requests {
				t.Errorf("%s %s: statuses %v, want %d×%d", sides[k], rr.Route, s.Statuses, cfg.Requests, want)
			}
			if len(s.Latencies) != cfg.Requests {
				t.Errorf("%s %s: %d latencies recorded, want %d", sides[k], rr.Route, len(s.Latencies), cfg.Requests)
			}
			if s := rr.Single[k]; s.N != cfg.Single || s.Errors > 0 {
				t.Errorf("%s %s alone: %d answered (%d errors), want %d", sides[k], rr.Route, s.N, s.Errors, cfg.Single)
			}
		}
	}

	// Tokens: each worker's against its own JWKS, with the same claims.
	if len(rep.Targets) != 2 {
		t.Fatalf("targets %+v", rep.Targets)
	}
	ours, peer := rep.Targets[0], rep.Targets[1]
	if ours.Name != "ours" || peer.Name != "peer" || ours.org.Org.ID != peer.org.Org.ID {
		t.Fatalf("targets %s (org %s), %s (org %s): want ours and peer on the same org", ours.Name, ours.org.Org.ID, peer.Name, peer.org.Org.ID)
	}
	claimsOf := func(ti *Target) []map[string]any {
		var out []map[string]any
		if len(ti.tokens()) != 2*cfg.Clients {
			t.Errorf("%s: %d tokens, want %d", ti.Name, len(ti.tokens()), 2*cfg.Clients)
		}
		for _, tok := range ti.tokens() {
			c, err := contract.VerifyToken(tok, ti.jwks, ti.Issuer(), ti.org.Org.ID)
			if err != nil {
				t.Errorf("%s: a token does not verify against its JWKS: %v", ti.Name, err)
				continue
			}
			out = append(out, c)
		}
		return out
	}
	oc, pc := claimsOf(ours), claimsOf(peer)
	for i := range min(len(oc), len(pc)) {
		o, p := oc[i], pc[i]
		for _, k := range []string{"kind", "sub", "uid", "aud"} {
			if fmt.Sprint(o[k]) != fmt.Sprint(p[k]) {
				t.Errorf("token %d: %s is %v from ours, %v from the peer", i, k, o[k], p[k])
			}
		}
		if ok, pk := slices.Sorted(maps.Keys(o)), slices.Sorted(maps.Keys(p)); !slices.Equal(ok, pk) {
			t.Errorf("token %d: claims %q from ours, %q from the peer", i, ok, pk)
		}
	}
	// A token of one worker does not pass for the other's (another issuer).
	if len(oc) > 0 {
		if _, err := contract.VerifyToken(ours.tokens()[0], peer.jwks, peer.Issuer(), peer.org.Org.ID); err == nil {
			t.Errorf("ours' token verified as the peer's")
		}
	}

	// The same KV calls and WebCrypto signatures per route: ours signs and
	// verifies through crypto.subtle (worker/webcrypto), as the peer does;
	// but ours verifies a token once per instance (token.WithVerifiedCache),
	// the peer on every request, so ours verifies at most as often.
	if len(rep.Profiles) != 3 {
		t.Fatalf("%d profiles, want ours, peer and ours+limits", len(rep.Profiles))
	}
	po, pp := rep.Profiles[0], rep.Profiles[1]
	for i := range Routes {
		o, p := po.Routes[i], pp.Routes[i]
		if o.Errors > 0 || p.Errors > 0 || o.N != cfg.Profile || p.N != cfg.Profile {
			t.Errorf("%s: profile errors: ours %d (%s), peer %d (%s)", o.Route, o.Errors, o.FirstError, p.Errors, p.FirstError)
			continue
		}
		oc, pc := o.KVCalls, p.KVCalls
		if oc.Verify <= pc.Verify {
			oc.Verify = pc.Verify
		}
		if oc != pc {
			t.Errorf("%s: KV calls per request: ours %s, peer %s", o.Route, kvCalls(o), kvCalls(p))
		}
	}
	// Rate limits are counted by Cloudflare's binding, not in KV: ours with
	// them on makes the same KV calls (and signatures) as without (before
	// issue 18, a list and a put per limit on contacts and messages).
	for i, l := range rep.Profiles[2].Routes {
		if o := po.Routes[i]; l.Errors > 0 || l.KVCalls != o.KVCalls {
			t.Errorf("%s: KV calls per request with rate limits on %s (errors %d), without %s", l.Route, kvCalls(l), l.Errors, kvCalls(o))
		}
	}
	if po.Routes[0].Ops() == 0 {
		t.Errorf("%s: no KV calls counted", po.Routes[0].Route)
	}
	if po.Routes[0].Sign != 1 {
		t.Errorf("%s: ours made %g WebCrypto signatures, want 1", po.Routes[0].Route, po.Routes[0].Sign)
	}
	if c := rep.Cold; len(c) != 2 || len(c[0].Samples) != 1 || c[0].Samples[0].First <= 0 {
		t.Errorf("cold starts %+v", c)
	}
}
