//go:build !js

// Package bench measures the Go worker against a JavaScript peer on the same
// runtime: `make bench` (worker/cmd/bench) runs it and prints the table.
//
// The peer (worker/test/bench/peer) is the same product written the way most teams
// would: a plain ES-module Worker using jose for the same EdDSA tokens (same
// SIGNING_KEYS seed, kid and claims) over the same KV layout
// (internal/store/doc.go), for POST /v1/users/authenticate,
// POST /v1/widget/contacts, GET /v1/widget/sessions and
// POST /v1/widget/sessions/{id}/messages (and POST /v1/widget/sessions, an
// extra row). Both run under `wrangler dev` (worker/test/wranglertest) on their own
// loopback ports. The org is made by the Go worker's admin API and written
// into the peer's KV through its POST /bench/seed.
//
// Run does, in order:
//
//  1. cold starts: each worker started afresh ColdStarts times; wrangler is
//     waited on through a static file, then the worker's first request
//     (GET /.well-known/jwks.json, no KV) is timed, and the next one;
//  2. the load: the same requests to both, Clients at once (each client its
//     own principal), Requests per route per worker per round, route by
//     route with the two workers back to back and who goes first
//     alternating, so that the machine's background load hits both alike;
//     every answer's status and body are checked; each worker's isolate
//     memory is read through wrangler dev's V8 inspector (memory.mjs: the
//     JavaScript heap after a full collection, and the WebAssembly memory
//     V8's heap figures leave out) after the warm-up, and again once the
//     routes in turn have made up MemoryRequests (10,000) in all;
//  3. the widget in headless Chromium: ms from the host page's
//     DOMContentLoaded to [data-widget=launcher] laid out, to the next frame,
//     and to ChatWidget.init() resolving true (the core is ready);
//  4. a profile on instrumented copies of both workers (instrument.mjs wraps
//     the entry and CHAT_KV): KV calls per request by kind, time in the
//     isolate split into waiting on KV and the rest, one request at a time;
//     and the first request's steps (WebAssembly.Instance, go.run → ready);
//  5. sizes as `make size` reports them (raw, gzip -9, brotli 11).
//
// The numbers come from a shared 2-core machine: read them as ratios between
// the two workers measured side by side, not as absolute latencies.
package bench
