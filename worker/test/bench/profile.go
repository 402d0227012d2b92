//go:build !js

package bench

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

//go:embed instrument.mjs
var instrumentJS []byte

// ColdSample is one fresh start of a worker: how long wrangler took until
// it answered (its static ready path, not the worker), then the worker's
// first request (GET /.well-known/jwks.json: no KV) and the same again.
type ColdSample struct{ Startup, First, Second time.Duration }

// Cold is the cold start of one worker over its fresh starts.
type Cold struct {
	Name    string
	Samples []ColdSample
}

// ColdSteps splits a first request as the instrumentation saw it inside the
// isolate: for a Go worker, up to WebAssembly.Instance, the instantiation,
// go.run until the program signals ready, and the rest.
type ColdSteps struct {
	TotalMs             float64  `json:"total_ms"`
	BeforeInstantiateMs *float64 `json:"before_instantiate_ms"`
	InstantiateMs       *float64 `json:"instantiate_ms"`
	RunToReadyMs        *float64 `json:"run_to_ready_ms"`
}

func median[T cmp.Ordered](v []T) T {
	var zero T
	if len(v) == 0 {
		return zero
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// firstRequests times the worker's first two requests after a fresh start,
// each on a new connection; cold is the first's steps in X-Bench-Profile
// (an instrumented copy's), if any.
func firstRequests(ctx context.Context, t *Target) (d [2]time.Duration, cold *ColdSteps, err error) {
	for i := range d {
		c := contract.New(t.Srv.URL, nil)
		c.HTTP = newClient(1)
		t0 := time.Now()
		r, err := c.Do(ctx, "GET", "/.well-known/jwks.json", nil)
		d[i] = time.Since(t0)
		c.HTTP.CloseIdleConnections()
		if err := t.check(r, err, http.StatusOK); err != nil {
			return d, nil, err
		}
		if h := r.Header.Get("X-Bench-Profile"); i == 0 && h != "" {
			var p benchProfile
			if err := json.Unmarshal([]byte(h), &p); err != nil {
				return d, nil, fmt.Errorf("X-Bench-Profile: %w", err)
			}
			cold = p.Cold
		}
	}
	return d, cold, nil
}

// KVCalls are one request's KV calls (get counts getWithMetadata too) and
// WebCrypto Ed25519 signatures and verifications, or their means over a
// route's requests (constant per route in practice).
type KVCalls struct {
	Get    float64 `json:"get"`
	Put    float64 `json:"put"`
	List   float64 `json:"list"`
	Delete float64 `json:"delete"`
	Sign   float64 `json:"sign"`
	Verify float64 `json:"verify"`
}

// Ops is the KV calls, all kinds.
func (k KVCalls) Ops() float64 { return k.Get + k.Put + k.List + k.Delete }

// benchProfile is the X-Bench-Profile header of instrument.mjs.
type benchProfile struct {
	KVCalls
	GetWithMetadata float64    `json:"getWithMetadata"`
	JSCalls         float64    `json:"js_calls"`
	KVms            float64    `json:"kv_ms"`
	TotalMs         float64    `json:"total_ms"`
	Cold            *ColdSteps `json:"cold"`
}

// RouteProfile is one route on one instrumented worker, requests sent one at
// a time.
type RouteProfile struct {
	Route   string
	Stats   // the requests: answered, failed (a wrong answer or no profile)
	KVCalls // per request (means)
	// Calls from the Go program into JavaScript per request (mean; 0 for
	// the peer): syscall/js and the Go runtime's clock and randomness.
	JSCalls float64
	// Means (the isolate's clock counts whole milliseconds): the request's
	// whole time inside the isolate, the part spent waiting on KV, the rest
	// (the worker's own work: Go or JS, and for ours the JS↔Go bridge); and
	// the median time the bench saw.
	TotalMs, KVms, OtherMs float64
	Client                 time.Duration
}

// Profile is the sequential, instrumented pass over every route of a worker.
type Profile struct {
	Target string
	Routes []RouteProfile
	Cold   *ColdSteps
	// Inits are the Go packages' init times of the first start, slowest
	// first (GODEBUG=inittrace=1); InitMs is their sum, InitEndMs when the
	// last one ended after the program started (main.main begins then).
	Inits     []InitTime
	InitMs    float64
	InitEndMs float64
}

// InitTime is one package's init, as inittrace prints it.
type InitTime struct {
	Pkg string
	Ms  float64
}

var initLine = regexp.MustCompile(`init (\S+) @([0-9.]+) ms, ([0-9.]+) ms clock`)

// parseInits reads the inittrace lines of the Go program's output.
func parseInits(out string) (inits []InitTime, total, end float64) {
	for _, m := range initLine.FindAllStringSubmatch(out, -1) {
		at, err1 := strconv.ParseFloat(m[2], 64)
		v, err2 := strconv.ParseFloat(m[3], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		inits = append(inits, InitTime{Pkg: m[1], Ms: v})
		total += v
		end = max(end, at+v)
	}
	slices.SortStableFunc(inits, func(a, b InitTime) int { return cmp.Compare(b.Ms, a.Ms) })
	return inits, total, end
}

// profileRoutes sends n requests of every route to t, one at a time, and
// averages what instrument.mjs counted in each.
func profileRoutes(ctx context.Context, t *Target, n int) []RouteProfile {
	var out []RouteProfile
	for _, rt := range Routes {
		rp := RouteProfile{Route: rt.Name}
		sums := []*float64{&rp.Get, &rp.Put, &rp.List, &rp.Delete, &rp.Sign, &rp.Verify, &rp.JSCalls, &rp.TotalMs, &rp.KVms}
		counted := 0
		rp.Stats = phase(ctx, t, rt, n, 1, func(r *contract.Response) error {
			var p benchProfile
			h := r.Header.Get("X-Bench-Profile")
			if err := json.Unmarshal([]byte(h), &p); err != nil {
				return fmt.Errorf("X-Bench-Profile %q: %w", h, err)
			}
			for i, v := range []float64{p.Get + p.GetWithMetadata, p.Put, p.List, p.Delete, p.Sign, p.Verify, p.JSCalls, p.TotalMs, p.KVms} {
				*sums[i] += v
			}
			counted++
			return nil
		})
		// Means: the isolate's clock counts whole milliseconds.
		if counted > 0 {
			for _, m := range sums {
				*m /= float64(counted)
			}
			rp.OtherMs = rp.TotalMs - rp.KVms
			rp.Client = median(rp.Latencies)
		}
		out = append(out, rp)
	}
	return out
}
