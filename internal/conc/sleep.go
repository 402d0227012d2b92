package conc

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx is done: it returns ctx's error then (at
// once when d is not positive and ctx is done already), nil otherwise. The
// API's default wait for a retry's first request, and the widget's between
// attempts.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
