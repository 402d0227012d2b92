//go:build !js

// Command bench runs `make bench`: the Go worker and its JavaScript peer under
// wrangler dev, side by side (see package worker/test/bench). It needs `make
// build` first, and Chromium for the browser timings.
//
//	go run ./worker/cmd/bench                 # what make bench runs
//	go run ./worker/cmd/bench -n 50 -rounds 1 -browser 0 -profile 0   # a quick look
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatwidget/identity/worker/test/bench"
)

func main() {
	cfg := bench.DefaultConfig()
	flag.IntVar(&cfg.Clients, "c", cfg.Clients, "concurrent clients per route phase")
	flag.IntVar(&cfg.Requests, "n", cfg.Requests, "requests per route, per worker, per round")
	flag.IntVar(&cfg.Single, "n1", cfg.Single, "requests per route, per worker, per round from one client alone (0: none)")
	flag.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "rounds, interleaved ours/peer route by route")
	flag.IntVar(&cfg.Warmup, "warmup", cfg.Warmup, "warm-up requests per route and worker, not recorded")
	flag.IntVar(&cfg.Sessions, "sessions", cfg.Sessions, "sessions per listing principal")
	flag.StringVar(&cfg.Principal, "principal", cfg.Principal, "token kind on the session routes: verified or contact")
	flag.IntVar(&cfg.ColdStarts, "cold", cfg.ColdStarts, "fresh starts per worker to time the first request")
	flag.IntVar(&cfg.Profile, "profile", cfg.Profile, "requests per route on the instrumented copies (0: no profile)")
	flag.BoolVar(&cfg.ProfileRateLimits, "profile-limits", cfg.ProfileRateLimits, "also profile ours with its default rate limits")
	flag.IntVar(&cfg.Browser, "browser", cfg.Browser, "fresh Chromium profiles loading the widget (0: none)")
	flag.BoolVar(&cfg.Sizes, "sizes", cfg.Sizes, "report the sizes of the shipped files")
	verbose := flag.Bool("v", false, "show wrangler's output")
	timeout := flag.Duration("timeout", 20*time.Minute, "give up after this long")
	flag.Parse()

	cfg.Log = os.Stderr
	if *verbose {
		cfg.WranglerLog = os.Stderr
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, *timeout)
	defer cancelT()

	rep, err := bench.Run(ctx, cfg)
	if rep != nil && (err == nil || len(rep.Routes) > 0) {
		bench.Print(os.Stdout, rep)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	for _, rr := range rep.Routes {
		if rr.Load[0].Errors > 0 || rr.Load[1].Errors > 0 {
			os.Exit(2)
		}
	}
}
