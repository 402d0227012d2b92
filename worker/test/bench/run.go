//go:build !js

package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// Config says how much load the bench sends and what else it measures.
type Config struct {
	Clients  int // concurrent clients of a route phase, each its own principal
	Requests int // requests per route, per worker, per round
	Rounds   int // rounds; each alternates which worker goes first, route by route
	Warmup   int // requests per route and worker before the first round, reported apart
	// Single is how many requests per route, per worker, per round one
	// client sends on its own after the Clients phase: p50 at 1 client
	// (0: none).
	Single   int
	Sessions int // sessions each listing principal owns (the GET listing's length)
	// Principal is the token kind of the session routes: "verified" (their
	// checks read revoked/) or "contact".
	Principal string
	// ColdStarts is how many fresh starts of each worker time its first
	// request (at least one: the worker the load runs on).
	ColdStarts int
	// Profile is how many requests per route the instrumented copies of both
	// workers get, one at a time, to count KV calls and split the time
	// (0: no profile).
	Profile int
	// ProfileRateLimits also profiles ours with its default rate limits on.
	ProfileRateLimits bool
	// Browser is how many fresh Chromium profiles load the widget (0: none).
	Browser int
	Sizes   bool // measure the shipped files as `make size` does

	Log         io.Writer // progress lines; nil discards them
	WranglerLog io.Writer // wrangler's output; nil keeps it for errors only
}

// DefaultConfig is what `make bench` runs.
func DefaultConfig() Config {
	return Config{
		Clients:           4,
		Requests:          200,
		Rounds:            3,
		Warmup:            500,
		Single:            100,
		Sessions:          3,
		Principal:         "verified",
		ColdStarts:        3,
		Profile:           30,
		ProfileRateLimits: true,
		Browser:           3,
		Sizes:             true,
	}
}

// RouteResult is one row of the table.
type RouteResult struct {
	Route string
	Extra bool
	Ours  Stats
	Peer  Stats
	// The warm-up's requests, before the rounds: how each worker does while
	// V8 is still optimising it.
	WarmOurs, WarmPeer Stats
	// RoundRatios is each round's p50 ours/peer: how far one round moves.
	RoundRatios []float64
	// SingleOurs and SinglePeer are the phases of one client alone.
	SingleOurs, SinglePeer Stats
}

// side is ours' (peer false) or the peer's stats of the load (kind 0), the
// warm-up (1) or the single client (2).
func (rr *RouteResult) side(peer bool, kind int) *Stats {
	s := [2][3]*Stats{{&rr.Ours, &rr.WarmOurs, &rr.SingleOurs}, {&rr.Peer, &rr.WarmPeer, &rr.SinglePeer}}
	return s[b2i(peer)][kind]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Memory is a workerd process's resident memory after the requests it served.
type Memory struct {
	RSS      int64
	Requests int
}

// Report is everything one run measured.
type Report struct {
	Config        Config
	Started       time.Time
	Elapsed       time.Duration
	LoadAvgBefore string
	LoadAvgAfter  string
	Versions      string

	Routes []RouteResult
	// Memory is each worker's workerd resident memory after the load, in
	// bytes, and the requests it had served (0: not read).
	Memory   map[string]Memory
	Cold     []Cold
	Profiles []Profile
	Sizes    []Size
	Browser  *Browser
	Problems []string // what failed or could not be measured

	// Targets are the pristine workers the load ran on (stopped by the time
	// Run returns), for tests: their orgs, JWKS and principals.
	Targets []TargetInfo
}

// TargetInfo is what a test needs to check a target's tokens.
type TargetInfo struct {
	Name, Issuer, OrgID string
	JWKS                []byte
	Tokens              []string // the principals' tokens
}

// Run runs the bench: both workers under wrangler dev, their cold starts, the
// load in interleaved rounds, then (as configured) the browser, the
// instrumented profile and the sizes.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Requests < 1 || cfg.Rounds < 1 || cfg.Sessions < 1 {
		return nil, errors.New("bench: Clients, Requests, Rounds and Sessions must be at least 1")
	}
	cfg.ColdStarts = max(cfg.ColdStarts, 1)
	if cfg.Principal == "" {
		cfg.Principal = "verified"
	}
	logw := cfg.Log
	if logw == nil {
		logw = io.Discard
	}
	logf := func(format string, a ...any) { fmt.Fprintf(logw, "bench: "+format+"\n", a...) }

	root, err := wranglertest.RepoRoot()
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"build/app.wasm", "build/worker.mjs", "build/public"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return nil, fmt.Errorf("%w: %s is missing: run `make build` first", wranglertest.ErrNotBuilt, f)
		}
	}
	rep := &Report{Config: cfg, Started: time.Now(), LoadAvgBefore: loadAvg(), Versions: versions(root)}
	defer func() { rep.Elapsed = time.Since(rep.Started); rep.LoadAvgAfter = loadAvg() }()

	var ours, peer *Target
	defer func() { ours.Stop(); peer.Stop() }()

	// 1. Cold starts, one worker at a time; the last start of each stays up.
	oursOpts := wranglertest.Options{Vars: benchVars, ReadyPath: oursReadyPath(filepath.Join(root, "build")), Log: cfg.WranglerLog}
	peerOpts := wranglertest.Options{Vars: benchVars, AppDir: peerDir(root), ReadyPath: peerReadyPath, Log: cfg.WranglerLog}
	if ours, err = coldStarts(ctx, rep, "ours", false, oursOpts, cfg, logf); err != nil {
		return rep, err
	}
	if peer, err = coldStarts(ctx, rep, "peer", true, peerOpts, cfg, logf); err != nil {
		return rep, err
	}

	// 2. The same org in both; principals and their sessions.
	if err := ours.Setup(ctx, nil, cfg.Clients, cfg.Sessions, cfg.Principal); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	if err := peer.Setup(ctx, &ours.org, cfg.Clients, cfg.Sessions, cfg.Principal); err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	for _, t := range []*Target{ours, peer} {
		ti := TargetInfo{Name: t.Name, Issuer: t.Issuer(), OrgID: t.org.ID, JWKS: t.jwks}
		for _, u := range append(append([]principal(nil), t.users...), t.makers...) {
			ti.Tokens = append(ti.Tokens, u.token)
		}
		rep.Targets = append(rep.Targets, ti)
	}
	logf("org %s in both workers; %d %s principals with %d sessions each", ours.org.ID, cfg.Clients, cfg.Principal, cfg.Sessions)

	// 3. Warm-up, then the rounds: route by route, both workers back to back,
	// the first of the two alternating.
	rep.Routes = make([]RouteResult, len(Routes))
	for i, rt := range Routes {
		rep.Routes[i] = RouteResult{Route: rt.Name, Extra: rt.Extra, Ours: Stats{Statuses: map[int]int{}}, Peer: Stats{Statuses: map[int]int{}}}
	}
	for i, rt := range Routes {
		for _, t := range []*Target{ours, peer} {
			if cfg.Warmup > 0 {
				st := phase(ctx, t, rt, cfg.Warmup, cfg.Clients, true)
				if st.Errors > 0 {
					rep.Problems = append(rep.Problems, fmt.Sprintf("warm-up %s %s: %d errors, first: %s", t.Name, rt.Name, st.Errors, st.FirstError))
				}
				*rep.Routes[i].side(t.Peer, 1) = st
			}
		}
	}
	for r := 0; r < cfg.Rounds; r++ {
		for i, rt := range Routes {
			rr := &rep.Routes[i]
			pair := []*Target{ours, peer}
			if (r+i)%2 == 1 {
				pair = []*Target{peer, ours}
			}
			var p50 [2]time.Duration // ours, peer
			for _, t := range pair {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				st := phase(ctx, t, rt, cfg.Requests, cfg.Clients, true)
				rr.side(t.Peer, 0).Add(st)
				p50[b2i(t.Peer)] = st.Percentile(50)
			}
			if p50[1] > 0 {
				rr.RoundRatios = append(rr.RoundRatios, float64(p50[0])/float64(p50[1]))
			}
			for _, t := range pair {
				if cfg.Single > 0 {
					rr.side(t.Peer, 2).Add(phase(ctx, t, rt, cfg.Single, 1, true))
				}
			}
		}
		logf("round %d/%d done", r+1, cfg.Rounds)
	}
	rep.Memory = map[string]Memory{}
	for _, t := range []*Target{ours, peer} {
		served := 0
		for i := range rep.Routes {
			for k := range 3 {
				served += rep.Routes[i].side(t.Peer, k).N
			}
		}
		if rss, err := t.Srv.WorkerdRSS(); err == nil {
			rep.Memory[t.Name] = Memory{RSS: rss, Requests: served}
		} else {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: workerd memory: %v", t.Name, err))
		}
	}
	peer.Stop()

	// 4. The widget in Chromium, against ours.
	if cfg.Browser > 0 {
		b, err := measureBrowser(ctx, ours, cfg.Browser, logf)
		if err != nil {
			rep.Problems = append(rep.Problems, "browser: "+err.Error())
		}
		if b != nil && len(b.First) > 0 {
			rep.Browser = b
		}
	}
	ours.Stop()

	// 5. The instrumented copies, one at a time.
	if cfg.Profile > 0 {
		if err := profileAll(ctx, rep, root, cfg, logf); err != nil {
			rep.Problems = append(rep.Problems, "profile: "+err.Error())
		}
	}

	// 6. Sizes.
	if cfg.Sizes {
		rep.Sizes = Sizes(root)
	}
	return rep, nil
}

func coldStarts(ctx context.Context, rep *Report, name string, peer bool, opts wranglertest.Options, cfg Config, logf func(string, ...any)) (*Target, error) {
	cold := Cold{Name: name}
	if opts.ReadyPath == "" {
		cold.Note = "no static file to wait on: wrangler's ready probe was the worker's first request, so these are not cold"
	}
	var t *Target
	for k := 0; k < cfg.ColdStarts; k++ {
		var err error
		if t == nil {
			t, err = startTarget(ctx, name, peer, opts, cfg.Clients)
		} else {
			err = t.Srv.Restart(ctx)
		}
		if err != nil {
			if t != nil {
				t.Stop()
			}
			return nil, err
		}
		first, second, _, err := firstRequests(ctx, t)
		if err != nil {
			t.Stop()
			return nil, err
		}
		s := ColdSample{Startup: t.Srv.StartupTime(), First: first, Second: second}
		cold.Samples = append(cold.Samples, s)
		logf("%s fresh start %d/%d on %s: wrangler up after %v; first request %v, second %v",
			name, k+1, cfg.ColdStarts, t.Srv.URL, s.Startup.Round(time.Millisecond), first.Round(10*time.Microsecond), second.Round(10*time.Microsecond))
	}
	rep.Cold = append(rep.Cold, cold)
	return t, nil
}

// profileAll runs the instrumented copies: ours, the peer, and ours with its
// default rate limits.
func profileAll(ctx context.Context, rep *Report, root string, cfg Config, logf func(string, ...any)) error {
	tmp, err := os.MkdirTemp("", "bench-instrumented-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	oursDir, peerCopy := filepath.Join(tmp, "ours"), filepath.Join(tmp, "peer")
	if err := instrumented(filepath.Join(root, "build"), oursDir, "build", filepath.Join(root, "wrangler.toml"), "./worker.mjs"); err != nil {
		return err
	}
	if err := instrumented(peerDir(root), peerCopy, "", filepath.Join(peerDir(root), "wrangler.toml"), "./worker.js"); err != nil {
		return err
	}
	ready := oursReadyPath(filepath.Join(root, "build"))
	type spec struct {
		name string
		peer bool
		opts wranglertest.Options
	}
	specs := []spec{
		{"ours", false, wranglertest.Options{AppDir: oursDir, ReadyPath: ready, Vars: benchVars, Log: cfg.WranglerLog}},
		{"peer", true, wranglertest.Options{AppDir: peerCopy, ReadyPath: peerReadyPath, Vars: benchVars, Log: cfg.WranglerLog}},
	}
	if cfg.ProfileRateLimits {
		specs = append(specs, spec{"ours+limits", false, wranglertest.Options{AppDir: oursDir, ReadyPath: ready, Log: cfg.WranglerLog}})
	}
	var org *Org
	for _, sp := range specs {
		err := func() error {
			opts := sp.opts
			t, err := startTarget(ctx, sp.name, sp.peer, opts, 1)
			if err != nil {
				return err
			}
			defer t.Stop()
			_, _, cold, err := firstRequests(ctx, t)
			if err != nil {
				return err
			}
			p := Profile{Target: sp.name}
			if cold != nil {
				p.Cold = cold.Cold
			}
			if !sp.peer {
				if st, b, _, err := t.do(ctx, "GET", "/__bench/output", nil, nil); err == nil && st == http.StatusOK {
					p.Inits, p.InitMs, p.InitEndMs = parseInits(string(b))
				}
			}
			if err := t.Setup(ctx, org, cfg.Clients, cfg.Sessions, cfg.Principal); err != nil {
				return err
			}
			if !sp.peer && org == nil {
				o := t.org
				org = &o
			}
			p.Routes = profileRoutes(ctx, t, cfg.Profile, cfg.Clients)
			rep.Profiles = append(rep.Profiles, p)
			logf("profiled %s (instrumented, %d requests per route, one at a time)", sp.name, cfg.Profile)
			return nil
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", sp.name, err)
		}
	}
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func versions(root string) string {
	parts := []string{runtime.Version(), fmt.Sprintf("%d CPUs", runtime.NumCPU())}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		parts = append(parts, "node "+strings.TrimSpace(string(out)))
	}
	for _, pkg := range []string{"wrangler", "jose"} {
		if b, err := os.ReadFile(filepath.Join(root, "node_modules", pkg, "package.json")); err == nil {
			if i := strings.Index(string(b), `"version"`); i >= 0 {
				v := strings.SplitN(string(b[i:]), `"`, 5)
				if len(v) >= 4 {
					parts = append(parts, pkg+" "+v[3])
				}
			}
		}
	}
	return strings.Join(parts, ", ")
}
