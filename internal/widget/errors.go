package widget

import (
	"errors"
	"strconv"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// Sentinel errors of the widget core.
var (
	// ErrInvalidConfig is matched (errors.Is) by every *ConfigError.
	ErrInvalidConfig = errors.New("widget: invalid config")
	// ErrNetwork means the worker could not be reached, after retries.
	ErrNetwork = errors.New("widget: the chat service cannot be reached")
	// ErrNeedsUserData means the collectUserData form has not been filled yet.
	ErrNeedsUserData = errors.New("widget: name and email are needed before chatting")
	// ErrNoUserToken means verified mode has no token: user.token was dropped
	// (logout) and there is no getToken to ask for one.
	ErrNoUserToken = errors.New("widget: no verified user token")
	// ErrGetToken is matched (errors.Is) by a failure of the page's
	// getToken, which the widget logs where it happens (Deps.Log).
	ErrGetToken = errors.New("widget: getToken failed")
	// ErrInvalidForm is matched (errors.Is) by every *FormError.
	ErrInvalidForm = errors.New("widget: invalid form")
)

// APIError is an error answer of the worker: its HTTP status and the
// contract's {"error": {"code", "message"}}. errors.Is(err,
// identity.ErrTokenExpired) and the like match on the code.
type APIError struct {
	Status     int
	Code       identity.Code
	Message    string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	code := string(e.Code)
	if code == "" {
		code = "http_" + strconv.Itoa(e.Status)
	}
	if e.Message == "" {
		return code
	}
	return code + ": " + e.Message
}

// Is matches an *identity.Error or *APIError with the same code.
func (e *APIError) Is(target error) bool {
	switch t := target.(type) {
	case *identity.Error:
		return t.Code == e.Code
	case *APIError:
		return t.Code == e.Code
	}
	return false
}

// retryable reports whether the answer may succeed when sent again.
func (e *APIError) retryable() bool {
	return e.Status == 429 || e.Status >= 500
}

// permanent reports whether err will fail the same way however often it is
// sent: a 4xx other than 401 (renewable), 408 and 429.
func permanent(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status >= 400 && ae.Status < 500 && ae.Status != 401 && ae.Status != 408 && ae.Status != 429
}

// networkError is a transport failure: the request may or may not have
// reached the worker.
type networkError struct {
	err error
	// retryIn is how long to wait before the next try (Widget.unreachable).
	retryIn time.Duration
}

// RetryIn is how long a caller should wait before it tries again after err,
// a call that got no answer of the worker: it grows with each such call in
// a row, from PanelRetry to MaxPanelRetry. It is 0 for any other error.
func RetryIn(err error) time.Duration {
	var ne *networkError
	if errors.As(err, &ne) {
		return ne.retryIn
	}
	return 0
}

func (e *networkError) Error() string { return ErrNetwork.Error() + ": " + e.err.Error() }
func (e *networkError) Unwrap() []error {
	return []error{ErrNetwork, e.err}
}
