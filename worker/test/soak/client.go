package soak

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Retry policy: exponential backoff with jitter between these bounds, and a
// cap on the attempts of one operation (the context bounds it in time).
const (
	minBackoff  = 50 * time.Millisecond
	maxBackoff  = 1 * time.Second
	maxAttempts = 100
)

// client sends the soak's requests through the contract client, without
// validation (the soak checks what was stored, the e2e suite the shapes).
// Each call is one operation: sent again unchanged (same body, same
// Idempotency-Key) until the worker gives a final answer (retrier).
type client struct {
	base           string
	transport      *http.Transport
	attemptTimeout time.Duration
	stats          *stats
}

func newClient(base string, attemptTimeout time.Duration, st *stats) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	tr.Proxy = nil // loopback only, never through a proxy
	return &client{base: base, transport: tr, attemptTimeout: attemptTimeout, stats: st}
}

// expect is a contract client whose calls retry network errors, 5xx and 429
// (after its Retry-After) with backoff until a final answer, which must have
// one of statuses: else the call's error wraps errUnexpected. When ctx ends
// first, the error is ctx's.
func (c *client) expect(statuses ...int) *contract.Client {
	cc := contract.New(c.base, nil)
	cc.HTTP = &http.Client{Transport: &retrier{c: c, expect: statuses}}
	return cc
}

// errUnexpected is the error of a call whose final answer is not one that it
// expects; the anomaly is recorded in stats.
var errUnexpected = errors.New("unexpected answer")

// retrier is the transport of client.expect: each request is one
// operation, its body sent again with every attempt.
type retrier struct {
	c      *client
	expect []int
}

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	ctx, method, path, backoff, st := req.Context(), req.Method, req.URL.Path, minBackoff, r.c.stats
	for attempt := 1; ; attempt++ {
		sent := time.Now()
		res, got, err := r.attempt(req, body)
		if ctx.Err() != nil {
			return nil, ctx.Err() // the run ended it: not the worker's doing
		}
		served := err == nil && res.StatusCode < 500 && res.StatusCode != http.StatusTooManyRequests
		st.record(event{sent: sent, done: time.Now(), ok: served})
		wait := jitter(backoff)
		switch {
		case err != nil:
			kind := networkKind(err)
			st.countError(kind)
			if kind == timeoutKind {
				within := fmt.Sprint(r.expect, " within ", r.c.attemptTimeout)
				st.anomaly(method, path, body, 0, []byte(err.Error()), within)
			}
		case res.StatusCode == http.StatusTooManyRequests:
			st.countError("status 429")
			if s, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && s >= 0 {
				wait = time.Duration(s)*time.Second + jitter(minBackoff)
			}
		case res.StatusCode >= 500:
			st.countError("status " + strconv.Itoa(res.StatusCode))
			st.anomaly(method, path, body, res.StatusCode, got, fmt.Sprint(r.expect))
		case slices.Contains(r.expect, res.StatusCode):
			res.Body = io.NopCloser(bytes.NewReader(got))
			return res, nil
		default:
			st.countError("status " + strconv.Itoa(res.StatusCode))
			st.anomaly(method, path, body, res.StatusCode, got, fmt.Sprint(r.expect))
			return nil, fmt.Errorf("%s %s: %d %s: %w", method, routeOf(path), res.StatusCode, shorten(got, 200), errUnexpected)
		}
		if attempt == maxAttempts {
			if err == nil {
				err = fmt.Errorf("status %d", res.StatusCode)
			}
			return nil, fmt.Errorf("%s %s: gave up after %d attempts: %w", method, routeOf(path), attempt, err)
		}
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// attempt sends req with body once, within the client's attempt timeout,
// reads the answer's body and counts the requests sent and the replays.
func (r *retrier) attempt(req *http.Request, body []byte) (res *http.Response, got []byte, err error) {
	st := r.c.stats
	// Go's transport sends a request with an Idempotency-Key again by itself
	// when a reused connection breaks before the answer: count those too.
	var wrote atomic.Int32
	ctx, cancel := context.WithTimeout(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
	}), r.c.attemptTimeout)
	defer cancel()
	one := req.Clone(ctx)
	if body != nil {
		one.Body = io.NopCloser(bytes.NewReader(body))
	}
	st.countSent()
	if res, err = r.c.transport.RoundTrip(one); err == nil {
		got, err = io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Idempotent-Replayed") == "true" {
			st.locked(func() { st.replayed++ })
		}
	}
	for range wrote.Load() - 1 {
		st.countSent()
		st.countError(transportRetryKind)
	}
	return res, got, err
}

// jitter returns a duration between d/2 and d.
func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

// sleep waits d; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// Phase is the part of a run a request belongs to: the one the run is in
// when it is sent.
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

// Bounds of the anomalies kept: kinds, and times of one kind.
const maxAnomalies, maxAnomalyTimes = 50, 100

// stats counts what the clients saw; safe for concurrent use.
type stats struct {
	guard
	phase          Phase
	sent           [numPhases]int
	replayed       int            // answers marked Idempotent-Replayed: a retry got the first result
	errors         map[string]int // kind -> count
	anomalies      []Anomaly
	anomalyDropped int     // occurrences of kinds beyond maxAnomalies
	events         []event // outcomes of load requests, for restartCost
}

// event is the outcome of one load attempt, for the restart timing.
type event struct {
	sent, done time.Time
	ok         bool // 2xx, or an expected 4xx: the worker answered
}

func newStats() *stats { return &stats{errors: map[string]int{}} }

func (s *stats) setPhase(p Phase)       { s.locked(func() { s.phase = p }) }
func (s *stats) countSent()             { s.locked(func() { s.sent[s.phase]++ }) }
func (s *stats) countError(kind string) { s.locked(func() { s.errors[kind]++ }) }
func (s *stats) sentUnderLoad() (n int) { s.locked(func() { n = s.sent[PhaseLoad] }); return n }

// record keeps e for restartCost, under load.
func (s *stats) record(e event) {
	s.locked(func() {
		if s.phase == PhaseLoad {
			s.events = append(s.events, e)
		}
	})
}

// anomaly records one anomalous answer to method path with body.
func (s *stats) anomaly(method, path string, body []byte, status int, got []byte, expected string) {
	var e struct{ Error struct{ Code string } }
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

// anomalyOf records the answer r to input (a request body) as anomalous.
func (s *stats) anomalyOf(r *contract.Response, input any, expected string) {
	body, _ := json.Marshal(input)
	s.anomaly(r.Method, r.Path, body, r.Status, r.Body, expected)
}

// value is the value of a call that got its expected answer (the error of
// one that did not is counted already) when ok accepts it; a 2xx answer to
// input without what it promises, or whose body does not decode, is an
// anomaly.
func value[T any](s *stats, r contract.Call[T], err error, input any, promise string, ok func(T) bool) (T, bool) {
	switch {
	case r.Response == nil:
		return r.Value, false
	case err != nil || !ok(r.Value):
		s.anomalyOf(r.Response, input, promise)
		return r.Value, false
	}
	return r.Value, true
}

// restartCost is the time from began (the restart call) until a client was
// served again: the first success of a request sent after the worker was
// seen down (the first failure that ended after began; or, when no client
// saw it down, after the restart returned at back). ok is false when no
// client was served after it.
func (s *stats) restartCost(began, back time.Time) (cost time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	down, first := back, time.Time{}
	for _, e := range s.events {
		if !e.ok && !e.done.Before(began) && e.done.Before(down) {
			down = e.done
		}
	}
	for _, e := range s.events {
		if e.ok && !e.sent.Before(down) && (first.IsZero() || e.done.Before(first)) {
			first = e.done
		}
	}
	return max(0, first.Sub(began)), !first.IsZero()
}

// KindCount is how many errors of one kind the clients saw.
type KindCount struct {
	Kind  string
	Count int
}

// errorKinds returns the error counts, largest first.
func (s *stats) errorKinds() (out []KindCount) {
	s.locked(func() {
		for k, n := range s.errors {
			out = append(out, KindCount{Kind: k, Count: n})
		}
	})
	slices.SortFunc(out, func(a, b KindCount) int { return cmp.Or(b.Count-a.Count, strings.Compare(a.Kind, b.Kind)) })
	return out
}

// Kinds of network errors of the report.
const (
	timeoutKind = "network: no answer in time"
	// transportRetryKind is a connection that broke before the answer,
	// after which Go's transport sent the request again by itself.
	transportRetryKind = "network: connection lost, resent by the transport"
)

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
