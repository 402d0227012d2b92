// Package token issues and verifies the worker's user tokens: contact tokens
// (a device of an org, not verified) and verified tokens (an identity of an
// org, vouched for by the org's server). Both are JWTs signed with Ed25519
// ("EdDSA") by a [KeyRing] whose keys are named by kid; the public half of the
// ring is published as a JSON Web Key Set ([Service.JWKS]).
//
// The algorithm is chosen by the key ring, never by a token's header: a token
// whose header names any other algorithm, a kid that is not in the ring, or no
// kid at all is refused before its signature is looked at.
//
// [Service.Verify] returns an error that wraps exactly one of [ErrInvalid],
// [ErrExpired] and [ErrWrongAudience]; check it with [errors.Is]. No error of
// this package contains a token or key material.
//
// The package does no I/O, keeps no mutable package-level state and leaves the
// globals of golang-jwt (TimePrecision, MarshalSingleStringAsArray, ...) alone,
// so a [Service] may be shared by concurrent requests and the package builds
// for GOOS=js GOARCH=wasm.
package token
