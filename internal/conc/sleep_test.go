package conc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/conc"
)

func TestSleep(t *testing.T) {
	if err := conc.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Error(err)
	}
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if err := conc.Sleep(c, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if err := conc.Sleep(c, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("zero wait on a canceled context: %v", err)
	}
}
