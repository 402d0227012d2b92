//go:build js && wasm

// Package gluetest loads worker/runtime/glue.js, the file worker.mjs
// imports, into the JavaScript global scope of a Go test running under Node,
// which sets goBridgeFetch and goPromiseAwaiter. Node (unlike Workers)
// allows new Function, so the tests run the very code the Worker runs.
package gluetest

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall/js"
)

// Load runs glue.js; it panics if the file cannot be read.
func Load() {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "glue.js")
	src, err := os.ReadFile(path)
	if err != nil {
		panic("reading " + path + ": " + err.Error())
	}
	js.Global().Get("Function").New(string(src)).Invoke()
}
