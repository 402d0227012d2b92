//go:build !js

// Package browsertest drives the widget in headless Chromium (chromedp)
// against the worker under `wrangler dev` (worker/test/wranglertest), the way a
// customer's site uses it: the host page is served from another loopback
// origin and embeds WORKER/widget.js, so CORS and apiUrl are exercised for
// real. Every simulated device is a Chromium with its own user-data folder.
//
// The tests need `make build` and /usr/bin/chromium (apt-get install -y
// chromium). Without them they skip, except when CI=true, where they fail.
package browsertest
