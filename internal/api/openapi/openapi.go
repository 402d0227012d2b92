// Package openapi holds the product contract (API.md) as an OpenAPI 3.1
// document, openapi.json, and embeds it for the test rigs that check
// requests and answers against it (worker/test/contract). The worker serves
// the same file at GET /openapi.json as a static asset (the Makefile copies
// it into build/public, where _headers gives it Access-Control-Allow-Origin: *).
//
// The document is written by hand, beside the code: a new route, field,
// status or error code goes into openapi.json in the same change. The
// contract client validates every request it sends and every answer it
// gets against it in the e2e suite, so an answer that drifts from the
// document fails a test.
package openapi

import _ "embed"

// JSON is the document, openapi.json.
//
//go:embed openapi.json
var JSON []byte
