//go:build !js

package browsertest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// The core must outlive whatever a page throws at it: TinyGo, which compiles
// it, has no recover on WebAssembly, so a JavaScript exception that reached
// Go, or a value encoding/json can only refuse by panicking, would stop the
// core for the rest of the page's life. Each bad config below is refused with
// a message naming the option; then, on the same page and the same core, a
// good config still chats.
func TestTheCoreOutlivesWhatAPageThrowsAtIt(t *testing.T) {
	srv, host, o := setup(t)
	good, _ := json.Marshal(o.config(nil))
	d := newDevice(t, "d")
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.exec(`window.__good = ` + string(good))

	cases := []struct {
		name, option, cfg string // cfg: a JavaScript expression; G is the good config
	}{
		{"a getter that throws", "user", `Object.defineProperty(Object.assign({}, G), "user", {enumerable: true, get: function () { throw new Error("boom"); }})`},
		{"a Proxy whose keys throw", "config", `new Proxy(G, {ownKeys: function () { throw new Error("boom"); }})`},
		{"an array whose element throws", "user.data.customData", `Object.assign({}, G, {user: {data: {name: "Ada", customData: {list: Object.defineProperty([1, 2], "1", {get: function () { throw new Error("boom"); }})}}}})`},
		{"NaN in customData", "user.data.customData", `Object.assign({}, G, {user: {data: {name: "Ada", customData: {n: NaN}}}})`},
		{"Infinity in customData", "user.data.customData", `Object.assign({}, G, {user: {data: {name: "Ada", customData: {deep: [-Infinity]}}}})`},
		{"a function in customData", "user.data.customData", `Object.assign({}, G, {user: {data: {name: "Ada", customData: {f: function () {}}}}})`},
		{"a huge sparse array in customData", "user.data.customData", `Object.assign({}, G, {user: {data: {name: "Ada", customData: {a: new Array(1e9)}}}})`},
		// Longer than a 32-bit int holds (the core's, under TinyGo): its
		// length is compared as a float (wasm/convert.go).
		{"an array of the longest length in customData", "user.data.customData", `Object.assign({}, G, {user: {data: {name: "Ada", customData: {a: new Array(4294967295)}}}})`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			before := len(d.consoleErrors())
			if r := d.initIn(`var G = window.__good`, c.cfg); r != false {
				t.Fatalf("init settled with %v, want false", r)
			}
			errs := d.consoleErrors()[before:]
			if len(errs) != 1 || !strings.Contains(errs[0], "ChatWidget") || !strings.Contains(errs[0], c.option) {
				t.Errorf("console errors %q, want one naming %s", errs, c.option)
			}
		})
	}
	d.t = t

	// localStorage that throws on every write (a full quota): the widget
	// keeps the device in memory and still chats.
	d.exec(`Storage.prototype.setItem = function () { throw new DOMException("full", "QuotaExceededError"); }`)
	if r := d.initIn("", `window.__good`); r != true {
		t.Fatalf("a good config settled with %v after the bad ones: %q", r, d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("still here after all that")
}

// getToken renews a verified token the worker refuses: the page's function
// is called, and what it returns is used. One that throws, or rejects with a
// reason that throws when read, is a refusal the widget shows, and the core
// keeps serving.
func TestGetTokenRenewsARefusedTokenAndItsThrowIsARefusal(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	good := o.verifiedToken(t, map[string]any{"user_id": "renewed-user", "email": "renewed@example.com"})
	cfg, _ := json.Marshal(o.config(map[string]any{"user": map[string]any{"token": "refused.by.worker"}}))
	init := func(getToken string) {
		d.t.Helper()
		if r := d.initIn(`window.__calls = 0; var c = `+string(cfg)+`; c.getToken = `+getToken, `c`); r != true {
			t.Fatalf("init settled with %v: %q", r, d.consoleErrors())
		}
	}

	init(`function () { window.__calls++; return new Promise(function (ok) { setTimeout(function () { ok(` + jsString(good) + `); }, 10); }); }`)
	d.openWidget(false)
	d.newChat("sent with the renewed token")
	if n := evalAs[int](d, `window.__calls`); n != 1 {
		t.Errorf("getToken called %d times, want 1", n)
	}
	var found bool
	for _, s := range o.sessions(t, url.Values{"user_id": {"renewed-user"}}) {
		for _, m := range o.messages(t, s.ID) {
			found = found || (s.Verified && m.Content == "sent with the renewed token")
		}
	}
	if !found {
		t.Error("the message is not in a verified session of the user")
	}

	for _, refusing := range []string{
		`function () { window.__calls++; throw new Error("no session on the page's server"); }`,
		// a rejection whose reason throws when its message is read
		`function () { window.__calls++; return Promise.reject({get message() { throw new Error("boom"); }}); }`,
	} {
		init(refusing)
		d.click("[data-widget=launcher]")
		d.waitFor(`window.__t.all("[role=alert]").length > 0`, "the refusal to be shown")
		if n := evalAs[int](d, `window.__t.all("[aria-busy=true]").length`); n != 0 {
			t.Errorf("%d elements still say they are loading after the refusal", n)
		}
		if n := evalAs[int](d, `window.__calls`); n < 1 {
			t.Errorf("getToken called %d times", n)
		}
		d.click("[data-widget=launcher]")
	}

	// The same core still serves a good config.
	anonymous, _ := json.Marshal(o.config(nil))
	if r := d.initIn("", string(anonymous)); r != true {
		t.Fatalf("a good config settled with %v after a throwing getToken: %q", r, d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("still here after a throwing getToken")
	// Every init replaced the widget before it, and released it in the core.
	if n := evalAs[int](d, `ChatWidgetCore.widgets()`); n != 1 {
		t.Errorf("after 4 inits the core holds %d widgets, want 1", n)
	}
}

// initIn runs setup on the page, then ChatWidget.init with the config the
// JavaScript expression cfg makes, and returns what init settled to: true,
// false, or "threw ..." when its promise was rejected (it never should be).
func (d *device) initIn(setup, cfg string) any {
	d.t.Helper()
	d.exec(setup + `; window.__r = undefined; ChatWidget.init(` + cfg + `).then(function (ok) { window.__r = ok; }, function (e) { window.__r = "threw " + e; })`)
	d.waitFor(`window.__r !== undefined`, "ChatWidget.init to settle")
	return evalAs[any](d, `window.__r`)
}
