//go:build tinygo && js

package resume

import (
	"runtime"
	"syscall/js"
	"testing"
)

// calls returns a JavaScript function that calls f n times, synchronously.
var calls = js.Global().Get("Function").New("f", "n", "for (let i = 0; i < n; i++) f()")

// Unpatched, each of the 1,000 calls started a goroutine and allocated its
// stack (-stack-size, 64 KB by default on wasm): 64 MB. Patched, the calls
// share one goroutine and allocate only what the callback does.
func TestCallsFromJavaScriptShareOneGoroutine(t *testing.T) {
	n := 0
	f := js.FuncOf(func(js.Value, []js.Value) any { n++; return nil })
	defer f.Release()
	calls.Invoke(f, 10)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	calls.Invoke(f, 1000)
	runtime.ReadMemStats(&after)
	if n != 1010 {
		t.Fatalf("the callback ran %d times, want 1010", n)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1000*1024 {
		t.Errorf("1,000 calls from JavaScript allocated %d bytes: more than 1 KB each, as if each had its own stack", got)
	}
}

// A callback that blocks keeps its goroutine; the next call gets another, and
// unblocks the first.
func TestABlockedCallbackDoesNotHoldUpTheNext(t *testing.T) {
	ch := make(chan int)
	done := make(chan int, 1)
	block := js.FuncOf(func(js.Value, []js.Value) any { done <- <-ch; return nil })
	defer block.Release()
	send := js.FuncOf(func(js.Value, []js.Value) any { ch <- 7; return "sent" })
	defer send.Release()
	got := js.Global().Get("Function").New("a", "b", "a(); return b()").Invoke(block, send)
	if got.String() != "sent" {
		t.Errorf("the second callback answered %q, want sent", got.String())
	}
	if v := <-done; v != 7 {
		t.Errorf("the blocked callback received %d, want 7", v)
	}
	// and the shared goroutine still serves calls after that
	n := 0
	f := js.FuncOf(func(js.Value, []js.Value) any { n++; return nil })
	defer f.Release()
	calls.Invoke(f, 3)
	if n != 3 {
		t.Errorf("after a blocked callback, 3 calls ran the callback %d times", n)
	}
}
