package token

import (
	"errors"
	"fmt"
)

// Errors of [Service.Verify]. Every error it returns wraps exactly one of
// them, with a short fixed reason that never contains the token.
var (
	// ErrInvalid: the token cannot be trusted or is not usable here:
	// malformed, too large, a bad signature, an algorithm other than EdDSA, a
	// missing or unknown kid, a wrong issuer, a missing or wrong claim, issued
	// or valid only in the future. The API answers 401 invalid_token.
	ErrInvalid = errors.New("token: invalid token")

	// ErrExpired: a genuine token of this org whose exp has passed. The API
	// answers 401 token_expired (the widget then asks for a fresh token).
	ErrExpired = errors.New("token: token expired")

	// ErrWrongAudience: a genuine token, but issued for another org than the
	// one the request names. The API answers 401.
	ErrWrongAudience = errors.New("token: token is for another org")
)

// Errors of [ParseKeyRing] and [Service.Issue]; like those of Verify they
// never contain key material.
var (
	// ErrKeyRing: the key ring spec cannot be used.
	ErrKeyRing = errors.New("token: invalid key ring")

	// ErrClaims: Issue was given claims it must not sign.
	ErrClaims = errors.New("token: cannot issue")
)

// Fixed reasons, so that an error never echoes its input.
const (
	reasonTooLarge     = "larger than 8 KiB"
	reasonEmpty        = "empty"
	reasonMalformed    = "malformed"
	reasonAlg          = "algorithm not accepted"
	reasonKID          = "missing or unknown kid"
	reasonHeader       = "unsupported header"
	reasonSignature    = "bad signature"
	reasonIssuer       = "wrong issuer"
	reasonNoSub        = "missing sub"
	reasonNoJTI        = "missing jti"
	reasonNoExp        = "missing exp"
	reasonNoIat        = "missing iat"
	reasonNoAud        = "missing aud"
	reasonKind         = "unknown kind"
	reasonNoCID        = "contact token without cid"
	reasonCrossKind    = "claims of the other kind"
	reasonSubCID       = "contact token whose sub is not its cid"
	reasonSubKey       = "verified token whose sub is not the identity key of its uid and email"
	reasonNoAPIKey     = "verified token without akid"
	reasonIatMilli     = "iat_ms does not match iat"
	reasonExpBeforeIat = "exp not after iat"
	reasonTimeRange    = "a time before 1970 or after 9999"
	reasonIssuedFuture = "issued in the future"
	reasonNotYetValid  = "not valid yet"
	reasonAudience     = "aud does not name this org"
	reasonExpired      = "exp has passed"
	reasonUnverifiable = "cannot be verified"
)

// fail wraps sentinel with a fixed reason.
func fail(sentinel error, reason string) error {
	return fmt.Errorf("%w: %s", sentinel, reason)
}
