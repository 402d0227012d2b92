//go:build !js

// Package chromium finds and launches Debian's Chromium the way this
// machine needs it, for the browser tests (wasm/browsertest) and the bench
// (worker/test/bench): headless, no sandbox (root), and no background networking,
// whose connections this closed network refuses.
package chromium

import (
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// Path returns Debian's Chromium (or $CHROMIUM), "" when missing.
func Path() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Options launches the Chromium at path with its own profile in userDataDir
// (a fresh one per simulated device).
func Options(path, userDataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(userDataDir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
}
