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
