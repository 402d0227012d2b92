//go:build !js

package browsertest

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// beforePage runs the JavaScript on every document of d before the page's
// own scripts: what a site's other scripts did to the page before the
// widget's came.
func (d *device) beforePage(js string) {
	d.t.Helper()
	d.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
		return err
	}))
}

// noExceptions fails the test when the page threw something uncaught.
func (d *device) noExceptions() {
	d.t.Helper()
	for _, l := range d.consoleErrors() {
		if strings.HasPrefix(l, "exception:") {
			d.t.Errorf("%s: uncaught: %s", d.name, l)
		}
	}
}

// A page whose scripts added an enumerable property to Object.prototype (an
// old library's polyfill, an analytics snippet): the widget builds its
// elements from its own keys only. It used to read every key a for-in gave,
// so init threw "Cannot read properties of undefined" and never settled.
func TestAPageThatAddedToObjectPrototypeStillChats(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.beforePage(`Object.prototype.polluted = "yes"; Array.prototype.alsoPolluted = function () {};`)
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("on a polluted page")
	if n := evalAs[int](d, `window.__t.all("[polluted]").length`); n != 0 {
		t.Errorf("%d of the widget's elements got the page's inherited property as an attribute", n)
	}
	d.noExceptions()
}

// localStorage that refuses a write once the widget has started (the site's
// own data filled the quota; the widget's probe of one byte still fit): the
// message goes into the outbox kept in memory and is sent. Before, the
// refused write was dropped, the outbox read back empty and the message
// stayed "sending" for good, with nothing in the console.
func TestAMessageIsSentWhenLocalStorageRefusesTheOutbox(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.exec(`var set = Storage.prototype.setItem; Storage.prototype.setItem = function (k, v) {
		if (String(v).length > 40) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
		return set.call(this, k, v); }`)
	d.openWidget(false)
	d.newChat("sent with a full quota")
	d.send("and a second one")
	d.noExceptions()
}

// A page that runs a Go program of its own has Go's wasm_exec.js, whose
// window.Go cannot run the widget's TinyGo core. The widget used the page's
// Go when there was one, and init failed ("Import #18
// wasi_snapshot_preview1: module is not an object or function"). It now
// loads its own and gives the page's Go back.
func TestAPageWithItsOwnGoWasmExecStillChats(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	goExec, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		t.Skipf("Go's wasm_exec.js: %v", err)
	}
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	d.beforePage(string(goExec) + `; window.__pageGo = window.Go;`)
	if !d.load(host.URL(srv.URL, o.config(nil))) {
		t.Fatalf("init refused a good config: %q", d.consoleErrors())
	}
	d.openWidget(false)
	d.newChat("beside the page's Go")
	if !evalAs[bool](d, `window.Go === window.__pageGo`) {
		t.Error("the page's window.Go was replaced")
	}
	d.noExceptions()
}

// A Content-Security-Policy without 'wasm-unsafe-eval' forbids compiling the
// core: init settles false with one console error that says why, and the
// launcher it showed at once is taken away, so that a visitor is never left
// on "Connecting…".
func TestAPolicyWithoutWasmUnsafeEvalFailsWithOneClearError(t *testing.T) {
	srv, host, o := setup(t)
	d := newDevice(t, "d")
	csp := "default-src 'self'; script-src 'unsafe-inline' " + srv.URL + "; connect-src " + srv.URL
	if d.load(host.URL(srv.URL, o.config(nil)) + "&open=1&csp=" + url.QueryEscape(csp)) {
		t.Fatal("init settled true under a policy that forbids WebAssembly")
	}
	errs := d.consoleErrors()
	if len(errs) != 1 || !strings.Contains(errs[0], "ChatWidget: the widget core could not be loaded") || !strings.Contains(errs[0], "Content Security Policy") {
		t.Errorf("console errors %q, want one saying the core could not be loaded under the policy", errs)
	}
	if n := evalAs[int](d, `window.__t.all("[data-widget=launcher]").length + window.__t.all("[aria-busy=true]").length`); n != 0 {
		t.Errorf("%d launchers or loading panels are left on the page", n)
	}
}
