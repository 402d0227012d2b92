//go:build !js

package browsertest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// setup starts (or reuses) the worker, a host page on another origin and an
// org that allows it.
func setup(t *testing.T) (*wranglertest.Server, *hostPage, *org) {
	t.Helper()
	srv := sharedServer(t)
	host := newHostPage(t)
	if host.Origin == srv.URL {
		t.Fatal("the host page must not share the worker's origin")
	}
	return srv, host, newOrg(t, srv, host.Origin)
}

func TestAnonymousChatSurvivesAReloadOnItsDeviceOnly(t *testing.T) {
	srv, host, o := setup(t)
	page := host.URL(srv.URL, o.config(nil))

	phone := newDevice(t, "phone")
	if !phone.load(page) {
		t.Fatalf("init refused a good config: %q", phone.consoleErrors())
	}
	t.Logf("init to launcher, first visit: %.0f ms", evalAs[float64](phone, `window.__readyMs`))
	phone.openWidget(false)
	if n := phone.count("[data-widget=session]"); n != 0 {
		t.Fatalf("a new device lists %d sessions", n)
	}
	phone.newChat("Hello from the phone")

	phone.load(page) // reload
	t.Logf("init to launcher, reload: %.0f ms", evalAs[float64](phone, `window.__readyMs`))
	phone.openWidget(false)
	if got := phone.texts("[data-widget=session]"); len(got) != 1 || !strings.Contains(got[0], "Hello from the phone") {
		t.Fatalf("after a reload the phone lists %q", got)
	}
	phone.click("[data-widget=session]")
	phone.waitFor(ackedUser("Hello from the phone"), "the earlier message after a reload")

	laptop := newDevice(t, "laptop")
	laptop.load(page)
	laptop.openWidget(false)
	if got := laptop.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("the other device lists %q", got)
	}
	if errs := phone.consoleErrors(); len(errs) != 0 {
		t.Errorf("console errors: %q", errs)
	}
}

func TestCollectUserDataRefusesABadEmailAndAcceptsAGoodOne(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "visitor")
	d.load(host.URL(srv.URL, o.config(map[string]any{"collectUserData": true, "prefillUserData": map[string]any{"name": "Ann Example"}})))
	d.openWidget(true)
	name := evalAs[string](d, string(hook("[data-widget=name]"))+".value")
	if name != "Ann Example" {
		t.Errorf("prefilled name %q", name)
	}
	if d.count("[data-widget=message-input]") != 0 || d.count("[data-widget=new-session]") != 0 {
		t.Error("the chat is reachable before the form is filled")
	}

	d.typeInto("[data-widget=email]", "ann@not-an-address")
	d.click("[data-widget=start]")
	d.waitFor(`window.__t.visible("[data-widget=error]")`, "a visible form error")
	if got := d.texts("[data-widget=error]"); len(got) != 1 || !strings.Contains(strings.ToLower(got[0]), "email") {
		t.Errorf("form error %q", got)
	}
	if n := len(o.sessions(t, nil)); n != 0 {
		t.Errorf("%d sessions after a refused form", n)
	}

	d.clear("[data-widget=email]")
	d.typeInto("[data-widget=email]", "ann@example.com")
	d.click("[data-widget=start]")
	d.waitSessionList()
	if d.count("[data-widget=error]") != 0 {
		t.Error("the form error stays after a good email")
	}
	d.newChat("Hi, I am Ann")
	items := o.sessions(t, url.Values{"email": {"ann@example.com"}})
	if len(items) != 1 || items[0].Verified {
		t.Errorf("the org's server finds %+v for ann@example.com, want one non-verified session", items)
	}
}

func TestTwoDevicesClaimingOneEmailSeeOnlyTheirOwnChats(t *testing.T) {
	srv, host, o := setup(t)
	page := host.URL(srv.URL, o.config(map[string]any{"collectUserData": true}))
	devices := []*device{newDevice(t, "first"), newDevice(t, "second")}
	for i, d := range devices {
		d.load(page)
		d.openWidget(true)
		d.typeInto("[data-widget=name]", "Same Person")
		d.typeInto("[data-widget=email]", "same@example.com")
		d.click("[data-widget=start]")
		d.waitSessionList()
		d.newChat(fmt.Sprintf("written on device %d", i))
	}
	for i, d := range devices {
		d.load(page)
		d.openWidget(false)
		got := d.texts("[data-widget=session]")
		if len(got) != 1 || !strings.Contains(got[0], fmt.Sprintf("written on device %d", i)) {
			t.Errorf("device %d lists %q", i, got)
		}
	}
}

func TestVerifiedUserSeesTheirChatsOnBothDevicesAndNotTheAnonymousOnes(t *testing.T) {
	srv, host, o := setup(t)
	a, b := newDevice(t, "a"), newDevice(t, "b")

	a.load(host.URL(srv.URL, o.config(nil)))
	a.openWidget(false)
	a.newChat("anonymous, before logging in")

	verified := func() string {
		return host.URL(srv.URL, o.config(map[string]any{"user": map[string]any{
			"token": o.verifiedToken(t, map[string]any{"user_id": "user-1", "email": "vera@example.com", "name": "Vera"}),
		}}))
	}
	a.load(verified())
	a.openWidget(false)
	if got := a.texts("[data-widget=session]"); len(got) != 0 {
		t.Fatalf("the verified user sees the device's anonymous chats: %q", got)
	}
	a.newChat("verified, from device a")

	b.load(verified())
	b.openWidget(false)
	got := b.texts("[data-widget=session]")
	if len(got) != 1 || !strings.Contains(got[0], "verified, from device a") {
		t.Fatalf("device b lists %q", got)
	}
	b.click("[data-widget=session]")
	b.waitFor(ackedUser("verified, from device a"), "device a's message on device b")
	b.send("verified, from device b")

	a.load(verified())
	a.openWidget(false)
	a.click("[data-widget=session]")
	a.waitFor(ackedUser("verified, from device b"), "device b's message on device a")
	if items := o.sessions(t, url.Values{"user_id": {"user-1"}}); len(items) != 1 || !items[0].Verified {
		t.Errorf("the org's server sees %+v", items)
	}
}

func TestExternalIDsKeepWorkspacesApart(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	inWorkspace := func(ws string) string {
		return host.URL(srv.URL, o.config(map[string]any{"externalId": ws}))
	}
	d.load(inWorkspace("workspace-1"))
	d.openWidget(false)
	d.newChat("about workspace 1")
	d.load(inWorkspace("workspace-2"))
	d.openWidget(false)
	if got := d.texts("[data-widget=session]"); len(got) != 0 {
		t.Fatalf("workspace-2 lists %q", got)
	}
	d.newChat("about workspace 2")
	d.load(inWorkspace("workspace-1"))
	d.openWidget(false)
	if got := d.texts("[data-widget=session]"); len(got) != 1 || !strings.Contains(got[0], "about workspace 1") {
		t.Errorf("workspace-1 lists %q", got)
	}

	// A verified token with an external id signed in.
	v := newDevice(t, "verified")
	tok := func(ws string) string {
		return o.verifiedToken(t, map[string]any{"user_id": "user-ws", "external_id": ws})
	}
	v.load(host.URL(srv.URL, o.config(map[string]any{"externalId": "acme", "user": map[string]any{"token": tok("acme")}})))
	v.openWidget(false)
	v.newChat("acme question")
	v.load(host.URL(srv.URL, o.config(map[string]any{"externalId": "globex", "user": map[string]any{"token": tok("globex")}})))
	v.openWidget(false)
	if got := v.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("globex lists %q", got)
	}
	items := o.sessions(t, url.Values{"external_id": {"acme"}})
	if len(items) != 1 || items[0].ExternalID == nil || *items[0].ExternalID != "acme" {
		t.Errorf("acme sessions %+v", items)
	}
}

func TestAgentReplyAppearsInTheOpenChat(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.load(host.URL(srv.URL, o.config(nil)))
	d.openWidget(false)
	d.newChat("Is anyone there?")
	items := o.sessions(t, nil)
	if len(items) != 1 {
		t.Fatalf("%d sessions", len(items))
	}
	o.agentReply(t, items[0].ID, "Yes, how can I help?")
	d.waitForIn(`window.__t.all("[data-widget=message][data-role=agent]").some(function (e) { return e.textContent === "Yes, how can I help?"; })`,
		"the agent's reply without a reload", 15*time.Second)
	time.Sleep(2500 * time.Millisecond) // one more poll: still shown once
	if got := d.texts("[data-widget=message][data-role=agent]"); len(got) != 1 {
		t.Errorf("agent messages %q", got)
	}
}

func TestLogoutLeavesTheNextVisitorNothing(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "shared computer")
	page := host.URL(srv.URL, o.config(map[string]any{"collectUserData": true}))
	d.load(page)
	d.openWidget(true)
	d.typeInto("[data-widget=name]", "First Visitor")
	d.typeInto("[data-widget=email]", "first@example.com")
	d.click("[data-widget=start]")
	d.waitSessionList()
	d.newChat("first visitor's secret")
	deviceKey := "chatwidget:" + o.WidgetToken + ":device"
	before := d.storage(deviceKey)
	if before == "" {
		t.Fatalf("no device id under %s", deviceKey)
	}

	d.exec(`ChatWidget.logout()`)
	if after := d.storage(deviceKey); after == before {
		t.Errorf("the device id %s is kept after logout", after)
	}
	left := evalAs[[]string](d, `Object.keys(localStorage).filter(function (k) { return k.indexOf("chatwidget:") === 0; })`)
	if len(left) != 0 {
		t.Errorf("storage after logout: %q", left)
	}
	d.openWidget(true)
	email := evalAs[string](d, string(hook("[data-widget=email]"))+".value")
	if email != "" {
		t.Errorf("the form shows %q to the next visitor", email)
	}
	d.typeInto("[data-widget=name]", "Next Visitor")
	d.typeInto("[data-widget=email]", "next@example.com")
	d.click("[data-widget=start]")
	d.waitSessionList()
	if got := d.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("the next visitor sees %q", got)
	}
	d.load(page)
	d.openWidget(false)
	if got := d.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("after a reload the next visitor sees %q", got)
	}
}

func TestABadConfigIsRefusedAndThePageLeftAlone(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	cases := []struct {
		name, option string
		cfg          map[string]any
	}{
		{"no token", "token", map[string]any{"apiUrl": srv.URL}},
		{"an api key as token", "token", o.config(map[string]any{"token": "sk_" + strings.Repeat("a", 40)})},
		{"both user.token and user.data", "user.token", o.config(map[string]any{"user": map[string]any{"token": "a.b.c", "data": map[string]any{"name": "x"}}})},
		{"invalid email in user.data", "user.data.email", o.config(map[string]any{"user": map[string]any{"data": map[string]any{"email": "nobody@nowhere"}}})},
		{"invalid prefill email", "prefillUserData.email", o.config(map[string]any{"collectUserData": true, "prefillUserData": map[string]any{"email": "x"}})},
		{"collectUserData not a boolean", "collectUserData", o.config(map[string]any{"collectUserData": "yes"})},
		// widget.js's early look is strict where that is cheap, so that these
		// show no launcher either, not even until the core has refused them.
		{"token in an array", "token", o.config(map[string]any{"token": []string{o.WidgetToken}})},
		{"claimChats not one of its values", "claimChats", o.config(map[string]any{"claimChats": "sometimes"})},
		{"claimChats not a string", "claimChats", o.config(map[string]any{"claimChats": true})},
		{"externalId empty", "externalId", o.config(map[string]any{"externalId": ""})},
		{"externalId too long", "externalId", o.config(map[string]any{"externalId": strings.Repeat("w", 257)})},
		{"externalId not a string", "externalId", o.config(map[string]any{"externalId": 42})},
		{"user without token or data", "user", o.config(map[string]any{"user": map[string]any{}})},
		{"user.token not a string", "user.token", o.config(map[string]any{"user": map[string]any{"token": 42}})},
		{"user.data.customData an array", "user.data.customData", o.config(map[string]any{"user": map[string]any{"data": map[string]any{"customData": []int{1}}}})},
		// The message is the Kelvin sign's own: the page got the sign, not the
		// bytes of its UTF-8 (each of which is refused, as a control character).
		{"user.data.email with a Kelvin sign", "user.data.email contains a character that is a case variant of an ASCII letter", o.config(map[string]any{"user": map[string]any{"data": map[string]any{"email": "ann@examplK.com"}}})},
		{"prefillUserData not an object", "prefillUserData", o.config(map[string]any{"prefillUserData": "Ann"})},
		{"apiUrl not http(s)", "apiUrl", o.config(map[string]any{"apiUrl": "javascript:alert(1)"})},
		// widget.js shows the launcher before the core has checked a config
		// that looks right; the core refuses this one and the launcher goes.
		{"looks right, refused by the core: avatarUrl not http(s)", "user.data.avatarUrl",
			o.config(map[string]any{"user": map[string]any{"data": map[string]any{"name": "Ada", "avatarUrl": "javascript:alert(1)"}}})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d.t = t
			before := len(d.consoleErrors())
			if d.load(host.URL(srv.URL, c.cfg)) {
				t.Fatal("init accepted the config")
			}
			if early := evalAs[bool](d, `window.__launcherAtInit`); early != strings.HasPrefix(c.name, "looks right") {
				t.Errorf("launcher shown at init: %v", early)
			}
			errs := d.consoleErrors()[before:]
			if len(errs) != 1 || !strings.Contains(errs[0], "ChatWidget") || !strings.Contains(errs[0], c.option) {
				t.Errorf("console errors %q, want one naming %s", errs, c.option)
			}
			if !evalAs[bool](d, `window.__before === document.documentElement.outerHTML`) {
				t.Error("the page changed")
			}
			if n := d.count("[data-widget]"); n != 0 {
				t.Errorf("%d widget hooks on the page", n)
			}
			if hosts := evalAs[int](d, `window.__t.shadowHosts()`); hosts != 0 {
				t.Errorf("%d shadow roots on the page", hosts)
			}
		})
	}
}

func TestStylesCrossTheShadowRootInNeitherDirection(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.load(host.URL(srv.URL, o.config(nil)))
	d.openWidget(false)
	d.click("[data-widget=new-session]")
	type styles struct {
		LauncherBg, LauncherFont, InputDisplay, HostButtonBg, HostButtonRadius, TitleFont string
	}
	st := evalAs[styles](d, `(function () {
		var l = getComputedStyle(window.__t.q("[data-widget=launcher]"));
		var i = getComputedStyle(window.__t.q("[data-widget=message-input]"));
		var hb = getComputedStyle(document.getElementById("host-button"));
		var h1 = getComputedStyle(document.getElementById("host-title"));
		return {LauncherBg: l.backgroundColor, LauncherFont: l.fontFamily, InputDisplay: i.display,
			HostButtonBg: hb.backgroundColor, HostButtonRadius: hb.borderTopLeftRadius, TitleFont: h1.fontFamily};
	})()`)
	if st.LauncherBg != "rgb(59, 91, 219)" || strings.Contains(st.LauncherFont, "monospace") || st.InputDisplay == "none" {
		t.Errorf("the host's styles reach into the widget: %+v", st)
	}
	if st.HostButtonBg != "rgb(0, 128, 0)" || st.HostButtonRadius != "0px" || st.TitleFont != "monospace" {
		t.Errorf("the widget's styles reach the host page: %+v", st)
	}
}

// A site with a strict Content-Security-Policy needs only what the README
// says (script-src and connect-src for the worker): its default-src 'self'
// must not leave the widget unstyled, as it would block a <style>.
func TestAStrictContentSecurityPolicyKeepsTheWidgetStyled(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	csp := "default-src 'self'; script-src 'unsafe-inline' " + srv.URL + " 'wasm-unsafe-eval'; connect-src " + srv.URL
	if !d.load(host.URL(srv.URL, o.config(nil)) + "&csp=" + url.QueryEscape(csp)) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	if bg := evalAs[string](d, `getComputedStyle(window.__t.q("[data-widget=launcher]")).backgroundColor`); bg != "rgb(59, 91, 219)" {
		t.Errorf("under %q the launcher's background is %s: the widget's styles were blocked", csp, bg)
	}
	d.openWidget(false)
	d.newChat("under a strict policy")
}

// The issue 6 scenario in a browser: a message typed while the worker is
// stopped is kept, and sent once when the worker is back, with no duplicate;
// one typed before a reload is sent by the next page load.
func TestAMessageTypedWhileTheWorkerIsDownIsSentOnceWhenItIsBack(t *testing.T) {
	requireTools(t)
	srv := wranglertest.StartT(t, wranglertest.Options{Vars: demoVars})
	host := newHostPage(t)
	o := newOrg(t, srv, host.Origin)
	page := host.URL(srv.URL, o.config(nil))
	d := newDevice(t, "d")
	d.load(page)
	d.openWidget(false)
	d.newChat("before the outage")
	items := o.sessions(t, nil)
	if len(items) != 1 {
		t.Fatalf("%d sessions", len(items))
	}
	sid := items[0].ID

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	const during = "typed during the outage"
	d.typeInto("[data-widget=message-input]", during)
	d.click("[data-widget=send]")
	pending := `window.__t.all("[data-widget=message][data-pending]").some(function (e) { return e.firstChild.textContent === ` + jsString(during) + `; })`
	d.waitFor(pending, "the message shown as pending")
	time.Sleep(6 * time.Second) // the client's retries and a few polls fail meanwhile
	d.waitFor(pending, "the message still pending while the worker is down")
	stored := d.storage("chatwidget:" + o.WidgetToken + ":outbox")
	if !strings.Contains(stored, during) {
		t.Fatalf("the outbox in localStorage is %q", stored)
	}

	ctx, cancel := context.WithTimeout(context.Background(), wranglertest.StartTimeout+30*time.Second)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	d.waitForIn(ackedUser(during), "the message to be sent once the worker is back", 30*time.Second)
	time.Sleep(5 * time.Second) // more polls: nothing is sent or shown twice
	if got := countContent(o.messages(t, sid), "user", during); got != 1 {
		t.Errorf("the worker stored the message %d times", got)
	}
	if got := d.texts("[data-widget=message][data-role=user]"); countPrefix(got, during) != 1 {
		t.Errorf("the chat shows %q", got)
	}

	// Down again; the page is left (reloaded later) with the message unsent.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	const beforeReload = "typed before a reload"
	d.typeInto("[data-widget=message-input]", beforeReload)
	d.click("[data-widget=send]")
	d.waitFor(`window.__t.all("[data-widget=message][data-pending]").length === 1`, "the second message pending")
	d.do(chromedp.Navigate("about:blank"))
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("restart: %v", err)
	}
	d.load(page) // the panel stays closed: the loader sends the outbox by itself
	deadline := time.Now().Add(30 * time.Second)
	for countContent(o.messages(t, sid), "user", beforeReload) == 0 && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(6 * time.Second)
	ms := o.messages(t, sid)
	if got := countContent(ms, "user", beforeReload); got != 1 {
		t.Errorf("the message left in the outbox was stored %d times", got)
	}
	var contents []string
	for _, m := range ms {
		contents = append(contents, m.Content)
	}
	if want := []string{"before the outage", during, beforeReload}; !slices.Equal(contents, want) {
		t.Errorf("messages %q, want %q", contents, want)
	}
}

func countPrefix(texts []string, prefix string) int {
	n := 0
	for _, s := range texts {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// The launcher shows as soon as init is called, before the Go core is ready;
// a page that opens the widget at once sees "Connecting…" and then the view
// the core decides on.
func TestTheLauncherShowsBeforeTheCoreIsReady(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	if !d.load(host.URL(srv.URL, o.config(nil)) + "&open=1") {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	if !evalAs[bool](d, `window.__launcherAtInit`) {
		t.Error("no launcher right after init")
	}
	// Opened before the core was ready: the session list follows.
	d.waitFor(`window.__t.visible("[data-widget=new-session]") && window.__t.all("[aria-busy=true]").length === 0`, "the session list")
	if !d.load(host.URL(srv.URL, o.config(map[string]any{"collectUserData": true})) + "&open=1") {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.waitFor(`window.__t.visible("[data-widget=email]")`, "the name/email form")
	if errs := d.consoleErrors(); len(errs) != 0 {
		t.Errorf("console errors: %q", errs)
	}
}

func TestDeleteMyConversationsErasesThemBehindAConfirmation(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "forgetful")
	page := host.URL(srv.URL, o.config(nil))
	d.load(page)
	d.openWidget(false)
	if d.count("[data-widget=forget]") != 0 {
		t.Error("a device without chats is offered to delete them")
	}
	d.newChat("forget me please")
	if n := len(o.sessions(t, nil)); n != 1 {
		t.Fatalf("%d sessions", n)
	}
	d.load(page)
	d.openWidget(false)
	d.click("[data-widget=forget]")
	if n := len(o.sessions(t, nil)); n != 1 {
		t.Fatalf("the first click erased: %d sessions", n)
	}
	d.click("[data-widget=forget-confirm]")
	d.waitFor(`Object.keys(localStorage).filter(function (k) { return k.indexOf("chatwidget:") === 0; }).length === 0`, "the device to be forgotten")
	if n := len(o.sessions(t, nil)); n != 0 {
		t.Errorf("after forget the org lists %d sessions", n)
	}
	d.openWidget(false)
	if got := d.texts("[data-widget=session]"); len(got) != 0 {
		t.Errorf("after forget: %q", got)
	}
	// ChatWidget.forget() from the page does the same.
	d.newChat("and me too")
	d.exec(`ChatWidget.forget().then(function () { window.__forgot = true; })`)
	d.waitFor(`window.__forgot === true`, "ChatWidget.forget() to resolve")
	if n := len(o.sessions(t, nil)); n != 0 {
		t.Errorf("after ChatWidget.forget() the org lists %d sessions", n)
	}
}

// A message the core refuses before queueing it (over 10,000 characters)
// is shown as failed, not as pending, nothing is sent, and its text stays in
// the input to be shortened.
func TestAMessageTooLongIsShownFailedAndKeptInTheInput(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.load(host.URL(srv.URL, o.config(nil)))
	d.openWidget(false)
	d.newChat("a short one first")
	d.exec(string(hook("[data-widget=message-input]")) + `.value = "x".repeat(10001)`)
	d.click("[data-widget=send]")
	d.waitFor(`window.__t.all("[data-widget=message][data-failed]").length === 1`, "the message shown as failed")
	if n := d.count("[data-widget=message][data-pending]"); n != 0 {
		t.Errorf("%d messages still shown as pending", n)
	}
	if got := d.texts("[data-widget=message][data-failed] small"); len(got) != 1 || !strings.Contains(got[0], "10000") {
		t.Errorf("the failed message says %q", got)
	}
	if n := evalAs[int](d, string(hook("[data-widget=message-input]"))+`.value.length`); n != 10001 {
		t.Errorf("the input holds %d characters after the refusal, want the 10001 typed", n)
	}
	if ms := o.messages(t, o.sessions(t, nil)[0].ID); len(ms) != 1 {
		t.Errorf("the worker stored %d messages", len(ms))
	}
}

// A panel opened while the worker cannot be reached says it retries, and
// does: once the worker answers, the list of sessions follows by itself,
// without the visitor closing and opening the panel again.
func TestAPanelOpenedOfflineRetriesUntilTheWorkerAnswers(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.load(host.URL(srv.URL, o.config(nil)))
	// The page's fetch fails while __off is set, as it does offline.
	d.exec(`window.__fetch = fetch; window.fetch = function (u, i) { return window.__off ? Promise.reject(new TypeError("Failed to fetch")) : window.__fetch(u, i); }; window.__off = true`)
	d.click("[data-widget=launcher]")
	d.waitForIn(`window.__t.all("[role=alert]").some(function (e) { return e.textContent.indexOf("Retrying") >= 0; })`, "the panel to say it retries", 30*time.Second)
	d.exec(`window.__off = false`)
	d.waitForIn(`window.__t.visible("[data-widget=new-session]") && window.__t.all("[role=alert]").length === 0`, "the session list once the worker answers", 30*time.Second)
	d.newChat("after the retry")
	// The list of a visitor who has a token (no request before it) retries too.
	d.exec(`window.__off = true`)
	d.click("[aria-label=Back]")
	d.waitForIn(`window.__t.all("[role=alert]").some(function (e) { return e.textContent.indexOf("Retrying") >= 0; })`, "the list to say it retries", 30*time.Second)
	d.exec(`window.__off = false`)
	d.waitForIn(`window.__t.all("[data-widget=session]").length === 1 && window.__t.all("[role=alert]").length === 0`, "the list once the worker answers", 30*time.Second)
}
