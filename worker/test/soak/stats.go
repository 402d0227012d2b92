package soak

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Phase is the part of a run a request belongs to.
type Phase int

// Phases of a run.
const (
	PhaseSetup Phase = iota
	PhaseLoad
	PhaseReadback
	numPhases
)

// Anomaly is a kind of answer the contract does not allow for the driver's
// well-formed requests (a 5xx, a 4xx it should not get, a 201 without what
// it promises) or no answer within the attempt timeout. Repeats of the same
// kind (method, route, status, error code) are counted, not listed.
type Anomaly struct {
	Method, Route string // Route with ids replaced by {id}
	Status        int    // 0: no answer in time
	Code          string // the answer's error code, if any
	Expected      string
	Input, Got    string      // of the first occurrence, shortened
	Count         int         // occurrences
	Times         []time.Time // when, up to maxAnomalyTimes of them
}

const maxAnomalyTimes = 100

// stats counts what the clients saw; safe for concurrent use.
type stats struct {
	mu             sync.Mutex
	sent           [numPhases]int
	replayed       int            // answers marked Idempotent-Replayed: a retry got the first result
	errors         map[string]int // kind -> count
	anomalies      []Anomaly
	anomalyDropped int     // occurrences of kinds beyond maxAnomalies
	events         []event // outcomes of load requests while a restart is watched
	watching       bool
}

// event is the outcome of one load attempt, for the restart timing.
type event struct {
	sent, done time.Time
	ok         bool // 2xx, or an expected 4xx: the worker answered
}

func newStats() *stats { return &stats{errors: map[string]int{}} }

func (s *stats) locked(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *stats) countSent(p Phase)      { s.locked(func() { s.sent[p]++ }) }
func (s *stats) countReplayed()         { s.locked(func() { s.replayed++ }) }
func (s *stats) countError(kind string) { s.locked(func() { s.errors[kind]++ }) }
func (s *stats) watch(on bool)          { s.locked(func() { s.watching = on }) }
func (s *stats) sentUnderLoad() (n int) { s.locked(func() { n = s.sent[PhaseLoad] }); return n }

// maxAnomalies bounds the kinds of anomalies kept.
const maxAnomalies = 50

// anomaly records one anomalous answer to method path with body.
func (s *stats) anomaly(method, path string, body []byte, status int, got []byte, expected string) {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(got, &e)
	a := Anomaly{Method: method, Route: routeOf(path), Status: status, Code: e.Error.Code, Expected: expected}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.anomalies {
		if x := &s.anomalies[i]; x.Method == a.Method && x.Route == a.Route && x.Status == a.Status && x.Code == a.Code && x.Expected == a.Expected {
			x.Count++
			if len(x.Times) < maxAnomalyTimes {
				x.Times = append(x.Times, now)
			}
			return
		}
	}
	if len(s.anomalies) == maxAnomalies {
		s.anomalyDropped++
		return
	}
	a.Input, a.Got, a.Count, a.Times = shorten(body, 200), shorten(got, 300), 1, []time.Time{now}
	s.anomalies = append(s.anomalies, a)
}

// record keeps e for restartCost while a restart is watched.
func (s *stats) record(p Phase, e event) {
	s.locked(func() {
		if s.watching && p == PhaseLoad {
			s.events = append(s.events, e)
		}
	})
}

// restartCost is the time from began (the restart call) until a client was
// served again: the first success of a request sent after the worker was
// seen down (the first failure that ended after began; or, when no client
// saw it down, after the restart returned at back). ok is false when no
// client was served after it.
func (s *stats) restartCost(began, back time.Time) (cost time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	down := back
	for _, e := range s.events {
		if !e.ok && !e.done.Before(began) && e.done.Before(down) {
			down = e.done
		}
	}
	var first time.Time
	for _, e := range s.events {
		if e.ok && !e.sent.Before(down) && (first.IsZero() || e.done.Before(first)) {
			first = e.done
		}
	}
	if first.IsZero() {
		return 0, false
	}
	return first.Sub(began), true
}

// errorKinds returns the error counts, largest first.
func (s *stats) errorKinds() []KindCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]KindCount, 0, len(s.errors))
	for k, n := range s.errors {
		out = append(out, KindCount{Kind: k, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// KindCount is how many errors of one kind the clients saw.
type KindCount struct {
	Kind  string
	Count int
}

// networkKind names a transport error: what a client sees while the worker
// is down or restarting.
func networkKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "network: connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "network: connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "network: broken pipe"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "network: connection closed (EOF)"
	case errors.As(err, &ne) && ne.Timeout():
		return timeoutKind
	}
	return "network: other"
}

const timeoutKind = "network: no answer in time"

// transportRetryKind is a connection that broke before the answer, after
// which Go's transport sent the request again by itself.
const transportRetryKind = "network: connection lost, resent by the transport"

func statusKind(status int) string { return "status " + strconv.Itoa(status) }

var idInPath = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// routeOf replaces the ids in a path by {id} and drops the query.
func routeOf(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return idInPath.ReplaceAllString(path, "{id}")
}

func shorten(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
