package identity_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"testing"
	"time"

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

func TestOrgAllowsOrigin(t *testing.T) {
	org := &identity.Org{AllowedOrigins: []string{"https://shop.example", "http://127.0.0.1:8787"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://shop.example", true},
		{"https://SHOP.example", true},
		{"http://127.0.0.1:8787", true},
		{"http://shop.example", false},
		{"https://shop.example:8443", false},
		{"https://evil.shop.example", false},
		{"https://shop.example.evil", false},
		{"https://shop.example/", false},
		{"null", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := org.AllowsOrigin(tt.origin); got != tt.want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	if (&identity.Org{}).AllowsOrigin("https://shop.example") {
		t.Error("an org without origins allows one")
	}
}

func TestSessionJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := identity.Session{
		ID: "s-1", OrgID: "secret-org", Owner: identity.Owner{Key: "v:secret", Verified: true},
		CreatedAt: at, UpdatedAt: at, Verified: true,
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "created_at", "updated_at", "verified", "external_id", "non_verified_custom_data", "last_message", "claimed_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("session JSON lacks %q: %s", k, b)
		}
	}
	if len(m) != 8 {
		t.Errorf("session JSON has other fields: %s", b)
	}
	if m["external_id"] != nil {
		t.Errorf("external_id = %v, want null", m["external_id"])
	}
	if m["created_at"] != "2026-01-02T03:04:05Z" {
		t.Errorf("created_at = %v", m["created_at"])
	}
	if s.ExternalIDValue() != "" {
		t.Errorf("ExternalIDValue = %q", s.ExternalIDValue())
	}
	ext := "ws-1"
	s.ExternalID = &ext
	if s.ExternalIDValue() != "ws-1" {
		t.Errorf("ExternalIDValue = %q", s.ExternalIDValue())
	}
}

func TestMessageJSON(t *testing.T) {
	m := identity.Message{ID: "m", SessionID: "s", Role: identity.RoleAgent, Content: "hi", AuthorName: "Bob", CreatedAt: time.Unix(0, 0).UTC()}
	b, _ := json.Marshal(m)
	want := `{"id":"m","session_id":"s","role":"agent","content":"hi","author_name":"Bob","created_at":"1970-01-01T00:00:00Z"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
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
