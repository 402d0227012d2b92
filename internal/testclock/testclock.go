// Package testclock is a clock for tests that moves only when told, safe for
// concurrent use: pass its Now where a package takes a clock
// (store.WithClock(c.Now), api.WithClock(c.Now), ...).
package testclock

import (
	"sync"
	"time"
)

// Clock reads a time that changes only by Advance.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock reading t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
