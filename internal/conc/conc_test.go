package conc_test

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/chatwidget/identity/internal/conc"
)

func TestAllRunsEveryCallAndReturnsAnError(t *testing.T) {
	var n atomic.Int32
	boom := errors.New("boom")
	err := conc.All(
		func() error { n.Add(1); return nil },
		func() error { n.Add(1); return boom },
		func() error { n.Add(1); return nil },
	)
	if !errors.Is(err, boom) || n.Load() != 3 {
		t.Fatalf("err = %v after %d calls, want boom after 3", err, n.Load())
	}
	if err := conc.All(); err != nil {
		t.Fatalf("no calls: %v", err)
	}
}

func TestAllReturnsTheFirstErrorInOrder(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	for range 100 {
		err := conc.All(
			func() error { return nil },
			func() error { return first },
			func() error { return second },
		)
		if err != first {
			t.Fatalf("err = %v, want the first in order", err)
		}
	}
}

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
