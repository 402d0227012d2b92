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

// Goals of issue 5.
const (
	RatioGoal      = 1.2 // every route's p50 within 1.2× of the peer's
	LauncherGoalMs = 100 // launcher shown within 100 ms of DOMContentLoaded
)

const (
	launcherGoalStr = "launcher ≤ 100 ms"
	ratioGoalStr    = "p50 ≤ 1.2× peer"
	sizeUnitNote    = "1 MB = 1,000,000 B"
	readinessSignal = "ChatWidget.init() resolved true"
)

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

// name is the route, starred when extra.
func (rr RouteResult) name() string {
	if rr.Extra {
		return rr.Route + " *"
	}
	return rr.Route
}

// goal is mark(ok), or "(extra)" on an extra row.
func (rr RouteResult) goal(ok bool) string {
	if rr.Extra {
		return "(extra)"
	}
	return mark(ok)
}

func mark(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISS"
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Print writes the report as text: the table, cold starts, KV calls and time
// split, sizes, browser timings and the goals.
func Print(w io.Writer, r *Report) {
	c := r.Config
	fmt.Fprintf(w, "== make bench: the Go worker (ours) against a JavaScript peer (jose), each under wrangler dev on loopback\n")
	fmt.Fprintf(w, "%s; load average %s before, %s after; %v in all\n", r.Versions, r.LoadAvgBefore, r.LoadAvgAfter, r.Elapsed.Round(time.Second))
	fmt.Fprintf(w, "load: %d clients at once, %d requests per route per worker per round, %d rounds (route by route, who goes first alternating), after %d warm-up\n",
		c.Clients, c.Requests, c.Rounds, c.Warmup)
	fmt.Fprintf(w, "      requests per route and worker (V8 first runs WebAssembly with its baseline compiler and optimises a function once it has run\n")
	fmt.Fprintf(w, "      enough; the warm-up's own figures are below the table);\n")
	fmt.Fprintf(w, "      %s tokens on the session routes, %d sessions per listing principal, a new device per contact; both workers' rate limits off\n\n", c.Principal, c.Sessions)

	printTable(w, r)
	printCold(w, r)
	printProfiles(w, r)
	printSizes(w, r)
	printBrowser(w, r)
	printGoals(w, r)
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems:\n")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
}

func printTable(w io.Writer, r *Report) {
	if len(r.Routes) == 0 {
		return
	}
	fmt.Fprintf(w, "%-40s %9s %9s %7s │ %9s %9s %7s │ %8s  %s\n", "route", "ours p50", "p99", "rps", "peer p50", "p99", "rps", "p50 o/p", ratioGoalStr)
	fmt.Fprintf(w, "%s\n", strings.Repeat("─", 122))
	var errs []string
	for _, rr := range r.Routes {
		o50, p50 := rr.Ours.Percentile(50), rr.Peer.Percentile(50)
		ratio := 0.0
		if p50 > 0 {
			ratio = float64(o50) / float64(p50)
		}
		fmt.Fprintf(w, "%-40s %9s %9s %7.0f │ %9s %9s %7.0f │ %7.2f×  %s\n", rr.name(),
			ms(o50), ms(rr.Ours.Percentile(99)), rr.Ours.RPS(),
			ms(p50), ms(rr.Peer.Percentile(99)), rr.Peer.RPS(), ratio, rr.goal(ratio <= RatioGoal))
		for _, x := range []struct {
			who string
			s   Stats
		}{{"ours", rr.Ours}, {"peer", rr.Peer}} {
			if x.s.Errors > 0 {
				errs = append(errs, fmt.Sprintf("%s %s: %d of %d failed (%s), first: %s", x.who, rr.Route, x.s.Errors, x.s.N, statuses(x.s.Statuses), x.s.FirstError))
			}
		}
	}
	fmt.Fprintf(w, "* extra rows, not among the four routes of the goal: POST /v1/widget/sessions (a new chat: 3 KV puts) and\n")
	fmt.Fprintf(w, "  GET /.well-known/jwks.json (no KV, no crypto: what any request costs around the handler)\n")
	fmt.Fprintf(w, "p50/p99: latency seen by the client over all rounds; rps: requests answered per second of wall time, all clients together\n")
	printCPU(w, r)
	printSingle(w, r)
	printMemory(w, r)
	var rounds []string
	for _, rr := range r.Routes {
		if rr.Extra || len(rr.RoundRatios) < 2 {
			continue
		}
		rs := make([]string, len(rr.RoundRatios))
		for i, x := range rr.RoundRatios {
			rs[i] = fmt.Sprintf("%.2f×", x)
		}
		rounds = append(rounds, rr.Route+" "+strings.Join(rs, " "))
	}
	if len(rounds) > 0 {
		fmt.Fprintf(w, "p50 ours/peer round by round (how much one round moves on this machine):\n  %s\n", strings.Join(rounds, "; "))
	}
	printWarmup(w, r)
	if len(errs) == 0 {
		fmt.Fprintf(w, "every answer had the expected status and body, on both workers\n")
	} else {
		fmt.Fprintf(w, "ERRORS:\n")
		for _, e := range errs {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	fmt.Fprintln(w)
}

// printWarmup gives the warm-up's p50 per route, ours against the peer's:
// what the first requests of a fresh isolate cost, before V8 has optimised
// the Go worker's WebAssembly.
func printWarmup(w io.Writer, r *Report) {
	var parts []string
	n := 0
	for _, rr := range r.Routes {
		if rr.Extra || rr.WarmOurs.N == 0 || rr.WarmPeer.N == 0 {
			continue
		}
		n = rr.WarmOurs.N
		o, p := rr.WarmOurs.Percentile(50), rr.WarmPeer.Percentile(50)
		parts = append(parts, fmt.Sprintf("%s %s/%s (%.2f×)", strings.Fields(rr.Route)[1], ms(o), ms(p), float64(o)/float64(p)))
	}
	if len(parts) == 0 {
		return
	}
	fmt.Fprintf(w, "warm-up, the %d requests per route before the rounds, p50 ours/peer:\n  %s\n", n, strings.Join(parts, "; "))
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
		if cs.Note != "" {
			fmt.Fprintf(w, "        note: %s\n", cs.Note)
		}
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
			if s.RunToReadyMs != nil {
				fmt.Fprintf(w, "        slowest, ms: %s), then %.0f ms in main (config, api.New, bridge.Register, ready)\n", strings.Join(top, ", "), *s.RunToReadyMs-p.InitEndMs)
			} else {
				fmt.Fprintf(w, "        slowest, ms: %s)\n", strings.Join(top, ", "))
			}
		}
	}
	fmt.Fprintln(w)
}

func kvCalls(p RouteProfile) string {
	if p.N == 0 {
		return "n/a"
	}
	s := fmt.Sprintf("%g: %gg %gp %gl", p.Ops(), p.Get, p.Put, p.List)
	if p.Delete > 0 {
		s += fmt.Sprintf(" %gd", p.Delete)
	}
	if p.Sign > 0 {
		s += fmt.Sprintf(" +%gs", p.Sign)
	}
	if p.Verify > 0 {
		s += fmt.Sprintf(" +%gv", p.Verify)
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
	ours, peer := byName["ours"], byName["peer"]
	limits, hasLimits := byName["ours+limits"]
	fmt.Fprintf(w, "KV calls per request (g get, p put, l list; +s/+v: WebCrypto Ed25519 signs/verifies) and where the time goes, from\n")
	fmt.Fprintf(w, "instrumented copies of both workers (instrument.mjs wraps the entry, CHAT_KV and crypto.subtle), %d requests per route one at a\n", r.Config.Profile)
	fmt.Fprintf(w, "time. in isolate = waiting on KV + the rest (the worker's own work; for ours Go, the bridge and the KV binding's conversions),\n")
	fmt.Fprintf(w, "means in ms; (client): median ms the bench saw, wrangler dev's proxy included\n")
	hdr := fmt.Sprintf("%-40s %-18s %-18s │ %-28s %-28s", "route", "ours KV calls", "peer KV calls", "ours in isolate = kv + rest", "peer in isolate = kv + rest")
	if hasLimits {
		hdr += " │ ours, limits on"
	}
	fmt.Fprintln(w, hdr)
	fmt.Fprintf(w, "%s\n", strings.Repeat("─", len([]rune(hdr))+2))
	split := func(x RouteProfile) string {
		if x.N == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f = %.1f + %.1f (%.1f)", x.TotalMs, x.KVms, x.OtherMs, float64(x.Client)/float64(time.Millisecond))
	}
	for i, rt := range Routes {
		var o, p, l RouteProfile
		if i < len(ours.Routes) {
			o = ours.Routes[i]
		}
		if i < len(peer.Routes) {
			p = peer.Routes[i]
		}
		line := fmt.Sprintf("%-40s %-18s %-18s │ %-28s %-28s", RouteResult{Route: rt.Name, Extra: rt.Extra}.name(), kvCalls(o), kvCalls(p), split(o), split(p))
		if hasLimits && i < len(limits.Routes) {
			l = limits.Routes[i]
			line += " │ " + kvCalls(l)
		}
		fmt.Fprintln(w, line)
		for _, x := range []struct {
			who string
			p   RouteProfile
		}{{"ours", o}, {"peer", p}, {"ours+limits", l}} {
			if x.p.Errors > 0 {
				fmt.Fprintf(w, "    %s: %d errors, first: %s\n", x.who, x.p.Errors, x.p.FirstError)
			}
		}
	}
	var calls []string
	for i, rt := range Routes {
		if i < len(ours.Routes) && ours.Routes[i].N > 0 {
			calls = append(calls, fmt.Sprintf("%s %.0f", strings.Fields(rt.Name)[1], ours.Routes[i].JSCalls))
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
	fmt.Fprintf(w, "%-32s %12s %12s %12s   %s\n", "sizes (make size)", "raw", "gzip -9", "brotli", "goal ("+sizeUnitNote+")")
	how := ""
	for _, s := range r.Sizes {
		if s.Err != "" {
			fmt.Fprintf(w, "%-32s %s\n", s.File, s.Err)
			continue
		}
		br := "n/a"
		if s.Brotli >= 0 {
			br = thousands(s.Brotli)
			how = s.How
		}
		goal := ""
		if s.Limit > 0 {
			goal = fmt.Sprintf("%s: %s (%.2f× the limit)", s.Goal, mark(s.Gzip <= s.Limit), float64(s.Gzip)/float64(s.Limit))
		}
		fmt.Fprintf(w, "%-32s %12s %12s %12s   %s\n", s.File, thousands(s.Raw), thousands(s.Gzip), br, goal)
	}
	if how != "" {
		fmt.Fprintf(w, "brotli by %s, quality 11\n", how)
	}
	fmt.Fprintln(w)
}

func medianOf(loads []BrowserLoad, f func(BrowserLoad) float64) (med, lo, hi float64) {
	v := make([]float64, 0, len(loads))
	for _, l := range loads {
		v = append(v, f(l))
	}
	if len(v) == 0 {
		return 0, 0, 0
	}
	return median(v), slices.Min(v), slices.Max(v)
}

func resourceEnd(l BrowserLoad, name string) float64 {
	for _, r := range l.Resources {
		if r.Name == name {
			return r.End
		}
	}
	return -1
}

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
	m, _, _ := medianOf(b.First, func(l BrowserLoad) float64 { return l.Launcher })
	row("launcher shown ([data-widget=launcher] laid out)", func(l BrowserLoad) float64 { return l.Launcher }, launcherGoalStr+": "+mark(m <= LauncherGoalMs))
	row("launcher painted (the next animation frame)", func(l BrowserLoad) float64 { return l.LauncherFrame }, "")
	row("core ready ("+readinessSignal+")", func(l BrowserLoad) float64 { return l.Ready }, "")
	for _, f := range []string{"widget.js", "wasm_exec.js", "widget-core.wasm"} {
		row("  "+f+" fetched (responseEnd)", func(l BrowserLoad) float64 { return resourceEnd(l, f) }, "")
	}
	fmt.Fprintf(w, "  wrangler dev serves widget.js with Content-Encoding %q and widget-core.wasm with %q (asked for br, gzip)\n",
		b.Encoding["widget.js"], b.Encoding["widget-core.wasm"])
	fmt.Fprintf(w, "  widget.js shows the launcher when init is called if the config passes its quick check, before the core has fetched, compiled\n")
	fmt.Fprintf(w, "  and checked it (a config the core refuses takes the launcher away again); opening it before the core is ready shows \"Connecting…\"\n\n")
}

// printCPU is the CPU the workerd process spent per request under the load,
// ours against the peer's: what Workers bills.
func printCPU(w io.Writer, r *Report) {
	fmt.Fprintf(w, "CPU of the workerd process per request under the load (user + system from /proc, 10 ms ticks, all rounds; it also runs\n")
	fmt.Fprintf(w, "wrangler dev's local KV, the same calls for both):\n")
	for _, rr := range r.Routes {
		o, p := rr.Ours.CPUPerRequest(), rr.Peer.CPUPerRequest()
		if rr.Ours.CPUN == 0 || rr.Peer.CPUN == 0 || p == 0 {
			fmt.Fprintf(w, "  %-40s not measured\n", rr.Route)
			continue
		}
		fmt.Fprintf(w, "  %-40s ours %6.2f ms  peer %6.2f ms  %5.2f×  %s\n", rr.Route, o.Seconds()*1000, p.Seconds()*1000, float64(o)/float64(p), rr.goal(o <= p))
	}
}

// SingleGoal is issue 18's: p50 at one client within 1.1× of the peer's.
const SingleGoal = 1.1

// printSingle is p50/p99 of one client alone, ours against the peer's.
func printSingle(w io.Writer, r *Report) {
	if len(r.Routes) == 0 || r.Routes[0].SingleOurs.N == 0 {
		return
	}
	fmt.Fprintf(w, "one client alone (%d requests per route per worker per round, after the round's %d clients):\n", r.Config.Single, r.Config.Clients)
	for _, rr := range r.Routes {
		o, p := rr.SingleOurs.Percentile(50), rr.SinglePeer.Percentile(50)
		if p == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-40s ours p50 %9s p99 %9s  peer p50 %9s p99 %9s  %5.2f×  %s\n", rr.Route, ms(o), ms(rr.SingleOurs.Percentile(99)),
			ms(p), ms(rr.SinglePeer.Percentile(99)), float64(o)/float64(p), rr.goal(float64(o)/float64(p) <= SingleGoal))
	}
}

// printMemory is each workerd's resident memory after the load.
func printMemory(w io.Writer, r *Report) {
	if len(r.Memory) == 0 {
		return
	}
	fmt.Fprintf(w, "workerd resident memory after the load (VmRSS: the isolate, the runtime and wrangler dev's local KV):")
	for _, name := range []string{"ours", "peer"} {
		if m, ok := r.Memory[name]; ok {
			fmt.Fprintf(w, " %s %.1f MiB after %s requests;", name, float64(m.RSS)/(1<<20), thousands(int64(m.Requests)))
		}
	}
	fmt.Fprintln(w)
}

func printGoals(w io.Writer, r *Report) {
	var parts []string
	if len(r.Routes) > 0 {
		var p50, cpu, single [2]int // met, of
		worst, worstRoute := 0.0, ""
		for _, rr := range r.Routes {
			if rr.Extra {
				continue
			}
			p50[1]++
			if p := rr.Peer.Percentile(50); p > 0 {
				ratio := float64(rr.Ours.Percentile(50)) / float64(p)
				p50[0] += b2i(ratio <= RatioGoal)
				if ratio > worst {
					worst, worstRoute = ratio, rr.Route
				}
			}
			if rr.Ours.CPUN > 0 && rr.Peer.CPUN > 0 {
				cpu[1]++
				cpu[0] += b2i(rr.Ours.CPUPerRequest() <= rr.Peer.CPUPerRequest())
			}
			if p := rr.SinglePeer.Percentile(50); p > 0 {
				single[1]++
				single[0] += b2i(float64(rr.SingleOurs.Percentile(50))/float64(p) <= SingleGoal)
			}
		}
		parts = append(parts, fmt.Sprintf("%s: %d of %d routes (worst %.2f×, %s)", ratioGoalStr, p50[0], p50[1], worst, worstRoute),
			fmt.Sprintf("workerd CPU per request ≤ 1.0× peer: %d of %d routes", cpu[0], cpu[1]))
		if r.Routes[0].SingleOurs.N > 0 {
			parts = append(parts, fmt.Sprintf("p50 at 1 client ≤ %.1f× peer: %d of %d routes", SingleGoal, single[0], single[1]))
		}
	}
	for _, s := range r.Sizes {
		if s.Limit > 0 && s.Err == "" {
			parts = append(parts, fmt.Sprintf("%s: %s (%s B)", s.Goal, mark(s.Gzip <= s.Limit), thousands(s.Gzip)))
		}
	}
	if r.Browser != nil {
		m, _, _ := medianOf(r.Browser.First, func(l BrowserLoad) float64 { return l.Launcher })
		parts = append(parts, fmt.Sprintf("%s: %s (%.0f ms, first visit)", launcherGoalStr, mark(m <= LauncherGoalMs), m))
	}
	fmt.Fprintf(w, "goals: %s\n", strings.Join(parts, "; "))
}
