//go:build !js

package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// Goals: issue 5's (every route's p50 within 1.2× of the peer's; the
// launcher shown within 100 ms of DOMContentLoaded) and issue 18's (p50 at
// one client within 1.1× of the peer's).
const (
	RatioGoal      = 1.2
	LauncherGoalMs = 100
	SingleGoal     = 1.1

	launcherGoalStr = "launcher ≤ 100 ms"
)

var sides = [2]string{"ours", "peer"}

// ms64 is d in milliseconds, for a %.2f.
func ms64(d time.Duration) float64 { return d.Seconds() * 1000 }

func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0fms", f)
	case f >= 10:
		return fmt.Sprintf("%.1fms", f)
	default:
		return fmt.Sprintf("%.2fms", f)
	}
}

func msf(f float64) string { return ms(time.Duration(f * float64(time.Millisecond))) }

// A goal bounds the ratio ours/peer of one figure of every route but the
// extra ones; of is the figure on both workers, false when either was not
// measured.
type goal struct {
	name  string
	limit float64
	of    func(RouteResult) (o, p time.Duration, ok bool)
}

var (
	p50Goal = goal{"p50 ≤ 1.2× peer", RatioGoal, func(rr RouteResult) (time.Duration, time.Duration, bool) { return p50s(rr.Load) }}
	// The isolate's own process where both workers' were told apart (the
	// issue's "CPU per request of the isolate"), else all their workerd.
	cpuGoal = goal{"workerd CPU per request ≤ 1.0× peer", 1, func(rr RouteResult) (time.Duration, time.Duration, bool) {
		o, p := &rr.Load[0], &rr.Load[1]
		if o.IsolateN > 0 && p.IsolateN > 0 {
			return o.IsolateCPUPerRequest(), p.IsolateCPUPerRequest(), true
		}
		return o.CPUPerRequest(), p.CPUPerRequest(), o.CPUN > 0 && p.CPUN > 0
	}}
	singleGoal = goal{"p50 at 1 client ≤ 1.1× peer", SingleGoal, func(rr RouteResult) (time.Duration, time.Duration, bool) { return p50s(rr.Single) }}
)

// check is rr's figures, their ratio and its mark: ok, MISS, or (extra) on
// an extra row; ok is false when they were not measured.
func (g goal) check(rr RouteResult) (o, p time.Duration, x float64, mark string, ok bool) {
	if o, p, ok = g.of(rr); !ok || p <= 0 {
		return o, p, 0, "not measured", false
	}
	x, mark = float64(o)/float64(p), "MISS"
	switch {
	case rr.Extra:
		mark = "(extra)"
	case x <= g.limit:
		mark = "ok"
	}
	return o, p, x, mark, true
}

// summary is how many of the routes of the goal met it (one not measured
// did not) and the worst.
func (g goal) summary(routes []RouteResult) string {
	met, of, worst, worstRoute := 0, 0, 0.0, ""
	for _, rr := range routes {
		if rr.Extra {
			continue
		}
		of++
		_, _, x, mark, ok := g.check(rr)
		if mark == "ok" {
			met++
		}
		if ok && x > worst {
			worst, worstRoute = x, rr.Route
		}
	}
	if worstRoute == "" {
		return fmt.Sprintf("%s: %d of %d routes (none measured)", g.name, met, of)
	}
	return fmt.Sprintf("%s: %d of %d routes (worst %.2f×, %s)", g.name, met, of, worst, worstRoute)
}

// p50s is ours' and the peer's p50 of s, false when either has none.
func p50s(s [2]Stats) (o, p time.Duration, ok bool) {
	return s[0].Percentile(50), s[1].Percentile(50), len(s[0].Latencies) > 0 && len(s[1].Latencies) > 0
}

// name is the route, starred when extra.
func (rr RouteResult) name() string {
	if rr.Extra {
		return rr.Route + " *"
	}
	return rr.Route
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISS"
}

// thousands writes n ≥ 0 with commas: 1,000,000.
func thousands(n int64) string {
	if n < 1000 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%s,%03d", thousands(n/1000), n%1000)
}

// Print writes the report as text: the table, cold starts, KV calls and time
// split, sizes, browser timings and the goals.
func Print(w io.Writer, r *Report) {
	c := r.Config
	fmt.Fprintf(w, `== make bench: the Go worker (ours) against a JavaScript peer (jose), each under wrangler dev on loopback
%s; load average %s before, %s after; %v in all
load: %d clients at once, %d requests per route per worker per round, %d rounds (route by route, who goes first alternating), after %d warm-up
      requests per route and worker (V8 first runs WebAssembly with its baseline compiler and optimises a function once it has run
      enough; the warm-up's own figures are below the table);
      %s tokens on the session routes, %d sessions per listing principal, a new device per contact; both workers' rate limits off

`, r.Versions, r.LoadAvgBefore, r.LoadAvgAfter, r.Elapsed.Round(time.Second), c.Clients, c.Requests, c.Rounds, c.Warmup, c.Principal, c.Sessions)
	for _, f := range []func(io.Writer, *Report){printTable, printIsolate, printCold, printProfiles, printSizes, printBrowser, printGoals} {
		f(w, r)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems:\n  - %s\n", strings.Join(r.Problems, "\n  - "))
	}
}

func printTable(w io.Writer, r *Report) {
	if len(r.Routes) == 0 {
		return
	}
	fmt.Fprintf(w, "%-40s %9s %9s %7s │ %9s %9s %7s │ %8s  %s\n%s\n", "route", "ours p50", "p99", "rps", "peer p50", "p99", "rps", "p50 o/p", p50Goal.name, strings.Repeat("─", 122))
	var errs, rounds, warm []string
	warmN := 0
	for _, rr := range r.Routes {
		o, p := &rr.Load[0], &rr.Load[1]
		o50, p50, x, mark, _ := p50Goal.check(rr)
		fmt.Fprintf(w, "%-40s %9s %9s %7.0f │ %9s %9s %7.0f │ %7.2f×  %s\n", rr.name(),
			ms(o50), ms(o.Percentile(99)), o.RPS(), ms(p50), ms(p.Percentile(99)), p.RPS(), x, mark)
		for k, s := range rr.Load {
			if s.Errors > 0 {
				errs = append(errs, fmt.Sprintf("%s %s: %d of %d failed (%s), first: %s", sides[k], rr.Route, s.Errors, s.N, statuses(s.Statuses), s.FirstError))
			}
		}
		if rr.Extra {
			continue
		}
		if len(rr.RoundRatios) >= 2 {
			rs := make([]string, len(rr.RoundRatios))
			for i, x := range rr.RoundRatios {
				rs[i] = fmt.Sprintf("%.2f×", x)
			}
			rounds = append(rounds, rr.Route+" "+strings.Join(rs, " "))
		}
		if rr.Warm[0].N > 0 && rr.Warm[1].N > 0 {
			o, p, _ := p50s(rr.Warm)
			warmN = rr.Warm[0].N
			warm = append(warm, fmt.Sprintf("%s %s/%s (%.2f×)", strings.Fields(rr.Route)[1], ms(o), ms(p), float64(o)/float64(p)))
		}
	}
	fmt.Fprint(w, `* extra rows, not among the four routes of the goal: POST /v1/widget/sessions (a new chat: 3 KV puts) and
  GET /.well-known/jwks.json (no KV, no crypto: what any request costs around the handler)
p50/p99: latency seen by the client over all rounds; rps: requests answered per second of wall time, all clients together
CPU per request under the load (user + system from /proc, 10 ms ticks, all rounds): of the workerd process that runs the
isolate, which also runs wrangler dev's local KV (the same calls for both), the goal's figure; then of both workerd
processes, wrangler's proxy in front included:
`)
	for _, rr := range r.Routes {
		o, p := &rr.Load[0], &rr.Load[1]
		all := ""
		if o.CPUN > 0 && p.CPUN > 0 && p.CPU > 0 {
			all = fmt.Sprintf("  │ with the proxy %6.2f  %6.2f  %5.2f×", ms64(o.CPUPerRequest()), ms64(p.CPUPerRequest()), float64(o.CPUPerRequest())/float64(p.CPUPerRequest()))
		}
		switch oc, pc, x, mark, ok := cpuGoal.check(rr); {
		case !ok:
			fmt.Fprintf(w, "  %-40s %s\n", rr.Route, mark)
		case o.IsolateN == 0 || p.IsolateN == 0:
			fmt.Fprintf(w, "  %-40s the isolate's process not told apart; both: ours %6.2f ms  peer %6.2f ms  %5.2f×  %s\n", rr.Route, ms64(oc), ms64(pc), x, mark)
		default:
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-40s ours %6.2f ms  peer %6.2f ms  %5.2f×  %-7s%s", rr.Route, ms64(oc), ms64(pc), x, mark, all), " "))
		}
	}
	if r.Routes[0].Single[0].N > 0 {
		fmt.Fprintf(w, "one client alone (%d requests per route per worker per round, after the round's %d clients):\n", r.Config.Single, r.Config.Clients)
		for _, rr := range r.Routes {
			if o, p, x, mark, ok := singleGoal.check(rr); ok {
				fmt.Fprintf(w, "  %-40s ours p50 %9s p99 %9s  peer p50 %9s p99 %9s  %5.2f×  %s\n", rr.Route, ms(o), ms(rr.Single[0].Percentile(99)),
					ms(p), ms(rr.Single[1].Percentile(99)), x, mark)
			}
		}
	}
	if len(r.Memory) > 0 {
		fmt.Fprintf(w, "workerd resident memory after the load (VmRSS: the isolate, the runtime and wrangler dev's local KV):")
		for _, name := range sides {
			if m, ok := r.Memory[name]; ok {
				fmt.Fprintf(w, " %s %.1f MiB after %s requests;", name, float64(m.RSS)/(1<<20), thousands(int64(m.Requests)))
			}
		}
		fmt.Fprintln(w)
	}
	if len(rounds) > 0 {
		fmt.Fprintf(w, "p50 ours/peer round by round (how much one round moves on this machine):\n  %s\n", strings.Join(rounds, "; "))
	}
	// What the first requests of a fresh isolate cost, before V8 has
	// optimised the Go worker's WebAssembly.
	if len(warm) > 0 {
		fmt.Fprintf(w, "warm-up, the %d requests per route before the rounds, p50 ours/peer:\n  %s\n", warmN, strings.Join(warm, "; "))
	}
	if len(errs) == 0 {
		fmt.Fprintf(w, "every answer had the expected status and body, on both workers\n\n")
	} else {
		fmt.Fprintf(w, "ERRORS:\n  %s\n\n", strings.Join(errs, "\n  "))
	}
}

// printIsolate prints each worker's isolate memory at each reading and,
// from the second, the goal's verdicts.
func printIsolate(w io.Writer, r *Report) {
	if len(r.Isolate) == 0 {
		return
	}
	fmt.Fprint(w, `isolate memory, read through wrangler dev's V8 inspector after a full collection (HeapProfiler.collectGarbage):
= JavaScript heap V8 holds (its live objects) + workerd's objects + ArrayBuffers outside the heap + WebAssembly memory, which
V8's heap figures leave out (ours' Go heap and stacks: TinyGo's linear memory); compiled code is not in it; flat = the live
figure grows by at most 10% or 1 MiB, whichever is larger, after the warm-up:
`)
	for _, name := range sides {
		ms := r.Isolate[name]
		for i, m := range ms {
			when := ""
			if i == 0 && r.Config.Warmup > 0 {
				when = " (the warm-up)"
			}
			line := fmt.Sprintf("  %-5s after %6s requests%-14s %5.2f (%.2f) + %.2f + %.2f + %.2f = %6.2f MiB", name, thousands(int64(m.Requests)), when,
				mibf(m.HeapTotal), mibf(m.HeapUsed), mibf(m.Embedder), mibf(m.Backing), mibf(m.Wasm), mibf(m.Total()))
			if i > 0 {
				ok, growth := flat(ms[0], m)
				line += fmt.Sprintf("   live %+.2f MiB (%+.0f%%): %s; ≤ 32 MiB: %s", mibf(growth), 100*float64(growth)/float64(ms[0].Live()), flatMark(ok), mark(m.Total() <= MemoryGoal))
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintln(w)
}

func mibf(n int64) float64 { return float64(n) / (1 << 20) }

func flatMark(ok bool) string {
	if ok {
		return "flat"
	}
	return "GROWS"
}

// memorySummary is the isolate memory goal's verdict on ours, with the
// peer's figures beside it; "" when ours was not read twice.
func memorySummary(r *Report) string {
	ms := r.Isolate["ours"]
	if len(ms) < 2 {
		return ""
	}
	first, last := ms[0], ms[len(ms)-1]
	ok, growth := flat(first, last)
	s := fmt.Sprintf("%s: %s (ours %.2f MiB after %s requests, live %+.2f MiB after the warm-up",
		memoryGoalStr, mark(ok && last.Total() <= MemoryGoal), mibf(last.Total()), thousands(int64(last.Requests)), mibf(growth))
	if ps := r.Isolate["peer"]; len(ps) >= 2 {
		_, pg := flat(ps[0], ps[len(ps)-1])
		s += fmt.Sprintf("; peer %.2f MiB, %+.2f MiB", mibf(ps[len(ps)-1].Total()), mibf(pg))
	}
	return s + ")"
}

func statuses(m map[int]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d×%d", m[k], k))
	}
	return strings.Join(parts, " ")
}

func printCold(w io.Writer, r *Report) {
	if len(r.Cold) == 0 {
		return
	}
	fmt.Fprintf(w, "cold start: the worker's first request after a fresh `wrangler dev` start (wrangler waited on a static file, not the worker);\n")
	fmt.Fprintf(w, "GET /.well-known/jwks.json (no KV), new connection; median [min–max] of %d fresh starts\n", r.Config.ColdStarts)
	for _, cs := range r.Cold {
		var first, second, up []time.Duration
		for _, s := range cs.Samples {
			first, second, up = append(first, s.First), append(second, s.Second), append(up, s.Startup)
		}
		fmt.Fprintf(w, "  %-5s first %8s [%s–%s]   the next one %7s   wrangler up in %v\n", cs.Name,
			ms(median(first)), ms(slices.Min(first)), ms(slices.Max(first)), ms(median(second)), median(up).Round(100*time.Millisecond))
	}
	for _, p := range r.Profiles {
		if p.Cold == nil || p.Target == "ours+limits" {
			continue
		}
		s := p.Cold
		fmt.Fprintf(w, "  %-5s inside the isolate (instrumented copy, one start): first request %s", p.Target, msf(s.TotalMs))
		if s.InstantiateMs != nil {
			fmt.Fprintf(w, " = %s module load until WebAssembly.Instance + %s new WebAssembly.Instance", msf(*s.BeforeInstantiateMs), msf(*s.InstantiateMs))
			rest := s.TotalMs - *s.BeforeInstantiateMs - *s.InstantiateMs
			if s.RunToReadyMs != nil {
				fmt.Fprintf(w, " + %s go.run until ready (Go runtime, config, api.New)", msf(*s.RunToReadyMs))
				rest -= *s.RunToReadyMs
			}
			fmt.Fprintf(w, " + %s serving the request", msf(rest))
		} else if !strings.HasPrefix(p.Target, "ours") {
			fmt.Fprintf(w, " (importing the Ed25519 key, the JWKS)")
		}
		fmt.Fprintln(w)
		if len(p.Inits) > 0 {
			var top []string
			for _, in := range p.Inits[:min(6, len(p.Inits))] {
				top = append(top, fmt.Sprintf("%s %.1f", in.Pkg, in.Ms))
			}
			fmt.Fprintf(w, "        of go.run until ready: %.0f ms until main.main (runtime start and package inits, %.0f ms of it in init functions;\n", p.InitEndMs, p.InitMs)
			fmt.Fprintf(w, "        slowest, ms: %s)", strings.Join(top, ", "))
			if s.RunToReadyMs != nil {
				fmt.Fprintf(w, ", then %.0f ms in main (config, api.New, bridge.Register, ready)", *s.RunToReadyMs-p.InitEndMs)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintln(w)
}

func kvCalls(p RouteProfile) string {
	if p.N == 0 {
		return "n/a"
	}
	s := fmt.Sprintf("%g: %gg %gp %gl", p.Ops(), p.Get, p.Put, p.List)
	for _, x := range []struct {
		f string
		n float64
	}{{" %.2gd", p.Delete}, {" +%.2gs", p.Sign}, {" +%.2gv", p.Verify}} {
		if x.n > 0 {
			s += fmt.Sprintf(x.f, x.n)
		}
	}
	return s
}

func printProfiles(w io.Writer, r *Report) {
	if len(r.Profiles) == 0 {
		return
	}
	byName := map[string]Profile{}
	for _, p := range r.Profiles {
		byName[p.Target] = p
	}
	limits, hasLimits := byName["ours+limits"]
	fmt.Fprintf(w, `KV calls per request (g get, p put, l list; +s/+v: WebCrypto Ed25519 signs/verifies) and where the time goes, from
instrumented copies of both workers (instrument.mjs wraps the entry, CHAT_KV and crypto.subtle), %d requests per route one at a
time. in isolate = waiting on KV + the rest (the worker's own work; for ours Go, the bridge and the KV binding's conversions),
means in ms; (client): median ms the bench saw, wrangler dev's proxy included
`, r.Config.Profile)
	hdr := fmt.Sprintf("%-40s %-18s %-18s │ %-28s %-28s", "route", "ours KV calls", "peer KV calls", "ours in isolate = kv + rest", "peer in isolate = kv + rest")
	if hasLimits {
		hdr += " │ ours, limits on"
	}
	fmt.Fprintf(w, "%s\n%s\n", hdr, strings.Repeat("─", len([]rune(hdr))+2))
	split := func(x RouteProfile) string {
		if x.N == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f = %.1f + %.1f (%.1f)", x.TotalMs, x.KVms, x.OtherMs, float64(x.Client)/float64(time.Millisecond))
	}
	at := func(p Profile, i int) RouteProfile {
		if i < len(p.Routes) {
			return p.Routes[i]
		}
		return RouteProfile{}
	}
	var calls []string
	for i, rt := range Routes {
		o, p, l := at(byName["ours"], i), at(byName["peer"], i), at(limits, i)
		line := fmt.Sprintf("%-40s %-18s %-18s │ %-28s %-28s", RouteResult{Route: rt.Name, Extra: rt.Extra}.name(), kvCalls(o), kvCalls(p), split(o), split(p))
		if hasLimits && i < len(limits.Routes) {
			line += " │ " + kvCalls(l)
		}
		fmt.Fprintln(w, line)
		for k, x := range []RouteProfile{o, p, l} {
			if x.Errors > 0 {
				fmt.Fprintf(w, "    %s: %d errors, first: %s\n", []string{"ours", "peer", "ours+limits"}[k], x.Errors, x.FirstError)
			}
		}
		if o.N > 0 {
			calls = append(calls, fmt.Sprintf("%s %.0f", strings.Fields(rt.Name)[1], o.JSCalls))
		}
	}
	if len(calls) > 0 {
		fmt.Fprintf(w, "ours' calls from Go into JavaScript per request (syscall/js but its GC's finalizeRef, and the Go runtime's clock and randomness; counted by instrument.mjs):\n  %s\n", strings.Join(calls, "; "))
	}
	fmt.Fprintln(w)
}

func printSizes(w io.Writer, r *Report) {
	if len(r.Sizes) == 0 {
		return
	}
	fmt.Fprintf(w, "%-32s %12s %12s %12s   %s\n", "sizes (make size)", "raw", "gzip -9", "brotli", "goal (1 MB = 1,000,000 B)")
	for _, s := range r.Sizes {
		if s.Err != "" {
			fmt.Fprintf(w, "%-32s %s\n", s.File, s.Err)
			continue
		}
		goal := ""
		if s.Limit > 0 {
			goal = fmt.Sprintf("%s: %s (%.2f× the limit)", s.Goal, mark(s.Gzip <= s.Limit), float64(s.Gzip)/float64(s.Limit))
		}
		fmt.Fprintf(w, "%-32s %12s %12s %12s   %s\n", s.File, thousands(s.Raw), thousands(s.Gzip), thousands(s.Brotli), goal)
	}
	fmt.Fprintf(w, "brotli by node zlib, quality 11\n\n")
}

// medianOf is the median, min and max of f over loads.
func medianOf(loads []BrowserLoad, f func(BrowserLoad) float64) (med, lo, hi float64) {
	if len(loads) == 0 {
		return 0, 0, 0
	}
	v := make([]float64, 0, len(loads))
	for _, l := range loads {
		v = append(v, f(l))
	}
	return median(v), slices.Min(v), slices.Max(v)
}

func launcher(l BrowserLoad) float64 { return l.Launcher }

func printBrowser(w io.Writer, r *Report) {
	b := r.Browser
	if b == nil {
		return
	}
	fmt.Fprintf(w, "browser: headless Chromium (fresh profile each), a host page on its own loopback origin embedding ours' widget.js as the contract shows;\n")
	fmt.Fprintf(w, "ms after the host page's DOMContentLoaded, median [min–max] of %d; first visit (empty cache) and a reload in the same browser\n", len(b.First))
	row := func(label string, f func(BrowserLoad) float64, goal string) {
		m1, lo1, hi1 := medianOf(b.First, f)
		m2, lo2, hi2 := medianOf(b.Repeat, f)
		fmt.Fprintf(w, "  %-52s %6.0f [%4.0f–%4.0f]   %6.0f [%4.0f–%4.0f]   %s\n", label, m1, lo1, hi1, m2, lo2, hi2, goal)
	}
	fmt.Fprintf(w, "  %-52s %19s   %19s\n", "", "first visit", "repeat visit")
	m, _, _ := medianOf(b.First, launcher)
	row("launcher shown ([data-widget=launcher] laid out)", launcher, launcherGoalStr+": "+mark(m <= LauncherGoalMs))
	row("launcher painted (the next animation frame)", func(l BrowserLoad) float64 { return l.LauncherFrame }, "")
	row("core ready (ChatWidget.init() resolved true)", func(l BrowserLoad) float64 { return l.Ready }, "")
	for _, f := range []string{"widget.js", "wasm_exec.js", "widget-core.wasm"} {
		row("  "+f+" fetched (responseEnd)", func(l BrowserLoad) float64 {
			for _, r := range l.Resources {
				if r.Name == f {
					return r.End
				}
			}
			return -1
		}, "")
	}
	fmt.Fprintf(w, `  wrangler dev serves widget.js with Content-Encoding %q and widget-core.wasm with %q (asked for br, gzip)
  widget.js shows the launcher when init is called if the config passes its quick check, before the core has fetched, compiled
  and checked it (a config the core refuses takes the launcher away again); opening it before the core is ready shows "Connecting…"

`, b.Encoding["widget.js"], b.Encoding["widget-core.wasm"])
}

func printGoals(w io.Writer, r *Report) {
	var parts []string
	if len(r.Routes) > 0 {
		parts = append(parts, p50Goal.summary(r.Routes), cpuGoal.summary(r.Routes))
		if r.Routes[0].Single[0].N > 0 {
			parts = append(parts, singleGoal.summary(r.Routes))
		}
	}
	for _, s := range r.Sizes {
		if s.Limit > 0 && s.Err == "" {
			parts = append(parts, fmt.Sprintf("%s: %s (%s B)", s.Goal, mark(s.Gzip <= s.Limit), thousands(s.Gzip)))
		}
	}
	if s := memorySummary(r); s != "" {
		parts = append(parts, s)
	}
	if r.Browser != nil {
		m, _, _ := medianOf(r.Browser.First, launcher)
		parts = append(parts, fmt.Sprintf("%s: %s (%.0f ms, first visit)", launcherGoalStr, mark(m <= LauncherGoalMs), m))
	}
	fmt.Fprintf(w, "goals: %s\n", strings.Join(parts, "; "))
}
