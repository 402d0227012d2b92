// Package identity is the domain of the product, with no I/O: who is chatting
// (contacts and verified users), the principal a request acts as, sessions and
// messages, the six access rules of the contract as plain functions, the
// validation of everything a caller may send, and the one Error type whose
// Code the API maps to an HTTP status.
//
// It compiles natively and for GOOS=js GOARCH=wasm: the worker and the browser
// widget share it.
package identity
