//go:build js && wasm

// Command probeworker is a worker that serves only worker/test/kvprobe over
// the CHAT_KV binding, through the same runtime as the real worker
// (worker/runtime's worker.mjs and glue.js, worker/bridge, worker/cfkv).
// worker/test/wranglertest builds it (`make probe`) into a temporary
// directory to test cfkv against the local KV of `wrangler dev`. Never deploy
// it.
package main

import (
	"syscall/js"

	"github.com/chatwidget/identity/worker/bridge"
	"github.com/chatwidget/identity/worker/cfkv"
	"github.com/chatwidget/identity/worker/test/kvprobe"
)

//go:wasmimport workers ready
func ready()

func main() {
	runtime := js.Global().Get("context")
	env := runtime.Get("env")
	getenv := func(name string) string {
		if v := env.Get(name); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
	bridge.Register(runtime.Get("binding"), kvprobe.Handler(cfkv.New(env.Get("CHAT_KV")), getenv))
	ready()
	select {}
}
