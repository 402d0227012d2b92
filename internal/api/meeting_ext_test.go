package api_test

import (
	"sync"
	"sync/atomic"
	"time"
)

// meeting lets calls wait for each other, once armed: each call that joins
// waits until n have joined, or wait has passed. The KV wrappers of the
// race tests join it around the reads they hold, so that requests run side
// by side all read what was stored before any of them wrote.
type meeting struct {
	armed atomic.Bool
	wait  time.Duration

	mu      sync.Mutex
	n       int
	arrived int
	met     chan struct{}
}

// arm starts a meeting of n.
func (m *meeting) arm(n int) {
	m.mu.Lock()
	m.n, m.arrived, m.met = n, 0, make(chan struct{})
	m.mu.Unlock()
	m.armed.Store(true)
}

// join waits for the meeting (nothing when it is not armed).
func (m *meeting) join() {
	if !m.armed.Load() {
		return
	}
	m.mu.Lock()
	met := m.met
	if m.arrived++; m.arrived == m.n {
		close(met)
	}
	m.mu.Unlock()
	select {
	case <-met:
	case <-time.After(m.wait):
	}
}

// joined is how many have joined the meeting.
func (m *meeting) joined() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.arrived
}
