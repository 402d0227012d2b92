// Package api is the worker's HTTP API, as the contract (API.md) describes
// it: the vendor's admin routes, the org server's routes, the widget's routes
// with their CORS rules, and the JWKS.
//
// A request's credentials become a caller value passed down the handler
// chain; nothing about a request is kept anywhere else, so one API value
// serves any number of requests at once. Errors are identity.Error values,
// mapped to an HTTP status and written as the contract's JSON shape in one
// place (errors.go).
package api
