//go:build !js

package bench

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/chatwidget/identity/wasm/chromium"
)

// BrowserLoad is one page load in headless Chromium, in milliseconds after
// the host page's DOMContentLoaded: when the launcher was in the page and laid
// out with a size (a MutationObserver sees it), the next animation frame
// after that (painted), and when the core was ready (ChatWidget.init
// resolved true: widget-core.wasm fetched, compiled and run, the widget
// made). Resources are the widget's files as Resource Timing saw them.
type BrowserLoad struct {
	Launcher      float64 `json:"launcher"`
	LauncherFrame float64 `json:"launcherFrame"`
	Ready         float64 `json:"ready"`
	OK            bool    `json:"ok"`
	Resources     []struct {
		Name string  `json:"name"`
		End  float64 `json:"end"`
	} `json:"resources"`
}

// Browser is the widget's load in Chromium: First loads use a fresh profile
// (nothing cached), Repeat ones reload the page in the same browser.
type Browser struct {
	First, Repeat []BrowserLoad
	Encoding      map[string]string // file → Content-Encoding wrangler dev served it with
}

// hostHTML is a customer's page: it loads WORKER/widget.js (defer) and calls
// ChatWidget.init on DOMContentLoaded, as the contract shows. The inline
// script before it only observes: it finds [data-widget=launcher] in the
// document or any open shadow root as soon as it is added.
//
//go:embed host.html
var hostHTML string

// collectJS returns window.__bench with times relative to DOMContentLoaded.
//
//go:embed collect.js
var collectJS string

// measureBrowser loads a host page that embeds ours's widget in samples
// fresh Chromium profiles, twice each.
func measureBrowser(ctx context.Context, ours *Target, samples int, logf func(string, ...any)) (*Browser, error) {
	path := chromium.Path()
	if path == "" {
		return nil, errors.New("chromium is not installed (apt-get install -y chromium)")
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		cfg := base64.StdEncoding.EncodeToString([]byte(r.URL.Query().Get("c")))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, strings.NewReplacer("{{WORKER}}", ours.Srv.URL, "{{CONFIG}}", cfg).Replace(hostHTML))
	}))
	defer host.Close()
	org, err := ours.CreateOrg(ctx, "bench browser", []string{host.URL})
	if err != nil {
		return nil, err
	}
	cfg, _ := json.Marshal(map[string]any{"token": org.Org.WidgetToken})
	page := host.URL + "/?c=" + strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", "#", "%23").Replace(string(cfg))

	b := &Browser{Encoding: map[string]string{}}
	for _, f := range []string{"widget.js", "wasm_exec.js", "widget-core.wasm"} {
		b.Encoding[f] = servedEncoding(ours.Srv.URL + "/" + f)
	}
	for i := 0; i < samples; i++ {
		first, repeat, err := browserSample(ctx, path, page)
		if err != nil {
			return b, err
		}
		logf("browser %d/%d: launcher %.0f ms, core ready %.0f ms after DOMContentLoaded (repeat: %.0f / %.0f ms)",
			i+1, samples, first.Launcher, first.Ready, repeat.Launcher, repeat.Ready)
		b.First = append(b.First, first)
		b.Repeat = append(b.Repeat, repeat)
	}
	return b, nil
}

func browserSample(ctx context.Context, path, page string) (first, repeat BrowserLoad, err error) {
	dir, err := os.MkdirTemp("", "bench-chromium-*")
	if err != nil {
		return first, repeat, err
	}
	defer os.RemoveAll(dir)
	opts := chromium.Options(path, dir)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	tctx, tcancel := context.WithTimeout(actx, 90*time.Second)
	defer tcancel()
	bctx, bcancel := chromedp.NewContext(tctx)
	defer bcancel()
	// Start the browser on a blank page, so that its start is not timed.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return first, repeat, fmt.Errorf("starting chromium: %w", err)
	}
	load := func() (BrowserLoad, error) {
		var l BrowserLoad
		if err := chromedp.Do(bctx, chromedp.Navigate(page)); err != nil {
			return l, err
		}
		if _, err := chromedp.Run(bctx, chromedp.Poll[chromedp.Void](`window.__bench && window.__bench.ready !== undefined && (window.__bench.launcherFrame !== undefined || !window.__bench.ok)`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			return l, fmt.Errorf("waiting for the widget: %w", err)
		}
		l, err := chromedp.Run(bctx, chromedp.Evaluate[BrowserLoad](collectJS))
		if err != nil {
			return l, err
		}
		if !l.OK {
			return l, errors.New("ChatWidget.init did not resolve true")
		}
		return l, nil
	}
	if first, err = load(); err != nil {
		return first, repeat, err
	}
	repeat, err = load()
	return first, repeat, err
}
