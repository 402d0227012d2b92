package api

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
)

// status maps each error code to its HTTP status: the one place that does.
var status = map[identity.Code]int{
	identity.CodeInvalidJSON:         httpx.StatusBadRequest,
	identity.CodeInvalidRequest:      httpx.StatusBadRequest,
	identity.CodeInvalidEmail:        httpx.StatusBadRequest,
	identity.CodeInvalidDeviceID:     httpx.StatusBadRequest,
	identity.CodeUnauthorized:        httpx.StatusUnauthorized,
	identity.CodeTokenExpired:        httpx.StatusUnauthorized,
	identity.CodeTokenRevoked:        httpx.StatusUnauthorized,
	identity.CodeInvalidToken:        httpx.StatusUnauthorized,
	identity.CodeOriginNotAllowed:    httpx.StatusForbidden,
	identity.CodeExternalIDMismatch:  httpx.StatusForbidden,
	identity.CodeForbidden:           httpx.StatusForbidden,
	identity.CodeNotFound:            httpx.StatusNotFound,
	identity.CodeMethodNotAllowed:    httpx.StatusMethodNotAllowed,
	identity.CodeIdempotencyConflict: httpx.StatusConflict,
	identity.CodePayloadTooLarge:     httpx.StatusRequestEntityTooLarge,
	identity.CodeRateLimited:         httpx.StatusTooManyRequests,
	identity.CodeUnavailable:         httpx.StatusServiceUnavailable,
	identity.CodeInternal:            httpx.StatusInternalServerError,
}

// StatusOf returns the HTTP status of err.
func StatusOf(err error) int {
	if s, ok := status[codeOf(err)]; ok {
		return s
	}
	return httpx.StatusInternalServerError
}

func codeOf(err error) identity.Code {
	if errors.Is(err, identity.ErrUnavailable) {
		return identity.CodeUnavailable
	}
	return identity.ErrorCode(err)
}

// rateLimited is an error carrying how long to wait.
type rateLimited struct {
	retryAfter int
}

func (e *rateLimited) Error() string { return "rate limited" }
func (e *rateLimited) Unwrap() error { return identity.ErrRateLimited }

// errorJSON is the body of an error answer: the one place that writes the
// contract's error shape.
func errorJSON(code identity.Code, message string) []byte {
	b, err := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: message}})
	if err != nil { // a Code and a string always marshal
		panic(err)
	}
	return b
}

// InternalErrorBody is the body of every 500 (identity.ErrInternal): of
// writeError, of writeJSON when a value does not marshal, and of the
// worker's bridge when a request fails outside the API. It is
// errorJSON(identity.CodeInternal, identity.ErrInternal.Message) written out
// (TestStartLiteralsAreWhatTheyWriteOut holds it to that): marshalled at package
// initialization, it ran at every start of the worker, where TinyGo builds a
// literal at compile time.
var InternalErrorBody = []byte(`{"error":{"code":"internal","message":"Something went wrong on our side; retry later."}}`)

// Unavailable returns a handler that answers every request with 503
// unavailable and message, in the contract's shape: the worker's, when its
// configuration cannot be loaded.
func Unavailable(message string) httpx.Handler {
	body := errorJSON(identity.CodeUnavailable, message)
	return httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
		setSecurityHeaders(w.Header())
		writeRaw(w, StatusOf(identity.ErrUnavailable), body)
	})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    identity.Code `json:"code"`
	Message string        `json:"message"`
}

// writeError writes err in the contract's shape. Errors that are not
// identity.Errors are logged and shown only as a generic message.
func (a *API) writeError(w httpx.ResponseWriter, r *httpx.Request, err error) {
	code := codeOf(err)
	st := StatusOf(err)
	msg := ""
	var e *identity.Error
	switch {
	case code == identity.CodeUnavailable:
		msg = identity.ErrUnavailable.Message
		a.log.Error("storage unavailable", "method", r.Method, "route", r.Pattern, "err", err.Error())
	case errors.As(err, &e):
		msg = e.Message
	default:
		msg = identity.ErrInternal.Message
		a.log.Error("internal error", "method", r.Method, "route", r.Pattern, "err", err.Error())
	}
	var rl *rateLimited
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(max(rl.retryAfter, 1)))
	}
	if code == identity.CodeInternal {
		writeRaw(w, st, InternalErrorBody)
		return
	}
	writeRaw(w, st, errorJSON(code, msg))
}
