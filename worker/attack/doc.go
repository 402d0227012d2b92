// Package attack is the worker's attack suite: a table of hostile requests
// (forged and damaged tokens, credentials of the wrong org or kind, reads of
// other people's sessions, foreign browser origins, oversized input), each
// with the exact refusal the contract (API.md) prescribes, and a runner that
// sends them to a running worker and checks, for every case:
//
//   - the status and error code are exactly the expected ones (or, for the
//     cases that say so, that the platform in front of the worker refused
//     the request before it reached the worker);
//   - nothing stored changed: the runner observes the state through the API
//     (org listings, every fixture session with its messages, every fixture
//     principal's /me and listing, the standing of the fixture's api keys and
//     of a probe origin) and, when the target can read its store directly
//     (Target.Snapshot), the store itself: every key and value of kv.Memory
//     in process, every value blob of wrangler dev's local KV (each put
//     writes a new one), before and after each case;
//   - the answer carries no credential that was sent (no api key, user token,
//     widget token or admin token in any header or body) and no 5xx;
//   - the answer has the error shape and the security headers
//     (X-Content-Type-Options, X-Frame-Options, Content-Security-Policy,
//     Referrer-Policy, Cache-Control: no-store on JSON);
//   - CORS: a refusal for a foreign origin has no Access-Control-Allow-Origin,
//     and server-only routes send no Access-Control-* header at all;
//   - the answer fits the OpenAPI document (internal/api/openapi/openapi.json):
//     requests go through the contract client (worker/test/contract).
//
// The runner makes its own two orgs (with the target's admin token), their
// devices, contacts, verified users, sessions and messages, so it can run
// against any worker, fresh or not. With the worker's SIGNING_KEYS it also
// forges tokens with a genuine signature on chosen claims (expired, not yet
// valid, foreign kid); without it those cases are reported as skipped.
//
// `go run ./worker/cmd/security` (make security) runs it against wrangler dev
// and prints one line per class; attack_test.go runs it in `make test`, both
// in-process (over kv.Memory) and against wrangler dev.
package attack
