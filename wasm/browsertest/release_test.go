//go:build !js

package browsertest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A widget that a newer ChatWidget.init released may still be drawing its
// panel: an answer of the worker it asked for arrives after release, and
// widget.js reads the fields of what the core's methods return. The methods
// that return at once answer what a widget with nobody chatting and nothing
// pending would, never null, and no exception reaches the page.
func TestAReleasedWidgetAnswersAsAnEmptyOne(t *testing.T) {
	srv, host, o := setup(t)
	cfg, _ := json.Marshal(o.config(nil))
	d := newDevice(t, "d")
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}

	// The core's widget itself, released, then each method that returns at once.
	var got map[string]any
	b := evalAs[string](d, `(function () {
		var w = ChatWidgetCore.create(`+string(cfg)+`, location.origin).widget;
		w.release();
		var out = {};
		["status", "pending", "logout", "newKey", "newChatKey", "declineClaim"].forEach(function (m) { out[m] = w[m](); });
		return JSON.stringify(out);
	})()`)
	if err := json.Unmarshal([]byte(b), &got); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"status", "logout"} {
		s, ok := got[m].(map[string]any)
		if !ok {
			t.Errorf("%s() of a released widget is %v, want a Status", m, got[m])
			continue
		}
		if _, ok := s["prefill"].(map[string]any); !ok || s["pending"] != 0.0 || s["needsForm"] != false {
			t.Errorf("%s() of a released widget is %v, want an empty Status", m, s)
		}
	}
	if p, ok := got["pending"].([]any); !ok || len(p) != 0 {
		t.Errorf("pending() of a released widget is %v, want []", got["pending"])
	}
	for _, m := range []string{"newKey", "newChatKey"} {
		if got[m] != "" {
			t.Errorf("%s() of a released widget is %v, want \"\"", m, got[m])
		}
	}
	if got["declineClaim"] != false {
		t.Errorf("declineClaim() of a released widget is %v, want false", got["declineClaim"])
	}

	// The page: the panel waits for its list of sessions when init is called
	// again; the list arrives after the first widget was released.
	d.exec(`window.__fetch = fetch; window.__held = [];
		window.fetch = function (u, i) {
			if (window.__hold && String(u).indexOf("/v1/widget/sessions") >= 0)
				return new Promise(function (ok) { window.__held.push(function () { ok(window.__fetch(u, i)); }); });
			return window.__fetch(u, i);
		}; window.__hold = true`)
	d.click("[data-widget=launcher]")
	d.waitFor(`window.__held.length > 0`, "the first widget's list of sessions to be asked for")
	before := len(d.consoleErrors())
	if r := d.initIn(`window.__hold = false`, string(cfg)); r != true {
		t.Fatalf("the second init settled with %v: %q", r, d.consoleErrors())
	}
	d.exec(`window.__held.forEach(function (go) { go(); })`)
	d.waitFor(`window.__held.length > 0 && ChatWidgetCore.widgets() === 1`, "the first widget to be released")
	time.Sleep(time.Second) // the held answer reaches the released widget's panel
	for _, e := range d.consoleErrors()[before:] {
		if strings.HasPrefix(e, "exception") {
			t.Errorf("uncaught on the page: %s", e)
		}
	}
	d.openWidget(false)
	d.newChat("the second widget chats")
}

// A page on an origin the org does not allow: the worker refuses it (403
// origin_not_allowed without CORS headers, and the preflight), which the
// page sees as a network error. The panel says it retries, and the site's
// developer gets one line in the console naming the page's origin and the
// apiUrl, so that they know to check the org's allowed_origins.
func TestAPageOnAnOriginNotAllowedSaysSoOnceInTheConsole(t *testing.T) {
	srv := sharedServer(t)
	host := newHostPage(t)
	o := newOrg(t, srv, "https://elsewhere.example")
	d := newDevice(t, "d")
	d.load(host.URL(srv.URL, o.config(nil)))
	d.exec(`window.__fetch = fetch; window.__calls = 0; window.fetch = function (u, i) { window.__calls++; return window.__fetch(u, i); }`)
	d.click("[data-widget=launcher]")
	d.waitForIn(`window.__t.all("[role=alert]").some(function (e) { return e.textContent.indexOf("Retrying") >= 0; })`, "the panel to say it retries", 30*time.Second)
	d.waitForIn(`window.__calls > 4`, "the panel to try again", 30*time.Second)
	var lines []string
	for _, e := range d.consoleErrors() {
		if strings.Contains(e, "ChatWidget") {
			lines = append(lines, e)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("console errors %q, want one line of the widget", d.consoleErrors())
	}
	for _, s := range []string{host.Origin, srv.URL, "allowed_origins"} {
		if !strings.Contains(lines[0], s) {
			t.Errorf("the console line %q does not name %s", lines[0], s)
		}
	}
}

// ChatWidget.logout() on a page that has not called init (the site logs its
// user out on a page without the widget's config) forgets what the widget
// keeps in this browser, of every org, and nothing else of the site's: the
// next visitor starts clean.
func TestLogoutBeforeInitLeavesTheNextVisitorNothing(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "shared computer")
	page := host.URL(srv.URL, o.config(nil))
	if !d.load(page) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("the first visitor's chat")
	d.exec(`localStorage.setItem("chatwidget:pk_another_org_aaaaaaaaaaaaaaaaaaaa:device", "x"); localStorage.setItem("site:cart", "3 items")`)
	widgetKeys := `Object.keys(localStorage).filter(function (k) { return k.indexOf("chatwidget:") === 0; }).length`
	if n := evalAs[int](d, widgetKeys); n < 3 {
		t.Fatalf("%d widget keys in localStorage before logout", n)
	}

	d.do(chromedp.Navigate(host.URL(srv.URL, map[string]any{}) + "&noinit=1"))
	d.waitFor(`!!window.ChatWidget`, "widget.js")
	d.exec(`ChatWidget.logout()`)
	d.waitFor(widgetKeys+` === 0`, "logout to forget the widget's keys")
	if v := d.storage("site:cart"); v != "3 items" {
		t.Errorf("the site's own key is %q after logout", v)
	}
	for _, e := range d.consoleErrors() {
		t.Errorf("console: %s", e)
	}

	if !d.load(page) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.openWidget(false)
	if got := d.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("the next visitor sees %q", got)
	}
}
