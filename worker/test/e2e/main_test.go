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

var (
	cleanups    []func()
	cleanupsMu  sync.Mutex
	wranglerLog = wranglertest.NewTail(4000)
)

func TestMain(m *testing.M) {
	code := m.Run()
	if log := wranglerLog.String(); code != 0 && log != "" {
		fmt.Fprintf(os.Stderr, "\n--- last output of wrangler dev ---\n%s\n", log)
	}
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

// atExit has TestMain run f after the last test, the last registered first.
func atExit(f func()) {
	cleanupsMu.Lock()
	defer cleanupsMu.Unlock()
	cleanups = append(cleanups, f)
}

// e2eVars are the worker vars of the shared server: the whole suite calls
// from one address; DEMO_ROUTES for GET /v1/admin/debug/kv, through which
// the erasure tests read the whole KV.
var e2eVars = contract.LoopbackLoadVars("DEMO_ROUTES", "1")

// shared is the one wrangler dev of this package run, started by the first
// test that needs it.
var shared = sync.OnceValues(func() (*wranglertest.Server, error) {
	dir, err := os.MkdirTemp("", "e2e-kv-")
	if err != nil {
		return nil, err
	}
	atExit(func() { os.RemoveAll(dir) })
	var w io.Writer = wranglerLog
	if os.Getenv("E2E_VERBOSE") != "" {
		w = io.MultiWriter(wranglerLog, os.Stderr)
	}
	// Start bounds its own wait (StartTimeout).
	s, err := wranglertest.Start(context.Background(), wranglertest.Options{PersistDir: dir, Log: w, Vars: e2eVars})
	if s != nil {
		atExit(func() {
			if err := s.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "e2e: stopping wrangler dev:", err)
			}
		})
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("starting wrangler dev failed (run `make build` first): %v\n%s", err, wranglerLog.String())
	case s.AdminToken == "":
		return nil, errors.New("wranglertest.Server.AdminToken is empty")
	}
	return s, nil
})

// server returns the shared server, starting it on first use.
func server(t testing.TB) *wranglertest.Server {
	t.Helper()
	s, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
