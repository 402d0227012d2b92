//go:build js && wasm

// Command probeworker is a worker that serves only cfkvprobe over the CHAT_KV
// binding. worker/test/wranglertest builds it into a temporary directory to test
// cfkv against the local KV of `wrangler dev`, independently of the real
// worker in worker/main.go. Never deploy it.
package main

import (
	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"github.com/chatwidget/identity/worker/cfkv"
	"github.com/chatwidget/identity/worker/cfkv/cfkvprobe"
)

func main() {
	workers.Serve(cfkvprobe.Handler(cfkv.New(cloudflare.GetBinding("CHAT_KV")), cloudflare.Getenv))
}
