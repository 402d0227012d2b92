package store_test

import (
	"errors"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// An org read by its widget token is kept: the next read costs no KV call
// and gives the same org, whatever the caller did to its copy.
func TestAnOrgReadByItsWidgetTokenIsKept(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	org, _, err := s.CreateOrg(ctx, "shop", []string{"https://shop.example"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.OrgByWidgetToken(ctx, org.WidgetToken)
	if err != nil || first.ID != org.ID {
		t.Fatalf("first read: %+v, %v", first, err)
	}
	first.AllowedOrigins[0] = "https://evil.example"
	first.ID = "changed"
	gets := mem.Ops()["get"]
	again, err := s.OrgByWidgetToken(ctx, org.WidgetToken)
	if err != nil {
		t.Fatal(err)
	}
	if n := mem.Ops()["get"] - gets; n != 0 {
		t.Errorf("the second read made %d KV gets, want 0", n)
	}
	if again.ID != org.ID || !again.AllowsOrigin("https://shop.example") || again.AllowsOrigin("https://evil.example") {
		t.Errorf("the kept org changed with the caller's copy: %+v", again)
	}
}

// An unknown widget token is not kept: each try asks KV again, so guesses
// fill nothing; nor does a kept org answer for a token that differs from its
// own only in a letter's case.
func TestAnUnknownWidgetTokenIsNotKept(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	org, _, err := s.CreateOrg(ctx, "shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	const guess = "pk_AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	for i := 0; i < 3; i++ {
		gets := mem.Ops()["get"]
		if _, err := s.OrgByWidgetToken(ctx, guess); !errors.Is(err, identity.ErrUnauthorized) {
			t.Fatalf("guess: %v, want ErrUnauthorized", err)
		}
		if n := mem.Ops()["get"] - gets; n != 1 {
			t.Errorf("try %d: %d KV gets, want 1 (not kept)", i, n)
		}
	}
	// The same bytes as a real token but for one letter's case: another token.
	upper := []byte(org.WidgetToken)
	for i := 3; i < len(upper); i++ {
		if c := upper[i]; c >= 'a' && c <= 'z' {
			upper[i] = c - 'a' + 'A'
			break
		} else if c >= 'A' && c <= 'Z' {
			upper[i] = c - 'A' + 'a'
			break
		}
	}
	if _, err := s.OrgByWidgetToken(ctx, org.WidgetToken); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrgByWidgetToken(ctx, string(upper)); !errors.Is(err, identity.ErrUnauthorized) {
		t.Errorf("a case-changed widget token: %v, want ErrUnauthorized", err)
	}
}
