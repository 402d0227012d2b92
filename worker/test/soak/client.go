package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync/atomic"
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

// request is one operation: sent again unchanged (same body, same
// Idempotency-Key) until the worker gives a final answer.
type request struct {
	method, path string
	body         []byte // nil: none
	header       map[string]string
	expect       []int // the statuses that are a proper answer
}

type response struct {
	status int
	body   []byte
	header http.Header
}

// errUnexpected is returned by do when the final answer is not one that the
// request expects; the anomaly is recorded in stats.
var errUnexpected = errors.New("unexpected answer")

// client sends requests of one phase to the worker, through the contract
// client (without validation: the soak checks what was stored, and the e2e
// suite checks the shapes).
type client struct {
	cc    *contract.Client
	stats *stats
	phase Phase
}

func newClient(base string, hc *http.Client, st *stats) *client {
	cc := contract.New(base, nil)
	cc.HTTP = hc
	return &client{cc: cc, stats: st}
}

func newHTTPClient(attemptTimeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	tr.Proxy = nil // loopback only, never through a proxy
	return &http.Client{Transport: tr, Timeout: attemptTimeout}
}

func (c *client) withPhase(p Phase) *client {
	cp := *c
	cp.phase = p
	return &cp
}

// do sends r until it gets a final answer, retrying network errors, 5xx and
// 429 (after its Retry-After) with backoff. It returns errUnexpected (wrapped)
// for a final answer r does not expect, and ctx's error when ctx ends first.
func (c *client) do(ctx context.Context, r request) (response, error) {
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		res, err := c.attempt(ctx, r)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		wait := jitter(backoff)
		switch {
		case err != nil:
		case res.status == http.StatusTooManyRequests:
			if s, perr := strconv.Atoi(res.header.Get("Retry-After")); perr == nil && s >= 0 {
				wait = time.Duration(s)*time.Second + jitter(minBackoff)
			}
		case res.status >= 500:
		case r.expects(res.status):
			return res, nil
		default:
			c.stats.anomaly(r.method, r.path, r.body, res.status, res.body, r.expectation())
			return res, fmt.Errorf("%s %s: %d %s: %w", r.method, routeOf(r.path), res.status, shorten(res.body, 200), errUnexpected)
		}
		if attempt == maxAttempts {
			if err == nil {
				err = fmt.Errorf("status %d", res.status)
			}
			return res, fmt.Errorf("%s %s: gave up after %d attempts: %w", r.method, routeOf(r.path), attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// attempt sends r once and counts what happened.
func (c *client) attempt(ctx context.Context, r request) (response, error) {
	var body any
	if r.body != nil {
		body = contract.Raw(r.body)
	}
	// Go's transport sends a request with an Idempotency-Key again by itself
	// when a reused connection breaks before the answer: count those too.
	var wrote atomic.Int32
	traced := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Add(1) },
	})
	sent := time.Now()
	c.stats.countSent(c.phase)
	answer, err := c.cc.Do(traced, r.method, r.path, body, contract.HeaderMap(r.header))
	var res response
	if err == nil {
		res = response{status: answer.Status, header: answer.Header, body: answer.Body}
		if answer.Header.Get("Idempotent-Replayed") == "true" {
			c.stats.countReplayed()
		}
	}
	for range wrote.Load() - 1 {
		c.stats.countSent(c.phase)
		c.stats.countError(transportRetryKind)
	}
	if ctx.Err() != nil {
		return res, ctx.Err() // the run ended it: not the worker's doing
	}
	done := time.Now()
	switch {
	case err != nil:
		kind := networkKind(err)
		c.stats.countError(kind)
		if kind == timeoutKind {
			c.stats.anomaly(r.method, r.path, r.body, 0, []byte(err.Error()), r.expectation()+" within "+c.cc.HTTP.Timeout.String())
		}
	case res.status >= 500 || res.status == http.StatusTooManyRequests || !r.expects(res.status):
		c.stats.countError(statusKind(res.status))
		if res.status >= 500 {
			c.stats.anomaly(r.method, r.path, r.body, res.status, res.body, r.expectation())
		}
	}
	c.stats.record(c.phase, event{sent: sent, done: done, ok: err == nil && res.status < 500 && res.status != http.StatusTooManyRequests})
	return res, err
}

func (r request) expects(status int) bool { return slices.Contains(r.expect, status) }
func (r request) expectation() string     { return fmt.Sprint(r.expect) }

// jitter returns a duration between d/2 and d.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}
