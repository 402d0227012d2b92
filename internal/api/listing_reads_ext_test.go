package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/config"
)

// GET /v1/sessions?verified=false on an org with 1,100 verified sessions
// whose custom data is over 1 KiB (their summaries are partial, and only
// their records say verified): every page stays under Workers' limit, and
// paging to the end returns the one non-verified session.
func TestOrgListingOfPartialSummariesStaysUnderTheLimit(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RateLimits = config.RateLimits{} })
	o := e.newOrg("shop", originA)
	want := e.newSession(o, e.contact(o, device1), nil)["id"].(string)
	user := e.verified(o, map[string]any{"user_id": "u-1"})
	data := map[string]any{"blob": strings.Repeat("x", 1100)}
	for i := 0; i < 1100; i++ {
		e.newSession(o, user, map[string]any{"custom_data": data})
	}
	got := e.pageToEnd(t, func(c string) resp { return e.server(o, "GET", "/v1/sessions?verified=false&limit=100"+c, nil) })
	if !slices.Equal(got, []string{want}) {
		t.Errorf("listed %v, want [%s]", got, want)
	}
}
