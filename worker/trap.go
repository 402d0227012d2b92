//go:build js && wasm && traproute

// The trap route of a test build (`make trap-worker`), never of the worker:
// POST /__test/trap panics with a nil map write, which under TinyGo traps
// the instance (worker/runtime/worker.mjs bounds what that costs). The
// suites that make traps on purpose (worker/test/e2e's trap test and the
// soak with -traps) serve this build.

package main

import "github.com/chatwidget/identity/internal/httpx"

// TrapPath is the route that traps.
const TrapPath = "/__test/trap"

func init() {
	testRoutes = func(h httpx.Handler) httpx.Handler {
		return httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
			if r.Method == httpx.MethodPost && r.URL.Path == TrapPath {
				var m map[string]int
				m[r.URL.Path]++ // panics: assignment to entry in nil map
			}
			h.Serve(w, r)
		})
	}
}
