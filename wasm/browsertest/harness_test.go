//go:build !js

package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/chatwidget/identity/wasm/chromium"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// need skips the test with why, or fails it when CI=true: in CI a missing
// browser or build is a broken setup, not a reason to pass.
func need(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// requireTools skips (or, in CI, fails) when Chromium or the build is missing.
func requireTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	if chromium.Path() == "" {
		need(t, "chromium is not installed: run `apt-get update && apt-get install -y chromium` (Debian's /usr/bin/chromium)")
	}
	root, err := wranglertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"build/app.wasm", "build/public/widget.js", "build/public/widget-core.wasm", "build/public/wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			need(t, "the worker and widget are not built ("+f+" is missing): run `make build` first")
		}
	}
}

var (
	sharedOnce   sync.Once
	sharedWorker *wranglertest.Server
	sharedErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedWorker != nil {
		sharedWorker.Stop()
	}
	os.Exit(code)
}

// demoVars turns on the demo routes, as `make dev` does.
var demoVars = map[string]string{"DEMO_ROUTES": "1"}

// sharedServer is one `wrangler dev` for the tests that do not stop it; each
// test makes its own org, so they do not see each other.
func sharedServer(t *testing.T) *wranglertest.Server {
	t.Helper()
	requireTools(t)
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wranglertest.StartTimeout+30*time.Second)
		defer cancel()
		sharedWorker, sharedErr = wranglertest.Start(ctx, wranglertest.Options{Vars: demoVars})
	})
	if sharedErr != nil {
		if errors.Is(sharedErr, wranglertest.ErrNotBuilt) {
			need(t, sharedErr.Error())
		}
		t.Fatalf("starting wrangler dev: %v", sharedErr)
	}
	return sharedWorker
}

// hostPage serves the customer's site on its own loopback origin: /?w=WORKER&c=CONFIG
// embeds WORKER/widget.js and calls ChatWidget.init(CONFIG) on DOMContentLoaded.
// Its stylesheet is hostile, to show that styles cross the shadow root in
// neither direction.
type hostPage struct {
	srv    *httptest.Server
	Origin string
}

const hostHTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>A customer's shop</title>
<style>
  * { color: rgb(255, 0, 0) !important; font-family: monospace !important; }
  button { background: rgb(0, 128, 0) !important; font-size: 31px !important; }
  ul, ol, li, section, form, textarea, input { display: none !important; }
</style>
<script src="{{WORKER}}/widget.js" defer></script>
<script>
  // atob gives one character per byte: the config's UTF-8 is decoded as such.
  window.__cfg = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob("{{CONFIG}}"), function (c) { return c.charCodeAt(0); })));
  document.addEventListener("DOMContentLoaded", function () {
    if (!{{INIT}}) return;
    window.__before = document.documentElement.outerHTML;
    var t0 = performance.now();
    ChatWidget.init(window.__cfg).then(function (ok) { window.__readyMs = performance.now() - t0; window.__ready = ok; });
    // Whether init showed the launcher at once, before the core was ready.
    window.__launcherAtInit = [].some.call(document.querySelectorAll("*"), function (e) {
      return e.shadowRoot && e.shadowRoot.querySelector("[data-widget=launcher]");
    }) || !!document.querySelector("[data-widget=launcher]");
    if ({{OPEN}}) ChatWidget.open();
  });
</script>
</head><body><h1 id="host-title">The shop</h1><button id="host-button">Buy</button></body></html>`

func newHostPage(t *testing.T) *hostPage {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		worker := r.URL.Query().Get("w")
		cfg := base64.StdEncoding.EncodeToString([]byte(r.URL.Query().Get("c")))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if csp := r.URL.Query().Get("csp"); csp != "" { // ?csp=POLICY: the page sets that Content-Security-Policy
			w.Header().Set("Content-Security-Policy", csp)
		}
		open := "false" // ?open=1: the page calls ChatWidget.open() right after init
		if r.URL.Query().Get("open") == "1" {
			open = "true"
		}
		init := "true" // ?noinit=1: the page loads widget.js and calls no ChatWidget.init
		if r.URL.Query().Get("noinit") == "1" {
			init = "false"
		}
		html := strings.NewReplacer("{{WORKER}}", worker, "{{CONFIG}}", cfg, "{{OPEN}}", open, "{{INIT}}", init).Replace(hostHTML)
		fmt.Fprint(w, html)
	}))
	t.Cleanup(srv.Close)
	return &hostPage{srv: srv, Origin: srv.URL}
}

// URL is the host page that embeds the widget of worker with cfg.
func (h *hostPage) URL(worker string, cfg map[string]any) string {
	b, _ := json.Marshal(cfg)
	return h.Origin + "/?w=" + worker + "&c=" + urlQueryEscape(string(b))
}

func urlQueryEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23", " ", "%20", "?", "%3F", "=", "%3D")
	return r.Replace(s)
}

// helperJS finds the contract's hooks in the host document and in every open
// shadow root under it, as a test of the contract would.
const helperJS = `window.__t = {
  all: function (sel) {
    var out = [];
    (function walk(root) {
      out.push.apply(out, root.querySelectorAll(sel));
      root.querySelectorAll("*").forEach(function (el) { if (el.shadowRoot) walk(el.shadowRoot); });
    })(document);
    return out;
  },
  q: function (sel) { return window.__t.all(sel)[0] || null; },
  visible: function (sel) {
    var e = window.__t.q(sel);
    if (!e) return false;
    var r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden";
  },
  texts: function (sel) { return window.__t.all(sel).map(function (e) { return e.textContent; }); },
  shadowHosts: function () { return Array.prototype.filter.call(document.querySelectorAll("*"), function (e) { return e.shadowRoot; }).length; }
};`

// device is one browser with its own profile: its own localStorage.
type device struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string // console.error messages and uncaught exceptions
}

const (
	waitTimeout = 20 * time.Second
	testTimeout = 4 * time.Minute
)

func newDevice(t *testing.T, name string) *device {
	t.Helper()
	opts := chromium.Options(chromium.Path(), t.TempDir())
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	tctx, tcancel := context.WithTimeout(actx, testTimeout)
	ctx, cancel := chromedp.NewContext(tctx)
	t.Cleanup(func() { cancel(); tcancel(); acancel() })
	return attach(ctx, t, name)
}

// tab opens another tab of d's browser: the same profile, so the same
// localStorage, as a visitor's second tab of the site.
func (d *device) tab(name string) *device {
	d.t.Helper()
	ctx, cancel := chromedp.NewContext(d.ctx)
	d.t.Cleanup(cancel)
	return attach(ctx, d.t, name)
}

// attach readies the page target of ctx: the hooks' helper on every
// document, and console errors recorded.
func attach(ctx context.Context, t *testing.T, name string) *device {
	t.Helper()
	d := &device{t: t, name: name, ctx: ctx}
	d.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: helperJS})
		return err
	}))
	// Listen sees an event before the command that follows it returns, so a
	// console.error made before window.__ready is set is recorded by then.
	err := chromedp.Listen(ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				var s string
				if json.Unmarshal(a.Value, &s) == nil {
					parts = append(parts, s)
				} else {
					parts = append(parts, a.Description)
				}
			}
			line = strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			line = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				line += " " + e.ExceptionDetails.Exception.Description
			}
		default:
			return
		}
		d.mu.Lock()
		d.console = append(d.console, line)
		d.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *device) do(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, steps...); err != nil {
		d.t.Fatalf("%s: %v\nconsole: %q", d.name, err, d.consoleErrors())
	}
}

func (d *device) consoleErrors() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.console...)
}

// load opens url and waits until ChatWidget.init has settled; it returns
// what init resolved to.
func (d *device) load(url string) bool {
	d.t.Helper()
	d.do(chromedp.Navigate(url))
	d.waitFor(`window.__ready !== undefined`, "ChatWidget.init to settle")
	return evalAs[bool](d, `window.__ready`)
}

// waitFor polls the JavaScript expression until it is truthy.
func (d *device) waitFor(expr, what string) {
	d.t.Helper()
	d.waitForIn(expr, what, waitTimeout)
}

func (d *device) waitForIn(expr, what string, timeout time.Duration) {
	d.t.Helper()
	_, err := chromedp.Run(d.ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		dump, _ := chromedp.Run(d.ctx, chromedp.Evaluate[string](`(function(){var h=document.querySelector("chat-widget");return (h&&h.shadowRoot?h.shadowRoot.innerHTML:"(no widget)").replace(/<style>[\s\S]*?<\/style>/,"")})()`))
		d.t.Fatalf("%s: waiting for %s: %v\nwidget: %s\nconsole: %q", d.name, what, err, dump, d.consoleErrors())
	}
}

// evalAs evaluates a JavaScript expression on the device.
func evalAs[T any](d *device, expr string) T {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		d.t.Fatalf("%s: evaluating %s: %v", d.name, expr, err)
	}
	return v
}

// exec runs a JavaScript statement on the device.
func (d *device) exec(expr string) {
	d.t.Helper()
	evalAs[chromedp.Void](d, `(function () { `+expr+`; })()`)
}

// hook is the JS path of the first element matching a selector.
func hook(sel string) chromedp.JSPath { return chromedp.JSPath(`window.__t.q(` + jsString(sel) + `)`) }

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// click clicks the hook with the mouse, once it is visible.
func (d *device) click(sel string) {
	d.t.Helper()
	d.waitFor(`window.__t.visible(`+jsString(sel)+`)`, sel+" to be visible")
	d.do(chromedp.Click(hook(sel)))
}

// typeInto types text into the hook, key by key.
func (d *device) typeInto(sel, text string) {
	d.t.Helper()
	d.waitFor(`window.__t.visible(`+jsString(sel)+`)`, sel+" to be visible")
	d.do(chromedp.SendKeys(hook(sel), text))
}

// clear empties an input hook.
func (d *device) clear(sel string) {
	d.t.Helper()
	d.exec(string(hook(sel)) + `.value = ""`)
}

func (d *device) count(sel string) int {
	d.t.Helper()
	return evalAs[int](d, `window.__t.all(`+jsString(sel)+`).length`)
}

func (d *device) texts(sel string) []string {
	d.t.Helper()
	return evalAs[[]string](d, `window.__t.texts(`+jsString(sel)+`)`)
}

// openWidget clicks the launcher and waits for the list of sessions (or the
// form, when form is true).
func (d *device) openWidget(form bool) {
	d.t.Helper()
	d.click("[data-widget=launcher]")
	if form {
		d.waitFor(`window.__t.visible("[data-widget=email]")`, "the name/email form")
		return
	}
	d.waitSessionList()
}

// waitSessionList waits until the session list has loaded.
func (d *device) waitSessionList() {
	d.t.Helper()
	d.waitFor(`window.__t.visible("[data-widget=new-session]") && window.__t.all("[aria-busy=true]").length === 0`, "the session list")
}

// ackedUser is a JS expression: a user message with this text is shown and
// acknowledged by the worker (it has an id, it is not pending).
func ackedUser(text string) string {
	return `window.__t.all("[data-widget=message][data-role=user]").some(function (e) {
		return e.firstChild && e.firstChild.textContent === ` + jsString(text) + ` && e.getAttribute("data-id") && !e.hasAttribute("data-pending"); })`
}

// send types a message into the open chat, sends it and waits until the
// worker has it.
func (d *device) send(text string) {
	d.t.Helper()
	d.typeInto("[data-widget=message-input]", text)
	d.click("[data-widget=send]")
	d.waitFor(ackedUser(text), "message "+jsString(text)+" to be acknowledged")
}

// newChat starts a new chat from the session list and sends text.
func (d *device) newChat(text string) {
	d.t.Helper()
	d.click("[data-widget=new-session]")
	d.send(text)
}

// storage returns the page's localStorage value of key.
func (d *device) storage(key string) string {
	d.t.Helper()
	return evalAs[string](d, `localStorage.getItem(`+jsString(key)+`) || ""`)
}
