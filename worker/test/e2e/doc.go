//go:build !js

// Package e2e holds the end-to-end tests of the worker: they start one real
// `wrangler dev` (through worker/test/wranglertest, after `make build`) and exercise
// the HTTP contract in API.md exactly as the widget, an org's server and the
// vendor would, including the six rules of who sees which chats (the access
// table, worker/test/access) and the limits of every field. Refusals of
// credentials, origins, malformed requests and unknown routes are rows of
// the attack table (worker/test/attack), which runs against wrangler dev too.
//
// They speak HTTP through the contract client (worker/test/contract) with
// validation on: every answer must fit the OpenAPI document
// (internal/api/openapi/openapi.json), and a 2xx to a request the document
// refuses fails the test too.
//
// Every test makes its own orgs, so tests are independent of each other and of
// whatever the persisted KV already holds; they share one server because
// wrangler takes seconds to start.
package e2e
