// Package contract is a test rig: the one HTTP client of the contract
// (API.md, as internal/api/openapi/openapi.json) that the suites speaking to
// the worker share, instead of each carrying its own.
//
// A Client sends one request per call: Do for any method, path and body
// (malformed ones included), and a typed method per route of the document
// (CreateOrg, Authenticate, CreateContact, PostUserMessage, ...) that
// marshals its request and decodes its answer. Credentials, the Origin, an
// Idempotency-Key or any header are Options, per client (With) or per call.
// Every answer is a *Response; an error status's body is parsed once, into
// Response.Error, in the contract's shape {"error": {"code", "message"}}.
//
// With a Validator (Load), every request a client sends and every answer it
// gets is checked against the OpenAPI document (kin-openapi's openapi3filter):
// Response.RequestErr says how a request does not fit it (the suites send
// malformed requests on purpose), Response.AnswerErr how an answer does not.
// The e2e suite fails a test on any AnswerErr, and on a 2xx answer to a
// request the document refuses, so that the worker and the document cannot
// drift apart unnoticed; the attack suite and the browser tests check their
// answers too. The soak and the bench send through a client without a
// Validator (the bench would time the validation).
//
// An operation tagged not-yet in the document (in the contract, not built
// yet) may answer 404 or 405; internal/api's TestRoutesAreTheDocuments
// fails once its route is registered, so that the tag goes.
package contract
