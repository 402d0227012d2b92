// Package outbound is how the worker's Go code makes HTTP requests of its
// own (a webhook delivery): a Doer, which the Worker implements with the
// runtime's fetch (worker/cffetch) and native code and tests with net/http
// (NetHTTP) or a fake. Only the status of the answer is read; its body is
// discarded unread. Redirects are not followed: a 3xx is the answer.
package outbound

import (
	"context"
	"errors"
	"time"
)

// Request is one outgoing request.
type Request struct {
	Method string // "POST" when empty
	URL    string
	// Header holds the request's headers as name, value pairs.
	Header [][2]string
	Body   []byte
	// Timeout bounds the whole exchange, connection to the answer's
	// status; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout is a Request's timeout when it sets none.
const DefaultTimeout = 10 * time.Second

// Response is what was answered.
type Response struct {
	Status int
}

// ErrTimeout is wrapped by the error of a request that got no answer within
// its timeout.
var ErrTimeout = errors.New("outbound: no answer within the timeout")

// Doer makes a request and returns the answer's status, or an error when
// there was no answer (refused, timed out, not a valid URL).
type Doer interface {
	Do(ctx context.Context, r Request) (Response, error)
}

// MethodOf is r's method, POST when unset.
func MethodOf(r Request) string {
	if r.Method == "" {
		return "POST"
	}
	return r.Method
}

// TimeoutOf is r's timeout, DefaultTimeout when unset.
func TimeoutOf(r Request) time.Duration {
	if r.Timeout <= 0 {
		return DefaultTimeout
	}
	return r.Timeout
}
