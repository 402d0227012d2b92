package identity_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

func TestOrgAllowsOrigin(t *testing.T) {
	org := &identity.Org{AllowedOrigins: []string{"https://shop.example", "http://127.0.0.1:8787", "https://koffee.example"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://shop.example", true},
		{"https://SHOP.example", true},
		// Case variants of ASCII letters under Unicode (Kelvin sign, long s)
		// are other characters, not the allowed host's letters.
		{"https://\u212Aoffee.example", false},
		{"https://\u017Fhop.example", false},
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
