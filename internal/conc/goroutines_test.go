//go:build !tinygo

// These tests need what TinyGo's runtime does not give on WebAssembly: a
// recover (TinyGo traps on a panic), goroutine ids from runtime.Stack, and
// a runtime.NumGoroutine that counts parked goroutines. Under TinyGo the
// rest of conc's tests run (make test).

package conc_test

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chatwidget/identity/internal/conc"
)

func TestAllRunsTheLastCallOnTheCallingGoroutine(t *testing.T) {
	me := goroutineID()
	var last, other string
	_ = conc.All(
		func() error { other = goroutineID(); return nil },
		func() error { last = goroutineID(); return nil },
	)
	if last != me || other == me {
		t.Fatalf("caller %s, last ran on %s, the other on %s", me, last, other)
	}
}

// A panic in any call reaches the caller, after every call has returned,
// where a recover (the API's, answering 500) can catch it.
func TestAllRaisesAPanicOnTheCallingGoroutine(t *testing.T) {
	for _, panicking := range []int{0, 1} {
		var finished atomic.Int32
		got := func() (p any) {
			defer func() { p = recover() }()
			fns := []func() error{
				func() error { finished.Add(1); return nil },
				func() error { finished.Add(1); return nil },
			}
			fns[panicking] = func() error { finished.Add(1); panic("boom") }
			_ = conc.All(fns...)
			return nil
		}()
		if got != "boom" || finished.Load() != 2 {
			t.Errorf("panic in call %d: recovered %v after %d calls, want boom after 2", panicking, got, finished.Load())
		}
	}
}

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
