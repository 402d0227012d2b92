//go:build !js

package soak_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/soak"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// TestSoakInProcess is the quick soak: internal/api served in this process
// (its queue delivered every 50 ms), killed and started again halfway
// through.
func TestSoakInProcess(t *testing.T) {
	s, err := soak.StartInProcess()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := soak.ShortConfig()
	cfg.Duration = 2 * time.Second
	runSoak(t, s.Target(), cfg)
}

// TestSoakWrangler is the short soak of `make test`: the built worker under
// wrangler dev, stopped and started again on the same --persist-to dir
// halfway through, with the webhook check (webhooks.go) unless
// SOAK_WEBHOOKS=0.
func TestSoakWrangler(t *testing.T) {
	s := wranglertest.StartT(t, wranglertest.Options{Vars: soak.WranglerVars()})
	target := soak.Target{URL: s.URL, AdminToken: s.AdminToken, Restart: s.Restart, Name: "wrangler dev"}
	hooks := os.Getenv("SOAK_WEBHOOKS") != "0"
	if hooks {
		target.Webhooks = webhookrecv.StartT(t)
	}
	runSoak(t, target, soak.ShortConfig())
}

// TestSoakWithTraps is the short soak against the trap build of the worker
// (`make test-worker`), whose instance is made to trap once a second under
// load (TinyGo cannot recover: a panic ends the instance): the clients retry
// the 500s of the requests in flight with the same Idempotency-Key, and
// nothing may be lost, duplicated or misplaced, webhook events included
// (a Queue batch in flight at a trap is delivered again, with its ids).
func TestSoakWithTraps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the trap worker and runs its own wrangler dev")
	}
	wasm := filepath.Join(t.TempDir(), "app.wasm")
	if err := wranglertest.MakeWasm("test-worker", "TEST_WORKER_OUT", wasm); err != nil {
		t.Fatal(err)
	}
	s := wranglertest.StartT(t, wranglertest.Options{Vars: soak.WranglerVars(), AppWasm: wasm})
	recv := webhookrecv.StartT(t)
	trap := func(ctx context.Context) error {
		res, err := contract.New(s.URL, nil).Do(ctx, "POST", "/__test/trap", nil)
		return contract.Fits(res, err, http.StatusInternalServerError)
	}
	cfg := soak.ShortConfig()
	cfg.Duration = 8 * time.Second
	res := runSoak(t, soak.Target{URL: s.URL, AdminToken: s.AdminToken, Name: "wrangler dev, trap build", Webhooks: recv, Trap: trap}, cfg)
	if r := res.Report; r.Traps < 4 {
		t.Errorf("%d traps under %v of load, want at least 4", r.Traps, cfg.Duration)
	}
}

func runSoak(t *testing.T, target soak.Target, cfg soak.Config) *soak.Result {
	t.Helper()
	cfg.Log = t.Logf
	res, err := soak.Run(context.Background(), target, cfg)
	if res != nil {
		var b strings.Builder
		res.Report.Print(&b)
		t.Logf("report:\n%s", b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	r := res.Report
	f := r.Findings
	// A run that exercised nothing proves nothing.
	if f.Sessions.Acknowledged == 0 || f.UserMessages == 0 || f.AgentMessages == 0 {
		t.Errorf("acknowledged %d sessions, %d user and %d agent messages: the load did not run", f.Sessions.Acknowledged, f.UserMessages, f.AgentMessages)
	}
	if f.VisibilityChecks == 0 {
		t.Error("no visibility checks")
	}
	if target.Restart != nil && (!r.Restarted || !r.RestartServed) {
		t.Errorf("restarted %v, clients served after it %v", r.Restarted, r.RestartServed)
	}
	// Every event arrives, but those only a restart of wrangler dev may lose
	// (LostAtRestart: none without a restart, as under the traps).
	wf := f.Webhooks
	if target.Webhooks != nil && (!wf.Checked || wf.Delivered == 0 || wf.Delivered+wf.LostAtRestart != wf.Expected) {
		t.Errorf("webhook events: %+v", wf)
	}
	// Every target here has the debug route that reads the whole KV.
	if e := f.Erasure; e.Erased == 0 || e.ErasedMessages == 0 || e.Exports == 0 || e.KVKeysRead == 0 || f.Messages.Acknowledged <= e.ErasedMessages {
		t.Errorf("the erasure exercised too little: %+v", e)
	}
	return res
}

func TestRunRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"https://chat.example.com", "http://10.0.0.1:8787", "ftp://127.0.0.1", "http://0.0.0.0:8787"} {
		_, err := soak.Run(context.Background(), soak.Target{URL: u, AdminToken: "x"}, soak.ShortConfig())
		if err == nil || !strings.Contains(err.Error(), "loopback") && !strings.Contains(err.Error(), "scheme") {
			t.Errorf("Run against %s: %v, want a refusal", u, err)
		}
	}
}

func TestRunRefusesConfigThatChecksNothing(t *testing.T) {
	cfg := soak.ShortConfig()
	cfg.Orgs = 1
	_, err := soak.Run(context.Background(), soak.Target{URL: "http://127.0.0.1:1", AdminToken: "x"}, cfg)
	if err == nil || errors.Is(err, soak.ErrViolations) || !strings.Contains(err.Error(), "orgs") {
		t.Errorf("Run with 1 org: %v", err)
	}
}
