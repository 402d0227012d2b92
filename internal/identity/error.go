package identity

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code of the contract, in snake_case.
type Code string

// The contract's error codes. The API maps each to its HTTP status in one place.
const (
	CodeInvalidJSON         Code = "invalid_json"
	CodeInvalidRequest      Code = "invalid_request"
	CodeInvalidEmail        Code = "invalid_email"
	CodeInvalidDeviceID     Code = "invalid_device_id"
	CodeUnauthorized        Code = "unauthorized"
	CodeTokenExpired        Code = "token_expired"
	CodeTokenRevoked        Code = "token_revoked"
	CodeInvalidToken        Code = "invalid_token"
	CodeOriginNotAllowed    Code = "origin_not_allowed"
	CodeExternalIDMismatch  Code = "external_id_mismatch"
	CodeForbidden           Code = "forbidden"
	CodeNotFound            Code = "not_found"
	CodeMethodNotAllowed    Code = "method_not_allowed"
	CodeIdempotencyConflict Code = "idempotency_key_reused"
	CodePayloadTooLarge     Code = "payload_too_large"
	CodeRateLimited         Code = "rate_limited"
	CodeInternal            Code = "internal"
	CodeUnavailable         Code = "unavailable"
)

// Error is an error meant for the caller: a code and a sentence for a person.
// Messages never contain secrets, tokens or keys.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, identity.ErrNotFound) works whatever the message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Sentinels, one per code, for errors.Is.
var (
	ErrInvalidJSON         = &Error{Code: CodeInvalidJSON, Message: "The request body is not valid JSON."}
	ErrInvalidRequest      = &Error{Code: CodeInvalidRequest, Message: "The request is invalid."}
	ErrInvalidEmail        = &Error{Code: CodeInvalidEmail, Message: "The email address is not valid."}
	ErrInvalidDeviceID     = &Error{Code: CodeInvalidDeviceID, Message: "device_id must be a canonical UUID version 4."}
	ErrUnauthorized        = &Error{Code: CodeUnauthorized, Message: "A valid credential is required."}
	ErrTokenExpired        = &Error{Code: CodeTokenExpired, Message: "The user token has expired."}
	ErrTokenRevoked        = &Error{Code: CodeTokenRevoked, Message: "The user token has been revoked."}
	ErrInvalidToken        = &Error{Code: CodeInvalidToken, Message: "The user token is not valid."}
	ErrOriginNotAllowed    = &Error{Code: CodeOriginNotAllowed, Message: "This origin is not allowed for the widget token."}
	ErrExternalIDMismatch  = &Error{Code: CodeExternalIDMismatch, Message: "external_id does not match the one signed into the user token."}
	ErrForbidden           = &Error{Code: CodeForbidden, Message: "This credential may not do that."}
	ErrNotFound            = &Error{Code: CodeNotFound, Message: "Not found."}
	ErrMethodNotAllowed    = &Error{Code: CodeMethodNotAllowed, Message: "This method is not allowed on this route."}
	ErrIdempotencyConflict = &Error{Code: CodeIdempotencyConflict, Message: "This Idempotency-Key was already used for a different request."}
	ErrPayloadTooLarge     = &Error{Code: CodePayloadTooLarge, Message: "The request body is larger than 64 KiB."}
	ErrRateLimited         = &Error{Code: CodeRateLimited, Message: "Too many requests; retry later."}
	ErrInternal            = &Error{Code: CodeInternal, Message: "Something went wrong on our side; retry later."}
	ErrUnavailable         = &Error{Code: CodeUnavailable, Message: "Storage is unavailable; retry later."}
)

// ErrorCode returns the code of err: its *Error's code, or CodeInternal for
// anything else (which the API never shows in detail).
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Invalid returns an invalid_request error naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidRequest, Message: field + " " + fmt.Sprintf(format, args...)}
}
