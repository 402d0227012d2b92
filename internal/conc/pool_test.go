package conc_test

import (
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/chatwidget/identity/internal/conc"
)

// TestGoReusesGoroutinesAndCapsTheIdle: a burst runs every request at
// once, afterwards at most conc.MaxIdle goroutines stay, and calls one after
// another reuse them rather than adding any.
func TestGoReusesGoroutinesAndCapsTheIdle(t *testing.T) {
	base := runtime.NumGoroutine()

	const burst = 3 * conc.MaxIdle
	release := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(burst)
	done.Add(burst)
	for range burst {
		conc.Go(func() {
			started.Done()
			<-release
			done.Done()
		})
	}
	started.Wait() // all of the burst runs at the same time
	close(release)
	done.Wait()
	runtime.Gosched()
	if n := runtime.NumGoroutine() - base; n > conc.MaxIdle {
		t.Errorf("%d goroutines stayed after the burst, want at most %d", n, conc.MaxIdle)
	}

	ids := map[string]bool{}
	for range 1000 {
		finished := make(chan struct{})
		conc.Go(func() { ids[goroutineID()] = true; close(finished) })
		<-finished
		runtime.Gosched()
	}
	// A goroutine of the burst that has taken its idle token but not yet
	// reached the work channel when a call comes makes that call start one
	// of its own (which exits after it): under load this was seen once
	// (33 goroutines, GOARCH=386 go test on a busy machine). Reuse, what
	// is tested, is at most a few more than MaxIdle, never one per call.
	if len(ids) > 2*conc.MaxIdle {
		t.Errorf("1000 calls in turn ran on %d goroutines, want at most %d", len(ids), 2*conc.MaxIdle)
	}
	if n := runtime.NumGoroutine() - base; n > conc.MaxIdle {
		t.Errorf("%d goroutines stayed, want at most %d", n, conc.MaxIdle)
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
