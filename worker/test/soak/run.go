package soak

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Result is a run's report with what it was computed from.
type Result struct {
	Report   *Report
	World    *World
	Ledger   Ledger
	Snapshot *Snapshot
}

// Run sets up orgs and principals on t, runs the load for cfg.Duration (or
// until cfg.MaxRequests load requests), restarts the worker halfway through
// when t.Restart is set, lets the operations under way finish (within
// cfg.Drain), reads everything back and checks it. The error is non-nil when
// the run could not be done, and when the check found violations (then it
// wraps ErrViolations and the Result is complete).
func Run(ctx context.Context, t Target, cfg Config) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("soak: config: %w", err)
	}
	if err := checkLoopback(t.URL); err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	began := time.Now()
	run := runID()
	st := newStats()
	base := newClient(t.URL, newHTTPClient(cfg.AttemptTimeout), st)
	defer base.cc.HTTP.CloseIdleConnections()
	rep := &Report{Target: t.URL, Config: cfg, Began: began,
		World: fmt.Sprintf("%d orgs × (%d devices + %d verified users)", cfg.Orgs, cfg.DevicesPerOrg, cfg.VerifiedPerOrg)}
	if t.Name != "" {
		rep.Target = t.Name + " at " + t.URL
	}

	setupCtx, cancelSetup := context.WithTimeout(ctx, cfg.SetupTimeout)
	w, err := setup(setupCtx, base.withPhase(PhaseSetup), cfg, t.AdminToken, run)
	cancelSetup()
	if err != nil {
		return nil, fmt.Errorf("soak: setup: %w", err)
	}
	if t.Webhooks != nil {
		setupCtx, cancelSetup := context.WithTimeout(ctx, cfg.SetupTimeout)
		err := setupWebhooks(setupCtx, base.withPhase(PhaseSetup), w, t.Webhooks, run)
		cancelSetup()
		if err != nil {
			return nil, fmt.Errorf("soak: setup: %w", err)
		}
	}
	cfg.logf("soak %s: %d orgs and %d principals set up; load for %v", run, len(w.Orgs), len(w.Principals), cfg.Duration)

	rec := newRecorder()
	l := &load{cfg: cfg, stats: st, stopped: make(chan struct{})}
	loadBegan := time.Now()
	var restartBegan, lossFrom, lossTo time.Time
	l.start(ctx, base.withPhase(PhaseLoad), w, rec, run)
	trapsDone := make(chan int, 1)
	go func() { trapsDone <- l.trap(ctx, t.Trap) }()
	l.until(ctx, loadBegan.Add(cfg.Duration/2), cfg.MaxRequests/2)
	if t.Restart != nil && ctx.Err() == nil {
		cfg.logf("soak %s: restarting the worker (%d load requests so far)", run, l.sent())
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
		st.watch(true)
		restartBegan = time.Now()
		err := t.Restart(ctx)
		back := time.Now()
		lossTo = back
		rep.Restarted, rep.RestartAt, rep.RestartCall = true, restartBegan.Sub(began), back.Sub(restartBegan)
		if err != nil {
			l.stop(0)
			return nil, fmt.Errorf("soak: restart: %w", err)
		}
		cfg.logf("soak %s: the worker answers again after %v", run, rep.RestartCall.Round(time.Millisecond))
		l.until(ctx, back.Add(cfg.Duration-cfg.Duration/2), cfg.MaxRequests)
		l.stop(cfg.Drain)
		st.watch(false)
		rep.RestartCost, rep.RestartServed = st.restartCost(restartBegan, back)
	} else {
		l.until(ctx, loadBegan.Add(cfg.Duration), cfg.MaxRequests)
		l.stop(cfg.Drain)
	}
	rep.Load = time.Since(loadBegan)
	rep.Traps = <-trapsDone
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("soak: interrupted: %w", err)
	}

	ledger := rec.snapshot()
	cfg.logf("soak %s: load done (%d requests); reading back", run, l.sent())
	readCtx, cancelRead := context.WithTimeout(ctx, cfg.ReadTimeout)
	snap := readBack(readCtx, base.withPhase(PhaseReadback), w, ledger, cfg.ReadConcurrency)
	cancelRead()
	rep.Findings = Check(w, ledger, snap)
	if t.Webhooks != nil {
		cfg.logf("soak %s: waiting for the webhook events", run)
		waitWebhooks(ctx, w, ledger, t.Webhooks, run, WebhookWait)
		time.Sleep(time.Second) // room for a late duplicate to be counted
		checkWebhooks(rep.Findings, w, ledger, t.Webhooks, run, lossFrom, lossTo)
	}

	st.mu.Lock()
	rep.Requests, rep.Replayed = st.sent, st.replayed
	rep.Anomalies = append([]Anomaly(nil), st.anomalies...)
	rep.AnomaliesDropped = st.anomalyDropped
	st.mu.Unlock()
	rep.Errors = st.errorKinds()
	rep.Elapsed = time.Since(began)
	return &Result{Report: rep, World: w, Ledger: ledger, Snapshot: snap}, rep.Err()
}

// trap calls trap (if not nil) every cfg.TrapEvery until the load stops,
// and returns how many of its calls succeeded.
func (l *load) trap(ctx context.Context, trap func(context.Context) error) int {
	if trap == nil {
		return 0
	}
	n := 0
	for {
		select {
		case <-l.stopped:
			return n
		case <-ctx.Done():
			return n
		case <-time.After(l.cfg.TrapEvery):
		}
		if trap(ctx) == nil {
			n++
		}
	}
}

// load runs the actors: one goroutine per principal and per org server.
type load struct {
	cfg     Config
	stats   *stats
	stopped chan struct{}
	held    sync.RWMutex
	abort   context.CancelFunc
	wg      sync.WaitGroup
}

func (l *load) start(ctx context.Context, c *client, w *World, rec *recorder, run string) {
	opCtx, abort := context.WithCancel(ctx)
	l.abort = abort
	g := gate{stopped: l.stopped, held: &l.held, stats: l.stats, max: l.cfg.MaxRequests}
	for i := range w.Principals {
		p := &w.Principals[i]
		u := &widgetUser{p: p, org: w.Orgs[p.Org], c: c, rec: rec, cfg: l.cfg, run: run, gate: g}
		l.wg.Go(func() { u.loop(opCtx) })
	}
	for _, org := range w.Orgs {
		s := &orgServer{org: org, c: c, rec: rec, cfg: l.cfg, run: run, gate: g}
		l.wg.Go(func() { s.loop(opCtx) })
	}
}

// until waits until the deadline, or until the load has sent maxSent
// requests, or until ctx ends.
func (l *load) until(ctx context.Context, deadline time.Time, maxSent int) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) && l.sent() < maxSent {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stop lets no operation start any more and waits up to drain for those
// under way, then aborts what is left.
func (l *load) stop(drain time.Duration) {
	close(l.stopped)
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drain):
	}
	l.abort()
	<-done
}

func (l *load) sent() int { return l.stats.sentUnderLoad() }

func runID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("soak: no randomness"))
	}
	return hex.EncodeToString(b)
}
