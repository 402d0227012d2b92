//go:build !js

// Command security runs the attack suite (package worker/test/attack, whose
// doc says what a case must get to count as refused) and prints one line per
// class of attack, "class  tried N  refused N", and a total. It exits 1 when
// any case was not refused, listing those cases on stderr.
//
//	go run ./worker/cmd/security              # starts wrangler dev on build/ (make build first)
//	go run ./worker/cmd/security -inprocess   # internal/api over an in-memory KV, no wrangler
//	go run ./worker/cmd/security -url http://127.0.0.1:8787 -admin-token ... [-signing-keys ...]
//
// With -url it attacks a worker that is already running (make dev, say);
// ADMIN_TOKEN and SIGNING_KEYS are read from the environment when the flags
// are not given, and -persist-dir names its --persist-to directory (without
// it the API is observed after every case). It creates two orgs there, with
// their contacts, users and sessions, and leaves them.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/chatwidget/identity/worker/test/attack"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("security", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		url         = fs.String("url", "", "attack the worker running at this URL instead of starting wrangler dev")
		adminToken  = fs.String("admin-token", "", "with -url: the worker's ADMIN_TOKEN (default $ADMIN_TOKEN)")
		signingKeys = fs.String("signing-keys", "", "with -url: the worker's SIGNING_KEYS, to forge tokens with its key (default $SIGNING_KEYS; without it those cases are skipped)")
		inProcess   = fs.Bool("inprocess", false, "attack internal/api served in this process over an in-memory KV")
		verbose     = fs.Bool("v", false, "print every case as it runs")
		only        = fs.String("class", "", "run only the classes whose names contain this")
		timeout     = fs.Duration("timeout", 15*time.Minute, "give up after this long")
		persistDir  = fs.String("persist-dir", "", "with -url: the worker's wrangler dev --persist-to directory, to compare its KV files before and after every case")
		thorough    = fs.Bool("thorough", false, "observe the stored state through the API after every case, not only after each class (slower)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, *timeout)
	defer cancelTimeout()

	var target attack.Target
	var where string
	switch {
	case *inProcess:
		t, stop, err := attack.NewInProcess(nil)
		if err != nil {
			fmt.Fprintln(stderr, "security:", err)
			return 1
		}
		defer stop()
		target, where = t, "internal/api in process (kv.Memory)"
	case *url != "":
		target = attack.Target{URL: *url, AdminToken: cmp.Or(*adminToken, os.Getenv("ADMIN_TOKEN")), SigningKeys: cmp.Or(*signingKeys, os.Getenv("SIGNING_KEYS"))}
		if *persistDir != "" {
			target.Snapshot = attack.PersistSnapshot(*persistDir)
		}
		where = *url
	default:
		s, err := wranglertest.Start(ctx, wranglertest.Options{})
		if err != nil {
			fmt.Fprintln(stderr, "security: starting wrangler dev:", err)
			return 1
		}
		defer func() {
			if err := s.Stop(); err != nil {
				fmt.Fprintln(stderr, "security:", err)
			}
		}()
		target = attack.Target{URL: s.URL, AdminToken: s.AdminToken, SigningKeys: s.Vars["SIGNING_KEYS"],
			Snapshot: attack.PersistSnapshot(s.PersistDir)}
		where = "wrangler dev at " + s.URL + " (build/)"
	}
	target.ObserveAPIEveryCase = *thorough
	if *verbose {
		target.Log = stderr
	}

	cases := slices.DeleteFunc(attack.Cases(), func(c attack.Case) bool { return !strings.Contains(c.Class, *only) })
	if len(cases) == 0 {
		fmt.Fprintf(stderr, "security: no class matches %q\n", *only)
		return 2
	}
	fmt.Fprintf(stdout, "attack suite against %s\n", where)
	rep, err := attack.Run(ctx, target, cases)
	if err != nil {
		fmt.Fprintln(stderr, "security:", err)
		return 1
	}
	rep.WriteTable(stdout)
	fmt.Fprintf(stdout, "(%d cases in %v)\n", len(rep.Results), rep.Duration.Round(100*time.Millisecond))
	if !rep.OK() {
		fmt.Fprintln(stderr)
		rep.WriteFailures(stderr)
		return 1
	}
	return 0
}
