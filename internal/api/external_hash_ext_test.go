package api_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/config"
)

// routeOpsBound is what one request may spend in KV: Workers fails an
// invocation past 1,000 operations, with a 5xx.
const routeOpsBound = 900

// pageToEnd pages a listing with get until next_cursor is null, checking
// each request's KV operations, and returns the ids listed.
func (e *env) pageToEnd(t *testing.T, get func(cursor string) resp) []string {
	t.Helper()
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		before := maps.Clone(e.mem.Ops())
		r := get(cursor)
		n := 0
		for k, v := range e.mem.Ops() {
			n += v - before[k]
		}
		if n > routeOpsBound {
			t.Fatalf("page %d took %d KV operations, over %d", page, n, routeOpsBound)
		}
		got = append(got, listIDs(t, r)...)
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			return got
		}
		if page > 1000 {
			t.Fatal("the listing does not end")
		}
		cursor = "&cursor=" + next
	}
}

// GET /v1/widget/sessions?external_id=ws-1 by a device with 1,100 sessions
// whose external id (256 "<", escaped in JSON) leaves no room in its summary:
// it holds the id's hash, and no page reads the record of another (before,
// one page read all 1,100, past Workers' limit of 1,000 KV operations).
func TestWidgetListingOfUnfitSummariesStaysUnderTheLimit(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RateLimits = config.RateLimits{} })
	o := e.newOrg("shop", originA)
	c := e.contact(o, device1)
	want := e.newSession(o, c, map[string]any{"external_id": "ws-1"})["id"].(string)
	long := strings.Repeat("<", 256)
	for i := 0; i < 1100; i++ {
		e.newSession(o, c, map[string]any{"external_id": long})
	}
	got := e.pageToEnd(t, func(cur string) resp {
		return e.widget(o, c, "GET", "/v1/widget/sessions?external_id=ws-1&limit=100"+cur, nil)
	})
	if !slices.Equal(got, []string{want}) {
		t.Errorf("listed %v, want [%s]", got, want)
	}
}
