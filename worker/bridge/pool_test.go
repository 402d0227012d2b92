//go:build js && wasm

package bridge

import (
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestSpawnReusesGoroutinesAndCapsTheIdle: a burst runs every request at
// once, afterwards at most maxIdle goroutines stay, and requests one after
// another reuse them rather than adding any.
func TestSpawnReusesGoroutinesAndCapsTheIdle(t *testing.T) {
	base := runtime.NumGoroutine()

	const burst = 3 * maxIdle
	release := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(burst)
	done.Add(burst)
	for range burst {
		spawn(func() {
			started.Done()
			<-release
			done.Done()
		})
	}
	started.Wait() // all of the burst runs at the same time
	close(release)
	done.Wait()
	runtime.Gosched()
	if n := runtime.NumGoroutine() - base; n > maxIdle {
		t.Errorf("%d goroutines stayed after the burst, want at most %d", n, maxIdle)
	}

	ids := map[string]bool{}
	for range 1000 {
		finished := make(chan struct{})
		spawn(func() { ids[goroutineID()] = true; close(finished) })
		<-finished
		runtime.Gosched()
	}
	if len(ids) > maxIdle {
		t.Errorf("1000 requests in turn ran on %d goroutines, want at most %d", len(ids), maxIdle)
	}
	if n := runtime.NumGoroutine() - base; n > maxIdle {
		t.Errorf("%d goroutines stayed, want at most %d", n, maxIdle)
	}
}

// goroutineID is the number in the first line of the goroutine's stack.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	f := strings.Fields(string(buf))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}
