//go:build !js

package browsertest

import (
	"encoding/json"
	"testing"
)

// offlinePosts makes the page's message posts fail on the network, as if the
// worker could not be reached, until window.__off is false.
const offlinePosts = `window.__off = true; (function () { var f = window.fetch; window.fetch = function (u, i) {
	return window.__off && i && i.method == "POST" && String(u).indexOf("/messages") >= 0 ? Promise.reject(new TypeError("offline")) : f.apply(this, arguments); }; })()`

// A page that names its user through getToken alone: a message left unsent
// by the previous page goes out after the reload without the panel being
// opened (before, getToken was not asked until it was, and the message
// waited, perhaps for good).
func TestAGetTokenUsersUnsentMessageGoesOutAfterAReloadWithThePanelClosed(t *testing.T) {
	srv, host, o := setup(t)
	tok := o.verifiedToken(t, map[string]any{"user_id": "gt-only"})
	cfg, _ := json.Marshal(o.config(nil))
	getTokenPage := `var c = ` + string(cfg) + `; c.getToken = function () { window.__calls = (window.__calls || 0) + 1; return Promise.resolve(` + jsString(tok) + `); }`
	d := newDevice(t, "d")
	anon := host.URL(srv.URL, o.config(nil))
	d.load(anon)
	if r := d.initIn(getTokenPage, "c"); r != true {
		t.Fatalf("init settled with %v: %q", r, d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("sent as the user")
	d.exec(offlinePosts)
	d.typeInto("[data-widget=message-input]", "left unsent by a reload")
	d.click("[data-widget=send]")
	outbox := `(localStorage.getItem("chatwidget:` + o.WidgetToken + `:outbox") || "")`
	d.waitFor(outbox+`.indexOf("left unsent by a reload") >= 0`, "the message in the outbox")

	d.load(anon)
	if r := d.initIn(getTokenPage, "c"); r != true {
		t.Fatalf("init settled with %v: %q", r, d.consoleErrors())
	}
	d.waitFor(outbox+` === ""`, "the outbox to empty with the panel closed")
	if n := evalAs[int](d, `window.__calls`); n != 1 {
		t.Errorf("getToken asked %d times, want 1", n)
	}
	if evalAs[bool](d, `window.__t.visible("[data-widget=message-input]")`) {
		t.Error("the panel was opened")
	}
	items := o.sessions(t, nil)
	if len(items) != 1 {
		t.Fatalf("the org has %+v", items)
	}
	if n := countContent(o.messages(t, items[0].ID), "user", "left unsent by a reload"); n != 1 {
		t.Errorf("the message was stored %d times", n)
	}
}
