//go:build !js

package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// Config says how much load the bench sends and what else it measures.
type Config struct {
	Clients  int // concurrent clients of a route phase, each its own principal
	Requests int // requests per route, per worker, per round
	Rounds   int // rounds; each alternates which worker goes first, route by route
	Warmup   int // requests per route and worker before the first round, reported apart
	Single   int // requests per route, worker and round of one client alone after the Clients phase (0: none)
	Sessions int // sessions each listing principal owns (the GET listing's length)
	// Principal is the token kind of the session routes: "verified" (their
	// checks read revoked/) or "contact".
	Principal  string
	ColdStarts int // fresh starts of each worker timing its first request (at least the one the load runs on)
	// Profile is how many requests per route the instrumented copies of both
	// workers get, one at a time, to count KV calls and split the time (0: none).
	Profile           int
	ProfileRateLimits bool // also profile ours with its default rate limits on
	Browser           int  // fresh Chromium profiles loading the widget (0: none)
	// MemoryRequests is how many requests each worker has served in all
	// (warm-up, rounds, one client alone, then the routes in turn as needed)
	// when its isolate's memory is read the second time, after the warm-up's.
	MemoryRequests int
	Sizes          bool // measure the shipped files as `make size` does

	Log         io.Writer // progress lines; nil discards them
	WranglerLog io.Writer // wrangler's output; nil keeps it for errors only
}

// DefaultConfig is what `make bench` runs.
func DefaultConfig() Config {
	return Config{Clients: 4, Requests: 200, Rounds: 3, Warmup: 500, Single: 100, Sessions: 3, Principal: "verified",
		ColdStarts: 7, Profile: 30, ProfileRateLimits: true, Browser: 3, Sizes: true, MemoryRequests: 10000}
}

// RouteResult is one row of the table. Each pair is ours' [0] and the
// peer's [1]: the load over all rounds, the warm-up before them (how each
// worker does while V8 is still optimising it), one client alone.
type RouteResult struct {
	Route              string
	Extra              bool
	Load, Warm, Single [2]Stats
	RoundRatios        []float64 // each round's p50 ours/peer: how far one round moves
}

// Memory is a workerd process's resident memory after the requests it served.
type Memory struct {
	RSS      int64
	Requests int
}

// Report is everything one run measured.
type Report struct {
	Config                      Config
	Started                     time.Time
	Elapsed                     time.Duration
	LoadAvgBefore, LoadAvgAfter string
	Versions                    string

	Routes []RouteResult
	Memory map[string]Memory // each worker's workerd memory after the load (absent: not read)
	// Isolate is each worker's isolate memory after the warm-up and after
	// Config.MemoryRequests (or the load, if more), in that order.
	Isolate  map[string][]IsolateMemory
	Cold     []Cold
	Profiles []Profile
	Sizes    []Size
	Browser  *Browser
	Problems []string // what failed or could not be measured
	// Targets are the workers the load ran on (stopped by the time Run
	// returns), for tests: their orgs, JWKS and principals' tokens.
	Targets []*Target `json:"-"`
}

// Run runs the bench: both workers under wrangler dev, their cold starts, the
// load in interleaved rounds, then (as configured) the browser, the
// instrumented profile and the sizes.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Requests < 1 || cfg.Rounds < 1 || cfg.Sessions < 1 {
		return nil, errors.New("bench: Clients, Requests, Rounds and Sessions must be at least 1")
	}
	cfg.ColdStarts = max(cfg.ColdStarts, 1)
	cfg.Principal = cmp.Or(cfg.Principal, "verified")
	cfg.Log = cmp.Or(cfg.Log, io.Discard)
	logf := func(format string, a ...any) { fmt.Fprintf(cfg.Log, "bench: "+format+"\n", a...) }

	root, err := wranglertest.RepoRoot()
	if err != nil {
		return nil, err
	}
	rep := &Report{Config: cfg, Started: time.Now(), LoadAvgBefore: loadAvg(), Versions: versions(root)}
	defer func() { rep.Elapsed = time.Since(rep.Started); rep.LoadAvgAfter = loadAvg() }()

	// 1. Cold starts, one worker at a time; the last start of each stays up.
	var both [2]*Target // ours, peer
	defer func() { both[0].Stop(); both[1].Stop() }()
	for i, w := range workers {
		if both[i], err = coldStarts(ctx, rep, w, w.options(root, "", cfg), cfg, logf); err != nil {
			return rep, err
		}
	}
	ours, peer := both[0], both[1]
	rep.Targets = both[:]

	// 2. The same org in both; principals and their sessions.
	for _, t := range both {
		if err := t.Setup(ctx, &ours.org, cfg.Clients, cfg.Sessions, cfg.Principal); err != nil {
			return rep, fmt.Errorf("setup: %w", err)
		}
	}
	logf("org %s in both workers; %d %s principals with %d sessions each", ours.org.Org.ID, cfg.Clients, cfg.Principal, cfg.Sessions)

	// 3. Warm-up, then the rounds: route by route, both workers back to back,
	// the first of the two alternating.
	rep.Routes = make([]RouteResult, len(Routes))
	var served [2]int // requests each worker has served since the setup
	for i, rt := range Routes {
		rr := &rep.Routes[i]
		*rr = RouteResult{Route: rt.Name, Extra: rt.Extra, Load: [2]Stats{{Statuses: map[int]int{}}, {Statuses: map[int]int{}}}}
		for k, t := range both {
			if cfg.Warmup > 0 {
				rr.Warm[k] = phase(ctx, t, rt, cfg.Warmup, cfg.Clients, nil)
				served[k] += rr.Warm[k].N
				if st := rr.Warm[k]; st.Errors > 0 {
					rep.Problems = append(rep.Problems, fmt.Sprintf("warm-up %s %s: %d errors, first: %s", t.Name, rt.Name, st.Errors, st.FirstError))
				}
			}
		}
	}
	rep.Isolate = map[string][]IsolateMemory{}
	readIsolates := func() {
		for k, t := range both {
			m, err := t.isolateMemory(ctx, root, served[k])
			if err != nil {
				rep.Problems = append(rep.Problems, "isolate memory: "+err.Error())
				continue
			}
			rep.Isolate[t.Name] = append(rep.Isolate[t.Name], m)
			logf("%s isolate memory after %d requests: %s (heap %s live, %s held; WebAssembly %s)", t.Name, served[k], mib(m.Total()), mib(m.HeapUsed), mib(m.HeapTotal), mib(m.Wasm))
		}
	}
	readIsolates()
	for r := 0; r < cfg.Rounds; r++ {
		for i, rt := range Routes {
			rr := &rep.Routes[i]
			first := (r + i) % 2 // who goes first alternates
			order := []int{first, 1 - first}
			var p50 [2]time.Duration
			for _, k := range order {
				if err := ctx.Err(); err != nil {
					return rep, err
				}
				st := phase(ctx, both[k], rt, cfg.Requests, cfg.Clients, nil)
				rr.Load[k].Add(st)
				served[k] += st.N
				p50[k] = st.Percentile(50)
			}
			if p50[1] > 0 {
				rr.RoundRatios = append(rr.RoundRatios, float64(p50[0])/float64(p50[1]))
			}
			for _, k := range order {
				if cfg.Single > 0 {
					st := phase(ctx, both[k], rt, cfg.Single, 1, nil)
					rr.Single[k].Add(st)
					served[k] += st.N
				}
			}
		}
		logf("round %d/%d done", r+1, cfg.Rounds)
	}
	// Up to MemoryRequests, the routes in turn (not timed), then the
	// isolates' memory again.
	for k, t := range both {
		for i := 0; served[k] < cfg.MemoryRequests; i = (i + 1) % len(Routes) {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			st := phase(ctx, t, Routes[i], min(cfg.Requests, cfg.MemoryRequests-served[k]), cfg.Clients, nil)
			served[k] += st.N
			if st.Errors > 0 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("requests up to %d for memory, %s %s: %d errors, first: %s", cfg.MemoryRequests, t.Name, Routes[i].Name, st.Errors, st.FirstError))
			}
			if st.N == 0 {
				break // no answers at all: the problem says why
			}
		}
	}
	readIsolates()
	rep.Memory = map[string]Memory{}
	for k, t := range both {
		if u, err := t.Srv.Workerd(); err == nil {
			rep.Memory[t.Name] = Memory{RSS: u.RSS, Requests: served[k]}
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
	if cfg.Sizes {
		rep.Sizes = Sizes(root)
	}
	return rep, nil
}

func coldStarts(ctx context.Context, rep *Report, w worker, opts wranglertest.Options, cfg Config, logf func(string, ...any)) (t *Target, err error) {
	cold := Cold{Name: w.name}
	defer func() {
		if err != nil && t != nil {
			t.Stop()
		}
	}()
	for k := 0; k < cfg.ColdStarts; k++ {
		if t == nil {
			if t, err = w.start(ctx, w.name, opts, cfg.Clients); err != nil {
				return nil, err
			}
		} else if err = t.Srv.Restart(ctx); err != nil {
			return nil, err
		}
		d, _, err := firstRequests(ctx, t)
		if err != nil {
			return nil, err
		}
		s := ColdSample{Startup: t.Srv.StartupTime(), First: d[0], Second: d[1]}
		cold.Samples = append(cold.Samples, s)
		logf("%s fresh start %d/%d on %s: wrangler up after %v; first request %v, second %v",
			w.name, k+1, cfg.ColdStarts, t.Srv.URL, s.Startup.Round(time.Millisecond), s.First.Round(10*time.Microsecond), s.Second.Round(10*time.Microsecond))
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
	type spec struct {
		name string
		w    worker
		opts wranglertest.Options
	}
	var specs []spec
	for _, w := range workers {
		if err := w.instrumented(root, filepath.Join(tmp, w.name)); err != nil {
			return err
		}
		specs = append(specs, spec{w.name, w, w.options(root, filepath.Join(tmp, w.name), cfg)})
	}
	if cfg.ProfileRateLimits {
		limits := specs[0]
		limits.name, limits.opts.Vars = "ours+limits", nil
		specs = append(specs, limits)
	}
	var org *contract.OrgCreated
	for _, sp := range specs {
		if err := func() error {
			t, err := sp.w.start(ctx, sp.name, sp.opts, 1)
			if err != nil {
				return err
			}
			defer t.Stop()
			_, cold, err := firstRequests(ctx, t)
			if err != nil {
				return err
			}
			p := Profile{Target: sp.name, Cold: cold}
			if !t.Peer {
				if r, err := t.client.Do(ctx, "GET", "/__bench/output", nil); err == nil && r.Status == http.StatusOK {
					p.Inits, p.InitMs, p.InitEndMs = parseInits(string(r.Body))
				}
			}
			if err := t.Setup(ctx, org, cfg.Clients, cfg.Sessions, cfg.Principal); err != nil {
				return err
			}
			org = cmp.Or(org, &t.org) // the first target's, which the peer is seeded with
			p.Routes = profileRoutes(ctx, t, cfg.Profile)
			rep.Profiles = append(rep.Profiles, p)
			logf("profiled %s (instrumented, %d requests per route, one at a time)", sp.name, cfg.Profile)
			return nil
		}(); err != nil {
			return fmt.Errorf("%s: %w", sp.name, err)
		}
	}
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "n/a"
}

var versionField = regexp.MustCompile(`"version"\s*:\s*"([^"]*)"`)

func versions(root string) string {
	parts := []string{runtime.Version(), fmt.Sprintf("%d CPUs", runtime.NumCPU())}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		parts = append(parts, "node "+strings.TrimSpace(string(out)))
	}
	for _, pkg := range []string{"wrangler", "jose"} {
		b, _ := os.ReadFile(filepath.Join(root, "node_modules", pkg, "package.json"))
		if m := versionField.FindSubmatch(b); m != nil {
			parts = append(parts, pkg+" "+string(m[1]))
		}
	}
	return strings.Join(parts, ", ")
}
