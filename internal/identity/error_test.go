package identity_test

import (
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
)

var sentinels = []struct {
	err  *identity.Error
	code identity.Code
}{
	{identity.ErrInvalidJSON, identity.CodeInvalidJSON},
	{identity.ErrInvalidRequest, identity.CodeInvalidRequest},
	{identity.ErrInvalidEmail, identity.CodeInvalidEmail},
	{identity.ErrInvalidDeviceID, identity.CodeInvalidDeviceID},
	{identity.ErrUnauthorized, identity.CodeUnauthorized},
	{identity.ErrTokenExpired, identity.CodeTokenExpired},
	{identity.ErrTokenRevoked, identity.CodeTokenRevoked},
	{identity.ErrInvalidToken, identity.CodeInvalidToken},
	{identity.ErrOriginNotAllowed, identity.CodeOriginNotAllowed},
	{identity.ErrExternalIDMismatch, identity.CodeExternalIDMismatch},
	{identity.ErrForbidden, identity.CodeForbidden},
	{identity.ErrNotFound, identity.CodeNotFound},
	{identity.ErrMethodNotAllowed, identity.CodeMethodNotAllowed},
	{identity.ErrIdempotencyConflict, identity.CodeIdempotencyConflict},
	{identity.ErrPayloadTooLarge, identity.CodePayloadTooLarge},
	{identity.ErrRateLimited, identity.CodeRateLimited},
	{identity.ErrInternal, identity.CodeInternal},
	{identity.ErrUnavailable, identity.CodeUnavailable},
}

var snakeCase = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

func TestSentinels(t *testing.T) {
	seen := map[identity.Code]bool{}
	for _, s := range sentinels {
		t.Run(string(s.code), func(t *testing.T) {
			if s.err.Code != s.code {
				t.Errorf("code = %q, want %q", s.err.Code, s.code)
			}
			if !snakeCase.MatchString(string(s.code)) {
				t.Errorf("code %q is not snake_case", s.code)
			}
			if s.err.Message == "" || s.err.Message[len(s.err.Message)-1] != '.' {
				t.Errorf("message %q is not a sentence", s.err.Message)
			}
			if seen[s.code] {
				t.Errorf("code %q used twice", s.code)
			}
			seen[s.code] = true
			if got := identity.ErrorCode(s.err); got != s.code {
				t.Errorf("ErrorCode = %q", got)
			}
		})
	}
}

func TestErrorsIs(t *testing.T) {
	for _, s := range sentinels {
		t.Run(string(s.code), func(t *testing.T) {
			// Any *Error with the same code is the sentinel, whatever its message.
			own := identity.Errorf(s.code, "a message of its own about %s", "x")
			if !errors.Is(own, s.err) {
				t.Errorf("errors.Is(Errorf(%s), sentinel) = false", s.code)
			}
			wrapped := fmt.Errorf("context: %w", own)
			if !errors.Is(wrapped, s.err) {
				t.Errorf("errors.Is(wrapped, sentinel) = false")
			}
			if got := identity.ErrorCode(wrapped); got != s.code {
				t.Errorf("ErrorCode(wrapped) = %q", got)
			}
			// ... and no other sentinel.
			for _, o := range sentinels {
				if o.code != s.code && errors.Is(own, o.err) {
					t.Errorf("errors.Is(%s, %s) = true", s.code, o.code)
				}
			}
		})
	}
}

func TestErrorsIsNotOtherErrors(t *testing.T) {
	plain := errors.New("not_found: Not found.")
	if errors.Is(plain, identity.ErrNotFound) {
		t.Error("a plain error with the same text is the sentinel")
	}
	if errors.Is(identity.ErrNotFound, plain) {
		t.Error("the sentinel is a plain error")
	}
	if got := identity.ErrorCode(plain); got != identity.CodeInternal {
		t.Errorf("ErrorCode(plain) = %q, want internal", got)
	}
	if got := identity.ErrorCode(nil); got != identity.CodeInternal {
		t.Errorf("ErrorCode(nil) = %q", got)
	}
}

func TestInvalid(t *testing.T) {
	err := identity.Invalid("limit", "must be from %d to %d.", 1, 100)
	if err.Code != identity.CodeInvalidRequest || err.Message != "limit must be from 1 to 100." {
		t.Errorf("got %+v", err)
	}
	if err.Error() != "invalid_request: limit must be from 1 to 100." {
		t.Errorf("Error() = %q", err.Error())
	}
	if !errors.Is(err, identity.ErrInvalidRequest) {
		t.Error("not ErrInvalidRequest")
	}
}

func TestErrorfFormats(t *testing.T) {
	err := identity.Errorf(identity.CodeNotFound, "No route %s.", "/x")
	if err.Message != "No route /x." || err.Code != identity.CodeNotFound {
		t.Errorf("got %+v", err)
	}
}

func ExampleError() {
	err := fmt.Errorf("loading session: %w", identity.Errorf(identity.CodeNotFound, "No session %s.", "s-1"))

	fmt.Println(errors.Is(err, identity.ErrNotFound))
	fmt.Println(identity.ErrorCode(err))
	// Output:
	// true
	// not_found
}

func ExampleInvalid() {
	err := identity.Invalid("limit", "must be a whole number from 1 to %d.", 100)
	fmt.Println(err)
	// Output:
	// invalid_request: limit must be a whole number from 1 to 100.
}
