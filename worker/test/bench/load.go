//go:build !js

package bench

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Stats are the measurements of one route on one worker over all rounds.
type Stats struct {
	N, Errors  int         // requests answered (any status); transport errors, wrong statuses, bad bodies
	Statuses   map[int]int // status → count
	FirstError string
	Wall       time.Duration // summed wall time of the route's phases
	Latencies  []time.Duration
	// CPU is the CPU time the worker's workerd processes spent in the
	// route's phases (wranglertest.Server.Workerd: user + system, 10 ms
	// ticks), wrangler's proxy among them; IsolateCPU the part of it of the
	// process that runs the worker's isolate (and the local KV), when told
	// apart; CPUN and IsolateN the requests each was measured over (0: not
	// measured).
	CPU, IsolateCPU time.Duration
	CPUN, IsolateN  int
}

// CPUPerRequest is CPU over the requests it was measured over.
func (s *Stats) CPUPerRequest() time.Duration {
	if s.CPUN == 0 {
		return 0
	}
	return s.CPU / time.Duration(s.CPUN)
}

// IsolateCPUPerRequest is IsolateCPU over the requests it was measured over
// (0 when the isolate's process was not told apart).
func (s *Stats) IsolateCPUPerRequest() time.Duration {
	if s.IsolateN == 0 {
		return 0
	}
	return s.IsolateCPU / time.Duration(s.IsolateN)
}

// Add merges o into s.
func (s *Stats) Add(o Stats) {
	s.N += o.N
	s.Errors += o.Errors
	if s.Statuses == nil {
		s.Statuses = map[int]int{}
	}
	for k, v := range o.Statuses {
		s.Statuses[k] += v
	}
	s.FirstError = cmp.Or(s.FirstError, o.FirstError)
	s.Wall += o.Wall
	s.Latencies = append(s.Latencies, o.Latencies...)
	s.CPU += o.CPU
	s.IsolateCPU += o.IsolateCPU
	s.CPUN += o.CPUN
	s.IsolateN += o.IsolateN
}

// Percentile returns the p-th percentile (nearest rank) of the latencies.
func (s *Stats) Percentile(p float64) time.Duration {
	if len(s.Latencies) == 0 {
		return 0
	}
	l := slices.Clone(s.Latencies)
	slices.Sort(l)
	i := int(float64(len(l))*p/100+0.5) - 1
	return l[min(max(i, 0), len(l)-1)]
}

// RPS is requests answered per second of wall time, all clients together.
func (s *Stats) RPS() float64 {
	if s.Wall <= 0 {
		return 0
	}
	return float64(s.N) / s.Wall.Seconds()
}

// phase sends n requests of rt to t from clients concurrent clients (client c
// acts as principal c and sends one request at a time) and times each; each,
// when set, also checks every answer that passed rt's check.
func phase(ctx context.Context, t *Target, rt Route, n, clients int, each func(*contract.Response) error) Stats {
	st := Stats{Statuses: map[int]int{}, Latencies: make([]time.Duration, 0, n)}
	var (
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	u0, cpuErr := t.Srv.Workerd()
	begin := time.Now()
	for c := range clients {
		wg.Go(func() {
			for {
				seq := int(next.Add(1)) - 1
				if seq >= n || ctx.Err() != nil {
					return
				}
				r, d, err := rt.send(ctx, t, c, seq)
				mu.Lock()
				if err == nil && each != nil {
					err = each(r)
				}
				if r != nil {
					st.N++
					st.Statuses[r.Status]++
					st.Latencies = append(st.Latencies, d)
				}
				if err != nil {
					st.Errors++
					st.FirstError = cmp.Or(st.FirstError, err.Error())
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st.Wall = time.Since(begin)
	if u1, err := t.Srv.Workerd(); cpuErr == nil && err == nil {
		st.CPU, st.CPUN = u1.CPU-u0.CPU, st.N
		if u0.Isolates > 0 && u1.Isolates == u0.Isolates {
			st.IsolateCPU, st.IsolateN = u1.Isolate-u0.Isolate, st.N
		}
	}
	return st
}
