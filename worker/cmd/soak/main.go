//go:build !js

// Command soak is `make soak`: it starts the built worker under `wrangler
// dev` with its local KV in a temp dir, runs the soak of package
// worker/test/soak against it (wrangler restarted halfway on the same
// --persist-to dir), prints the report, and exits 1 when the check found a
// violation (2 when the soak could not run).
//
//	go run ./worker/cmd/soak                      # the long run, 60 s
//	go run ./worker/cmd/soak -duration 10s -orgs 2 -devices 3 -verified 2
//	go run ./worker/cmd/soak -inprocess           # internal/api in this process
//	go run ./worker/cmd/soak -url http://127.0.0.1:8787 -admin-token ...  # no restart
//
// It needs `make build` (wrangler dev serves build/), and turns off the
// per-address rate limits of the worker it starts (soak.WranglerVars).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/chatwidget/identity/worker/test/soak"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

var (
	url         = flag.String("url", "", "run against this already running worker (loopback only), without a restart")
	adminToken  = flag.String("admin-token", os.Getenv("SOAK_ADMIN_TOKEN"), "the ADMIN_TOKEN of the worker at -url (default $SOAK_ADMIN_TOKEN)")
	inProcess   = flag.Bool("inprocess", false, "run against internal/api served in this process instead of wrangler dev")
	wranglerLog = flag.String("wrangler-log", "", "write wrangler's output to this file (default: shown only when it fails)")
	quiet       = flag.Bool("q", false, "print only the report")
	webhooks    = flag.Bool("webhooks", os.Getenv("SOAK_WEBHOOKS") != "0", "point the orgs' webhooks at a receiver on 127.0.0.1 and check every acknowledged message's event (off with -webhooks=false or $SOAK_WEBHOOKS=0)")
)

func main() { os.Exit(run()) }

func run() int {
	cfg := soak.DefaultConfig()
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "load time: half before the restart, half after the worker is back")
	flag.IntVar(&cfg.Orgs, "orgs", cfg.Orgs, "orgs (at least 2)")
	flag.IntVar(&cfg.DevicesPerOrg, "devices", cfg.DevicesPerOrg, "widget users per org that are contacts, each its own device")
	flag.IntVar(&cfg.VerifiedPerOrg, "verified", cfg.VerifiedPerOrg, "widget users per org that are verified users")
	flag.IntVar(&cfg.MaxRequests, "max-requests", cfg.MaxRequests, "no new operation starts once the load has sent this many requests")
	flag.DurationVar(&cfg.Think, "think", cfg.Think, "mean pause of a widget user between two operations")
	flag.DurationVar(&cfg.Drain, "drain", cfg.Drain, "how long operations under way at the end may still retry")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "soak: unexpected arguments %q\n", flag.Args())
		return 2
	}
	cfg.Log = func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
		}
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	target, stop, err := startTarget(ctx, cfg.Log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		return 2
	}
	res, err := soak.Run(ctx, target, cfg)
	stop()
	if res != nil {
		res.Report.Print(os.Stdout)
	}
	switch {
	case errors.Is(err, soak.ErrViolations):
		return 1
	case err != nil:
		fmt.Fprintln(os.Stderr, err) // Run's errors start with "soak:"
		return 2
	}
	return 0
}

// startTarget starts what the flags say and returns it with a func that
// stops it.
func startTarget(ctx context.Context, logf func(string, ...any)) (soak.Target, func(), error) {
	switch {
	case *url != "" && *inProcess:
		return soak.Target{}, nil, errors.New("-url and -inprocess exclude each other")
	case *url != "" && *adminToken == "":
		return soak.Target{}, nil, errors.New("-url needs -admin-token (or $SOAK_ADMIN_TOKEN)")
	case *url != "":
		return soak.Target{URL: *url, AdminToken: *adminToken}, func() {}, nil
	case *inProcess:
		s, err := soak.StartInProcess()
		if err != nil {
			return soak.Target{}, nil, err
		}
		return s.Target(), func() { s.Close() }, nil
	}
	opts := wranglertest.Options{Vars: soak.WranglerVars()}
	if *wranglerLog != "" {
		f, err := os.Create(*wranglerLog) // closed when the command exits
		if err != nil {
			return soak.Target{}, nil, err
		}
		opts.Log = f
	}
	logf("starting wrangler dev (local KV in a temp dir)")
	s, err := wranglertest.Start(ctx, opts)
	t := soak.Target{Name: "wrangler dev"}
	if err == nil && *webhooks {
		if t.Webhooks, err = webhookrecv.Start(); err != nil {
			s.Stop()
		}
	}
	if err != nil {
		return soak.Target{}, nil, err
	}
	t.URL, t.AdminToken, t.Restart = s.URL, s.AdminToken, s.Restart
	return t, func() {
		if t.Webhooks != nil {
			t.Webhooks.Close()
		}
		if err := s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "soak: stopping wrangler dev: %v\n", err)
		}
	}, nil
}
