//go:build !js

package browsertest

import (
	"net/url"
	"strings"
	"testing"
)

// claimPage is the page of a verified user with claimChats set to mode.
func claimPage(t *testing.T, host *hostPage, srv string, o *org, userID, mode string) string {
	t.Helper()
	return host.URL(srv, o.config(map[string]any{
		"user":       map[string]any{"token": o.verifiedToken(t, map[string]any{"user_id": userID})},
		"claimChats": mode,
	}))
}

// anonymousChats makes one anonymous chat per text on d, each from the list.
func anonymousChats(d *device, page string, texts ...string) {
	d.t.Helper()
	for _, text := range texts {
		d.load(page)
		d.openWidget(false)
		d.newChat(text)
	}
}

func TestClaimAskAcceptedCarriesTheChatsToEveryDevice(t *testing.T) {
	srv, host, o := setup(t)
	anon := host.URL(srv.URL, o.config(nil))
	a := newDevice(t, "a")
	anonymousChats(a, anon, "first, anonymous", "second, anonymous")

	a.load(claimPage(t, host, srv.URL, o, "ann", "ask"))
	a.click("[data-widget=launcher]")
	a.waitFor(`window.__t.visible("[data-widget=claim]") && window.__t.visible("[data-widget=claim-decline]")`, "the claim prompt")
	if got := evalAs[string](a, `window.__t.q("[data-widget=claim]").parentNode.textContent`); !strings.Contains(got, "Add the 2 conversations from this browser to your account?") {
		t.Errorf("the prompt says %q", got)
	}
	a.click("[data-widget=claim]")
	a.waitSessionList()
	if got := a.texts("[data-widget=session]"); len(got) != 2 {
		t.Fatalf("after the claim the user lists %q", got)
	}
	if c := a.storage("chatwidget:" + o.WidgetToken + ":contact"); c != "" {
		t.Errorf("the contact token is still stored: %q", c)
	}
	// Another device of the same user sees them; the same device asks no more.
	b := newDevice(t, "b")
	b.load(claimPage(t, host, srv.URL, o, "ann", "never"))
	b.openWidget(false)
	if got := b.texts("[data-widget=session]"); len(got) != 2 {
		t.Errorf("device b lists %q", got)
	}
	a.load(claimPage(t, host, srv.URL, o, "ann", "ask"))
	a.openWidget(false)
	if n := a.count("[data-widget=claim]"); n != 0 {
		t.Errorf("asked again after a claim")
	}
	// The device's visitor (anonymous again) no longer sees them.
	a.load(anon)
	a.openWidget(false)
	if got := a.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("the anonymous visitor still lists %q", got)
	}
	if items := o.sessions(t, url.Values{"user_id": {"ann"}}); len(items) != 2 || items[0].Verified {
		t.Errorf("the org's server sees %+v", items)
	}
}

func TestClaimAskDeclinedLeavesTheChatsAndAsksNoMore(t *testing.T) {
	srv, host, o := setup(t)
	anon := host.URL(srv.URL, o.config(nil))
	d := newDevice(t, "d")
	anonymousChats(d, anon, "only, anonymous")

	d.load(claimPage(t, host, srv.URL, o, "bo", "ask"))
	d.click("[data-widget=launcher]")
	d.waitFor(`window.__t.visible("[data-widget=claim-decline]")`, "the claim prompt")
	if got := evalAs[string](d, `window.__t.q("[data-widget=claim]").parentNode.textContent`); !strings.Contains(got, "Add the conversation from this browser") {
		t.Errorf("the prompt says %q", got)
	}
	d.click("[data-widget=claim-decline]")
	d.waitSessionList()
	if got := d.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("after declining the user lists %q", got)
	}
	d.load(claimPage(t, host, srv.URL, o, "bo", "ask"))
	d.openWidget(false)
	if n := d.count("[data-widget=claim]"); n != 0 {
		t.Errorf("asked again after declining")
	}
	d.load(anon)
	d.openWidget(false)
	if got := d.texts("[data-widget=session]"); len(got) != 1 {
		t.Errorf("the device's chat after declining: %q", got)
	}
	// The mark that bo answered names bo: logout takes it with the rest.
	d.exec(`localStorage.setItem("host-page-key", "kept")`)
	d.exec(`ChatWidget.logout()`)
	d.waitFor(`!localStorage.getItem("chatwidget:`+o.WidgetToken+`:device")`, "the logout")
	if keys := evalAs[[]string](d, `Object.keys(localStorage)`); len(keys) != 1 || keys[0] != "host-page-key" {
		t.Errorf("after logout the browser keeps %q, want only the page's own key", keys)
	}
}

func TestClaimAlwaysClaimsWithoutAsking(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	anonymousChats(d, host.URL(srv.URL, o.config(nil)), "anonymous, then logged in")
	d.load(claimPage(t, host, srv.URL, o, "cy", "always"))
	d.openWidget(false)
	if n := d.count("[data-widget=claim]"); n != 0 {
		t.Errorf("\"always\" asked")
	}
	if got := d.texts("[data-widget=session]"); len(got) != 1 || !strings.Contains(got[0], "anonymous, then logged in") {
		t.Errorf("after an automatic claim the user lists %q", got)
	}
}

// The first message of a new chat is sent, and the page reloaded before
// the answer came back: after the reload the list shows the chat as
// sending, then sent, with nothing done.
func TestANewChatLeftByAReloadShowsAsSendingThenSent(t *testing.T) {
	srv, host, o := setup(t)
	page := host.URL(srv.URL, o.config(nil))
	d := newDevice(t, "d")
	d.load(page)
	d.openWidget(false)
	d.click("[data-widget=new-session]")
	// The answer never comes back to this page.
	d.exec(`(function () { var f = window.fetch; window.fetch = function (u) {
		return String(u).indexOf("/v1/widget/sessions") >= 0 ? new Promise(function () {}) : f.apply(this, arguments); }; })()`)
	d.typeInto("[data-widget=message-input]", "sent just before a reload")
	d.click("[data-widget=send]")
	d.waitFor(`(localStorage.getItem("chatwidget:`+o.WidgetToken+`:outbox") || "").indexOf("sent just before a reload") >= 0`, "the message in the outbox")
	d.load(page)
	d.click("[data-widget=launcher]")
	d.waitFor(`window.__t.all("[data-widget=session]").some(function (e) { return e.textContent.indexOf("sent just before a reload") >= 0; })`, "the chat in the list")
	d.waitFor(`window.__t.all("[data-widget=session]").some(function (e) { return e.textContent.indexOf("sent just before a reload") >= 0 && !e.hasAttribute("data-pending"); })`, "the chat shown as sent")
	if n := d.count("[data-widget=session]"); n != 1 {
		t.Errorf("the list shows %d chats", n)
	}
	items := o.sessions(t, nil)
	if len(items) != 1 || items[0].LastMessage == nil || items[0].LastMessage.Content != "sent just before a reload" {
		t.Fatalf("the org has %+v", items)
	}
	if got := countContent(o.messages(t, items[0].ID), "user", "sent just before a reload"); got != 1 {
		t.Errorf("the message was stored %d times", got)
	}
}
