//go:build !js

package browsertest

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/wranglertest"
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

// holdPosts keeps the page's message posts in flight (not sent) until
// window.__release() sends them.
const holdPosts = `(function () { var f = window.fetch, held = []; window.fetch = function (u, i) {
	var self = this, args = arguments;
	if (held && i && i.method == "POST" && String(u).indexOf("/messages") >= 0) return new Promise(function (ok) { held.push(function () { ok(f.apply(self, args)); }); });
	return f.apply(this, arguments); };
	window.__release = function () { var h = held; held = null; h.forEach(function (g) { g(); }); }; window.__held = function () { return held ? held.length : -1; }; })()`

// aPostInFlight: an anonymous visitor's tab a with a chat, and its post of
// "in flight at the login" held on its way to the worker.
func aPostInFlight(t *testing.T) (*wranglertest.Server, *hostPage, *org, *device) {
	t.Helper()
	srv, host, o := setup(t)
	a := newDevice(t, "a")
	a.load(host.URL(srv.URL, o.config(nil)))
	a.openWidget(false)
	a.newChat("first, anonymous")
	a.exec(holdPosts)
	a.typeInto("[data-widget=message-input]", "in flight at the login")
	a.click("[data-widget=send]")
	a.waitFor(`window.__held() > 0`, "tab a's post to be in flight")
	return srv, host, o, a
}

// Two tabs of one browser: tab a's message is on its way (held) when the
// visitor logs in in tab b ("always"), whose own sends cannot reach the
// worker for now. The claim gives the message to the user; tab a's late
// post is refused (the chat is the user's) without dropping it; and tab b
// sends it once the worker is back, its panel left open on the list.
// Before, tab b sent it only when its panel was closed or its page reloaded.
func TestAMessageInFlightInOneTabReachesTheChatAnotherTabClaimed(t *testing.T) {
	srv, host, o, a := aPostInFlight(t)

	b := a.tab("b")
	b.load(claimPage(t, host, srv.URL, o, "ann", "always"))
	b.exec(offlinePosts)
	b.openWidget(false)
	if got := b.texts("[data-widget=session]"); len(got) != 1 {
		t.Fatalf("tab b lists %q after the claim", got)
	}
	a.exec(`window.__release()`)
	outbox := `(localStorage.getItem("chatwidget:` + o.WidgetToken + `:outbox") || "")`
	a.waitFor(`window.__held() < 0`, "tab a's post to go")
	if got := evalAs[string](a, outbox); !strings.Contains(got, "in flight at the login") {
		t.Fatalf("tab a's refused post dropped the message from the outbox: %q", got)
	}
	b.exec(`window.__off = false`)
	b.waitForIn(outbox+` === ""`, "tab b to send the message", 15*time.Second)
	if !evalAs[bool](b, `window.__t.visible("[data-widget=new-session]")`) {
		t.Error("tab b's panel left the list")
	}
	items := o.sessions(t, url.Values{"user_id": {"ann"}})
	if len(items) != 1 {
		t.Fatalf("ann has %+v", items)
	}
	if n := countContent(o.messages(t, items[0].ID), "user", "in flight at the login"); n != 1 {
		t.Errorf("the message was stored %d times", n)
	}
}

// The same, with tab b online: tab b's claim sends tab a's message first
// (as the visitor), and tab a's late post gets that stored message back.
// Tab a shows it sent; before, it showed it as sending for good (its chat,
// now the user's, no longer reads for it), and the visitor might type it
// again.
func TestAMessageAnotherTabsClaimSentShowsSentInItsTab(t *testing.T) {
	srv, host, o, a := aPostInFlight(t)

	b := a.tab("b")
	b.load(claimPage(t, host, srv.URL, o, "ann", "always"))
	b.openWidget(false)
	a.exec(`window.__release()`)
	a.waitFor(ackedUser("in flight at the login"), "tab a to show its message sent")
	items := o.sessions(t, url.Values{"user_id": {"ann"}})
	if len(items) != 1 {
		t.Fatalf("ann has %+v", items)
	}
	if n := countContent(o.messages(t, items[0].ID), "user", "in flight at the login"); n != 1 {
		t.Errorf("the message was stored %d times", n)
	}
}
