// Package soak is the load and fault driver of `make soak`: many simulated
// widget users over several orgs, devices and verified users, an org server
// per org posting agent replies, and a restart of the worker halfway through.
// At the end it reads everything back and checks that every message the
// worker acknowledged with a 201 is stored exactly once, in the order
// acknowledged, in the right session, and that every session is visible to
// exactly the principals the access rules allow. Halfway through some
// principals are erased (erasure.go) while the others chat on, and the
// read-back checks that nothing of them is left and nothing of the others
// is lost.
//
// The driver talks to a Target: a base URL (loopback only), the admin token,
// and optionally a Restart func. worker/cmd/soak runs it against `wrangler
// dev` (worker/test/wranglertest); StartInProcess serves internal/api in this
// process for quick runs, with a restart that kills in-flight requests.
//
//	soak.go        Config, Target and Run: setup, load, restart, drain, read back, check
//	world.go       the orgs and principals the run creates (contract.BuildWorld); the Ledger of what was sent and acknowledged
//	client.go      HTTP with Idempotency-Key retries, backoff, Retry-After; stats of what it saw
//	actors.go      the load: the widget users and the org servers
//	check.go       the read-back Snapshot and Check: the ledger against it
//	report.go      Report and how it prints
//	webhooks.go    every acknowledged message's webhook event
//	erasure.go     the erasure: principals erased while others chat, and what must be gone
//	inprocess.go   internal/api served in this process, with a restart
package soak

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
)

// Config sizes and bounds a run.
type Config struct {
	Orgs           int // orgs created through the admin API
	DevicesPerOrg  int // contacts per org, each its own device id
	VerifiedPerOrg int // verified users per org

	// Duration is the load time, half before the restart and half after the
	// worker is back; the run also stops starting operations once
	// MaxRequests requests were sent under load.
	Duration    time.Duration
	MaxRequests int

	// Think is the mean pause of a simulated user between two operations
	// (the org servers pause twice as long); MessagesPerSession the mean
	// number of messages a user posts in a session before opening the next.
	Think              time.Duration
	MessagesPerSession int

	// Drain bounds how long operations under way when the load stops may
	// keep retrying (e.g. through a 429's Retry-After) before they are
	// given up as unacknowledged; ErasureWait the wait for the deletions.
	Drain, ErasureWait time.Duration
	// AttemptTimeout bounds one HTTP attempt; SetupTimeout the setup and
	// ReadTimeout the read-back, retries included.
	AttemptTimeout, SetupTimeout, ReadTimeout time.Duration

	ReadConcurrency int                              // read-back requests at once
	TrapEvery       time.Duration                    // the pause between two of Target.Trap's traps under load
	Log             func(format string, args ...any) // when set, progress lines (setup done, restart, drain)
}

// DefaultConfig is the long run of `make soak`.
func DefaultConfig() Config {
	return Config{Orgs: 3, DevicesPerOrg: 6, VerifiedPerOrg: 4, Duration: 60 * time.Second, MaxRequests: 20000,
		Think: 400 * time.Millisecond, MessagesPerSession: 6, Drain: 20 * time.Second, ErasureWait: 90 * time.Second, AttemptTimeout: 20 * time.Second,
		SetupTimeout: time.Minute, ReadTimeout: 5 * time.Minute, ReadConcurrency: 8, TrapEvery: time.Second}
}

// ShortConfig is the run of `make test`: a few seconds of load.
func ShortConfig() Config {
	c := DefaultConfig()
	c.Orgs, c.DevicesPerOrg, c.VerifiedPerOrg = 2, 3, 2
	c.Duration, c.MaxRequests, c.Think, c.MessagesPerSession = 4*time.Second, 3000, 60*time.Millisecond, 4
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Orgs < 2 {
		errs = append(errs, fmt.Errorf("orgs = %d: at least 2, to check that another org sees nothing", c.Orgs))
	}
	if c.DevicesPerOrg < 2 || c.VerifiedPerOrg < 1 || c.DevicesPerOrg+c.VerifiedPerOrg < 4 {
		errs = append(errs, fmt.Errorf("%d devices and %d verified users per org: at least 2 and 1, and 4 in all, since device-1 and user-0 are erased and 2 must remain to check that another principal of the org sees nothing", c.DevicesPerOrg, c.VerifiedPerOrg))
	}
	if c.Duration <= 0 || c.MaxRequests <= 0 {
		errs = append(errs, errors.New("duration and max requests must be > 0"))
	}
	if c.Think < 0 || c.MessagesPerSession < 1 || c.Drain <= 0 || c.ErasureWait <= 0 || c.AttemptTimeout <= 0 || c.SetupTimeout <= 0 || c.ReadTimeout <= 0 || c.ReadConcurrency < 1 || c.TrapEvery <= 0 {
		errs = append(errs, errors.New("think >= 0, messages per session >= 1, drain, erasure wait, timeouts, read concurrency and trap pause > 0"))
	}
	return errors.Join(errs...)
}

// Target is the worker under test.
type Target struct {
	URL        string // the worker's base URL; it must be a loopback address
	AdminToken string // the worker's ADMIN_TOKEN
	// Restart, when set, stops the worker and starts it again on the same
	// address and data; it returns once the worker answers again. Nil: the
	// run has no restart.
	Restart func(ctx context.Context) error
	Name    string // what the target is in the report, e.g. "wrangler dev" ("the worker")
	// Webhooks, when set, is a receiver on this machine that the orgs'
	// webhooks point at, and the run checks their events (webhooks.go);
	// the worker must accept http:// loopback URLs (WEBHOOK_ALLOW_LOOPBACK=1).
	Webhooks *webhookrecv.Receiver
	// Trap, when set, makes the worker's instance trap (the trap build's
	// POST /__test/trap: `make test-worker`); the run calls it every
	// Config.TrapEvery under load. Its 500s, and those of the requests in
	// flight with it, are retried as any 5xx: nothing may be lost.
	Trap func(ctx context.Context) error
}

// WranglerVars are the vars of the worker a soak runs on under wrangler dev,
// and the pairs of more: no per-address rate limits, http:// loopback
// webhook URLs allowed (the receiver of Target.Webhooks), webhook retries
// within the soak's wait for the events, not after 30 s, and the
// development routes, for the erasure's read of the whole KV.
func WranglerVars(more ...string) map[string]string {
	return contract.LoopbackLoadVars(append([]string{"WEBHOOK_ALLOW_LOOPBACK", "1", "WEBHOOK_RETRY_DELAYS", "1,2,3,5,8,13", "DEMO_ROUTES", "1"}, more...)...)
}

// checkLoopback refuses a URL that is not http(s) on a loopback address:
// the soak sends thousands of requests and must never reach a deployment.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("soak: target URL %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("soak: target URL %q: scheme must be http or https", raw)
	case u.Hostname() != "localhost" && !net.ParseIP(u.Hostname()).IsLoopback():
		return fmt.Errorf("soak: target URL %q: the soak only runs against a loopback address (127.0.0.1, ::1, localhost)", raw)
	}
	return nil
}

// Result is a run's report with what it was computed from.
type Result struct {
	Report   *Report
	World    *World
	Ledger   Ledger
	Snapshot *Snapshot
}

// Run is one soak of t (the package doc says what it does, Config how long
// each part may take). The error is non-nil when the run could not be done,
// and when the check found violations (then it wraps ErrViolations and the
// Result is complete).
func Run(ctx context.Context, t Target, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("soak: config: %w", err)
	}
	if err := checkLoopback(t.URL); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	began, run, st := time.Now(), fmt.Sprintf("%08x", rand.Uint32()), newStats()
	c := newClient(t.URL, cfg.AttemptTimeout, st) // in PhaseSetup
	defer c.transport.CloseIdleConnections()
	rep := &Report{Target: cmp.Or(t.Name, "the worker") + " at " + t.URL, Config: cfg, Began: began,
		World: fmt.Sprintf("%d orgs × (%d devices + %d verified users)", cfg.Orgs, cfg.DevicesPerOrg, cfg.VerifiedPerOrg)}

	setupCtx, cancelSetup := context.WithTimeout(ctx, cfg.SetupTimeout)
	w, err := setup(setupCtx, c, cfg, t.AdminToken, run)
	if err == nil && t.Webhooks != nil {
		err = setupWebhooks(setupCtx, c, w, t.Webhooks, run)
	}
	cancelSetup()
	if err != nil {
		return nil, fmt.Errorf("soak: setup: %w", err)
	}
	cfg.Log("soak %s: %d orgs and %d principals set up; load for %v", run, len(w.Orgs), len(w.Principals), cfg.Duration)

	rec := &recorder{erased: map[string]bool{}}
	st.setPhase(PhaseLoad)
	l := &load{cfg: cfg, stats: st, c: c, rec: rec, w: w, run: run, stopped: make(chan struct{})}
	loadBegan := time.Now()
	var lossFrom, lossTo time.Time
	l.start(ctx, w)
	trapsDone := make(chan int, 1)
	go func() { trapsDone <- l.trap(ctx, t.Trap) }()
	l.until(ctx, loadBegan.Add(cfg.Duration/2), cfg.MaxRequests/2)
	loadEnd, restartBegan := loadBegan.Add(cfg.Duration), time.Time{}
	if t.Restart != nil && ctx.Err() == nil {
		cfg.Log("soak %s: restarting the worker (%d load requests so far)", run, l.sent())
		if t.Webhooks != nil {
			// wrangler dev's queue is in memory, and under this load it
			// delivers slower than messages are acknowledged: hold the
			// load, let it deliver every event acknowledged so far, then
			// restart with the load running again (webhooks.go).
			l.held.Lock()
			time.Sleep(HoldSettle) // operations under way finish
			waitWebhooks(ctx, w, rec.snapshot(), t.Webhooks, run, PreRestartWait)
			waitWebhooks(ctx, w, rec.snapshot(), t.Webhooks, run, PreRestartWait) // those that finished late
			lossFrom = time.Now()
			l.held.Unlock()
		}
		restartBegan = time.Now()
		err := t.Restart(ctx)
		lossTo = time.Now()
		rep.Restarted, rep.RestartAt, rep.RestartCall = true, restartBegan.Sub(began), lossTo.Sub(restartBegan)
		if err != nil {
			l.stop(0)
			return nil, fmt.Errorf("soak: restart: %w", err)
		}
		cfg.Log("soak %s: the worker answers again after %v", run, rep.RestartCall.Round(time.Millisecond))
		loadEnd = lossTo.Add(cfg.Duration - cfg.Duration/2)
	}
	erased, err := l.erase(ctx, w)
	if err != nil {
		l.stop(0)
		return nil, fmt.Errorf("soak: erasure: %w", err)
	}
	cfg.Log("soak %s: %d principals erased; the others chat on", run, len(erased))
	deletions := make(chan []DeletionRead, 1)
	go func() { deletions <- awaitDeletions(ctx, c, w, erased, cfg.ErasureWait) }()
	l.until(ctx, loadEnd, cfg.MaxRequests)
	l.stop(cfg.Drain)
	if rep.Restarted {
		rep.RestartCost, rep.RestartServed = st.restartCost(restartBegan, lossTo)
	}
	rep.Load, rep.Traps = time.Since(loadBegan), <-trapsDone
	cfg.Log("soak %s: load done (%d requests); waiting for the deletions", run, l.sent())
	dels := <-deletions
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("soak: interrupted: %w", err)
	}

	ledger := rec.snapshot()
	readCtx, cancelRead := context.WithTimeout(ctx, cfg.ReadTimeout)
	st.setPhase(PhaseReadback)
	snap := readBack(readCtx, c, w, ledger, cfg.ReadConcurrency, t.AdminToken)
	snap.Deletions = dels
	cancelRead()
	rep.Findings = Check(w, ledger, snap)
	if t.Webhooks != nil {
		cfg.Log("soak %s: waiting for the webhook events", run)
		waitWebhooks(ctx, w, ledger, t.Webhooks, run, WebhookWait)
		time.Sleep(time.Second) // room for a late duplicate to be counted
		checkWebhooks(rep.Findings, w, ledger, t.Webhooks, run, lossFrom, lossTo)
	}

	st.locked(func() {
		rep.Requests, rep.Replayed = st.sent, st.replayed
		rep.Anomalies, rep.AnomaliesDropped = append([]Anomaly(nil), st.anomalies...), st.anomalyDropped
	})
	rep.Errors, rep.Elapsed = st.errorKinds(), time.Since(began)
	return &Result{Report: rep, World: w, Ledger: ledger, Snapshot: snap}, rep.Err()
}
