//go:build !js

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// The one wrangler dev of this package run, started by the first test that
// needs it and stopped after the last one, in TestMain, with what else the
// run made (cleanups).
var (
	shared      *wranglertest.Server
	sharedErr   error
	sharedOnce  sync.Once
	cleanups    []func()
	cleanupsMu  sync.Mutex
	wranglerLog = wranglertest.NewTail(4000)
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 && shared != nil {
		fmt.Fprintf(os.Stderr, "\n--- last output of wrangler dev ---\n%s\n", wranglerLog.String())
	}
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

func atExit(f func()) {
	cleanupsMu.Lock()
	defer cleanupsMu.Unlock()
	cleanups = append(cleanups, f)
}

// e2eVars are the worker vars of the shared server: the whole suite calls
// from one address; DEMO_ROUTES for GET /v1/admin/debug/kv, through which
// the erasure tests read the whole KV.
var e2eVars = contract.LoopbackLoadVars("DEMO_ROUTES", "1")

// server returns the shared server, starting it on first use.
func server(t testing.TB) *wranglertest.Server {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "e2e-kv-")
		if err != nil {
			sharedErr = err
			return
		}
		atExit(func() { os.RemoveAll(dir) })
		var w io.Writer = wranglerLog
		if os.Getenv("E2E_VERBOSE") != "" {
			w = io.MultiWriter(wranglerLog, os.Stderr)
		}
		// Start bounds its own wait (StartTimeout).
		s, err := wranglertest.Start(context.Background(), wranglertest.Options{PersistDir: dir, Log: w, Vars: e2eVars})
		switch {
		case err != nil:
			sharedErr = fmt.Errorf("starting wrangler dev failed (run `make build` first): %v\n%s", err, wranglerLog.String())
		case s.AdminToken == "":
			sharedErr = errors.New("wranglertest.Server.AdminToken is empty")
		}
		if s != nil {
			atExit(func() {
				if err := s.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "e2e: stopping wrangler dev:", err)
				}
			})
		}
		shared = s
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}
