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
	"time"

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

// TestDataSurvivesRestart runs alone (not parallel): it restarts the shared
// server, and checks that orgs, keys, tokens, contacts, sessions and messages
// are all still there, as `make dev` promises for its local KV.
func TestDataSurvivesRestart(t *testing.T) {
	srv := server(t)
	o := newOrg(t)
	dev := newDevice()
	c := o.contact(t, dev, map[string]any{"name": "Before"})
	w := o.widget(c.Token)
	s := createSession(t, w, nil)
	m := say(t, w, s.ID, "before the restart")
	a := o.authenticate(t, map[string]any{"user_id": uniq("restart")})
	vs := createSession(t, o.widget(a.Token), nil)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}

	match(t, "after a restart the api key works", keyWorks(t, o.Key.Secret), true)
	match(t, "after a restart the session's messages", messageIDs(widgetSession(t, w, s.ID).Messages), []string{m.ID})
	sameSet(t, "verified sessions after a restart", sessionIDs(widgetSessions(t, o.widget(a.Token), nil)), []string{vs.ID})
	match(t, "after a restart the device's contact", o.contact(t, dev, nil).Contact.ID, c.Contact.ID)
	verify(t, o, c.Token)
}
