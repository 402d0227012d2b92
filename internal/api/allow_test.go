package api

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/config"
)

// TestAllowListsHeadOnEveryGetRoute: every GET route (the demo ones
// included) answers HEAD, not 405, so the Allow of a 405 on its path lists
// HEAD beside GET (RFC 9110, 10.2.1: the methods the resource supports), and
// OPTIONS on a widget path, which answers preflights. A route added later is
// checked too.
func TestAllowListsHeadOnEveryGetRoute(t *testing.T) {
	a := bareAPI(t, config.Config{DemoRoutes: true, RateLimits: config.DefaultRateLimits})
	param := regexp.MustCompile(`\{[^}]*\}`)
	methods := map[string][]string{}
	for _, p := range a.routes.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		methods[path] = append(methods[path], method)
	}
	gets := 0
	for path, ms := range methods {
		if !slices.Contains(ms, "GET") {
			continue
		}
		gets++
		target := param.ReplaceAllString(path, "x")
		head := httptest.NewRecorder()
		a.ServeHTTP(head, httptest.NewRequest("HEAD", target, nil))
		if head.Code == 405 || head.Code >= 500 {
			t.Errorf("HEAD %s: %d, want what GET answers", target, head.Code)
		}
		get := httptest.NewRecorder()
		a.ServeHTTP(get, httptest.NewRequest("GET", target, nil))
		if head.Code != get.Code {
			t.Errorf("HEAD %s: %d, GET %d", target, head.Code, get.Code)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest("TRACE", target, nil))
		allow := strings.Split(rec.Header().Get("Allow"), ", ")
		if rec.Code != 405 || !slices.Contains(allow, "HEAD") || slices.Index(allow, "HEAD") != slices.Index(allow, "GET")+1 {
			t.Errorf("TRACE %s: %d, Allow %q, want 405 with HEAD after GET", target, rec.Code, rec.Header().Get("Allow"))
		}
		if isWidgetPath(path) != slices.Contains(allow, "OPTIONS") {
			t.Errorf("TRACE %s: Allow %q: OPTIONS must be listed on widget paths only", target, rec.Header().Get("Allow"))
		}
	}
	if gets < 10 {
		t.Fatalf("%d GET routes: the routes were not read", gets)
	}
}
