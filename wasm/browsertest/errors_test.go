//go:build !js

package browsertest

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every error the panel shows is a short sentence for the visitor, never
// the core's error chain ("widget: ...", a getToken's own words, a
// validation's field and count): those go to the console.
func TestThePanelShowsSentencesNotErrorChains(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.load(host.URL(srv.URL, o.config(map[string]any{"collectUserData": true})))
	var shown []string

	// The form, submitted while the worker cannot be reached.
	d.exec(`window.__fetch = fetch; window.fetch = function (u, i) { return window.__off ? Promise.reject(new TypeError("Failed to fetch")) : window.__fetch(u, i); }; window.__off = true`)
	d.openWidget(true)
	d.typeInto("[data-widget=name]", "Ann")
	d.typeInto("[data-widget=email]", "ann@example.com")
	d.click("[data-widget=start]")
	d.waitFor(`window.__t.visible("[data-widget=error]")`, "the form's error")
	shown = append(shown, d.texts("[data-widget=error]")...)
	d.exec(`window.__off = false`)

	// A verified token the worker refuses, and a getToken that throws.
	cfg, _ := json.Marshal(o.config(map[string]any{"user": map[string]any{"token": "refused.by.worker"}}))
	if r := d.initIn(`var c = `+string(cfg)+`; c.getToken = function () { throw new Error("no session on the page's server"); }`, `c`); r != true {
		t.Fatalf("init settled with %v: %q", r, d.consoleErrors())
	}
	d.click("[data-widget=launcher]")
	d.waitFor(`window.__t.all("[role=alert]").length > 0`, "the refusal to be shown")
	shown = append(shown, d.texts("[role=alert]")...)
	d.click("[data-widget=launcher]")

	// A message too long.
	anonymous, _ := json.Marshal(o.config(nil))
	if r := d.initIn("", string(anonymous)); r != true {
		t.Fatalf("init settled with %v: %q", r, d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("a short one first")
	d.exec(string(hook("[data-widget=message-input]")) + `.value = "x".repeat(10001)`)
	d.click("[data-widget=send]")
	d.waitFor(`window.__t.all("[data-widget=message][data-failed]").length === 1`, "the message shown as failed")
	long := d.texts("[data-widget=message][data-failed] small")
	if len(long) != 1 || !strings.Contains(long[0], "10000") {
		t.Errorf("the failed message says %q", long)
	}
	shown = append(shown, long...)

	if len(shown) != 3 {
		t.Fatalf("shown %q, want three errors", shown)
	}
	for _, m := range shown {
		for _, bad := range []string{"widget", "getToken", "page's server", "\n", "_", "got 10001", "message must"} {
			if strings.Contains(m, bad) {
				t.Errorf("the panel shows %q, which holds %q", m, bad)
			}
		}
	}
}

// A getToken that returns no string, throws or rejects: the console says
// so, naming getToken, the panel shows the refusal, and the widget stays
// usable: once getToken returns a token, the panel opened again chats.
func TestAFailingGetTokenIsLoggedAndTheWidgetStaysUsable(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	good := o.verifiedToken(t, map[string]any{"user_id": "getter"})
	cfg, _ := json.Marshal(o.config(nil))
	for _, c := range []struct{ name, fn, says string }{
		{"a number", `function () { return 42; }`, "number"},
		{"a Promise of undefined", `function () { return Promise.resolve(); }`, "undefined"},
		{"a throw", `function () { throw new Error("no session here"); }`, "no session here"},
		{"a rejection", `function () { return Promise.reject(new Error("login server down")); }`, "login server down"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			// The first call fails as c says; the next ones return the token.
			setup := `window.__calls = 0; var c = ` + string(cfg) + `; var bad = ` + c.fn + `;
				c.getToken = function () { return window.__calls++ ? ` + jsString(good) + ` : bad(); }`
			if r := d.initIn(setup, `c`); r != true {
				t.Fatalf("init settled with %v: %q", r, d.consoleErrors())
			}
			before := len(d.consoleErrors())
			d.click("[data-widget=launcher]")
			d.waitFor(`window.__t.all("[role=alert]").length > 0`, "the refusal to be shown")
			var lines []string
			for _, e := range d.consoleErrors()[before:] {
				if strings.Contains(e, "getToken") {
					lines = append(lines, e)
				}
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "ChatWidget") || !strings.Contains(lines[0], c.says) {
				t.Errorf("console errors %q, want one naming getToken and %q", d.consoleErrors()[before:], c.says)
			}
			d.click("[data-widget=launcher]") // closed
			d.openWidget(false)               // and opened again: getToken answers now
			d.click("[data-widget=launcher]")
		})
	}
}
