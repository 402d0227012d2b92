// Package soak is the load and fault driver of `make soak`: many simulated
// widget users over several orgs, devices and verified users, an org server
// per org posting agent replies, and a restart of the worker halfway through.
// At the end it reads everything back and checks that every message the
// worker acknowledged with a 201 is stored exactly once, in the order
// acknowledged, in the right session, and that every session is visible to
// exactly the principals the access rules allow.
//
// The driver talks to a Target: a base URL (loopback only), the admin token,
// and optionally a Restart func. worker/cmd/soak runs it against `wrangler
// dev` (worker/test/wranglertest); StartInProcess serves internal/api in this
// process for quick runs, with a restart that kills in-flight requests.
//
// The files, one concept each:
//
//	config.go           Config: sizes, time and request bounds, pacing
//	target.go           Target: where the worker is and how to restart it
//	world.go            the orgs and principals the run creates (setup)
//	client.go           HTTP with Idempotency-Key retries, backoff, Retry-After
//	stats.go            requests sent, errors by kind, anomalies, restart timing
//	ledger.go           what was sent and what the worker acknowledged
//	actors.go           the widget users and the org servers
//	run.go              Run: setup, load, restart, drain, read back, check
//	snapshot.go         Snapshot: everything read back at the end
//	readback.go         how it is read: listings paged through, sessions by id
//	check.go            Check and its Findings: the ledger against the snapshot
//	check_sessions.go   each session stored once, seen by exactly its principals
//	check_messages.go   each message stored once, in its session, in order
//	report.go           Report and how it prints
//	inprocess.go        internal/api served in this process, with a restart
package soak
