package api_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestEmailFilterCountsCharacters: GET /v1/sessions?email= takes every
// address the API stores: up to 254 characters, counted as characters, not
// bytes. A 168-character address of 261 bytes (non-ASCII letters in its
// domain), which contacts and authenticate accept, was refused as "at most
// 254 characters"; 255 characters still are.
func TestEmailFilterCountsCharacters(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("A", originA)
	label := strings.Repeat("é", 31) // 62 bytes: a label's 63 at most
	email := strings.Repeat("a", 64) + "@" + label + "." + label + "." + label + ".example"
	if n := len([]rune(email)); n != 168 || len(email) != 261 {
		t.Fatalf("the address has %d characters, %d bytes", n, len(email))
	}
	tok := e.contact(o, device1, map[string]any{"email": email})
	sid := e.newSession(o, tok, nil)["id"].(string)
	r := e.server(o, "GET", "/v1/sessions?email="+url.QueryEscape(email), nil)
	items, _ := r.Body["items"].([]any)
	if r.Status != 200 || len(items) != 1 || items[0].(map[string]any)["id"] != sid {
		t.Errorf("GET /v1/sessions?email=<168 characters>: %d %s, want its session", r.Status, r.Raw)
	}
	long := strings.Repeat("é", 255)
	checkErrorNames(t, e.server(o, "GET", "/v1/sessions?email="+url.QueryEscape(long), nil), 400, "invalid_request", "email")
}
