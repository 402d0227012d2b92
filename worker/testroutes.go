//go:build js && wasm && testroutes

// The routes of the worker's test build (`make test-worker`), never of the
// worker, for the suites that look inside the instance
// (worker/test/e2e's testbuild_test.go, the soak's TestSoakWithTraps):
//
//	POST /__test/trap  panics with a nil map write, which under TinyGo traps
//	                   the instance (worker/runtime/worker.mjs bounds what
//	                   that costs)
//	GET  /__test/held  {"held": N, "memory": M}: the JavaScript values
//	                   wasm_exec.js holds for Go and the bytes of the
//	                   instance's memory (worker.mjs's binding), after a
//	                   collection whose finalizers have run, so that N is
//	                   what Go still uses rather than what the next
//	                   collection would free

package main

import (
	"runtime"
	"strconv"
	"syscall/js"
	"time"

	"github.com/chatwidget/identity/internal/httpx"
)

func init() {
	testRoutes = func(h httpx.Handler) httpx.Handler {
		return httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
			switch {
			case r.Method == httpx.MethodPost && r.URL.Path == "/__test/trap":
				var m map[string]int
				m[r.URL.Path]++ // panics: assignment to entry in nil map
			case r.Method == httpx.MethodGet && r.URL.Path == "/__test/held":
				settle()
				b := js.Global().Get("context").Get("binding")
				held, memory := b.Call("heldValues").Int(), b.Call("memoryBytes").Int()
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(httpx.StatusOK)
				_, _ = w.Write([]byte(`{"held":` + strconv.Itoa(held) + `,"memory":` + strconv.Itoa(memory) + `}`))
				return
			}
			h.Serve(w, r)
		})
	}
}

// settle collects and lets the finalizer goroutine release what that freed:
// it runs once this goroutine sleeps, and a second collection frees what the
// first one's finalizers released.
func settle() {
	for range 2 {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
}
