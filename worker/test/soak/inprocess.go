package soak

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/token"
)

// InProcess serves internal/api over an in-memory KV on a loopback port, for
// quick runs without wrangler. Its Restart behaves like killing the worker:
// open connections are cut, the old instance's storage calls fail from then
// on (so a request can die halfway, between two KV writes), and after
// Downtime a new instance, with fresh in-memory state over the same KV,
// serves on the same port. Every KV call takes up to KVLatency, as Workers KV
// does, so that a kill finds requests halfway through.
type InProcess struct {
	URL, AdminToken     string
	Downtime, KVLatency time.Duration

	cfg  config.Config
	mem  *kv.Memory
	addr string
	// jobs is the API's queue; like the KV it outlives a restart, and a
	// goroutine hands its messages to the running instance.
	jobs     *queue.Memory
	consumer atomic.Pointer[api.API]
	stopJobs context.CancelFunc

	mu    sync.Mutex
	srv   *http.Server
	alive *atomic.Bool // the current instance's fence
}

// StartInProcess starts the API on a free loopback port.
func StartInProcess() (*InProcess, error) {
	keys, err := token.GenerateKeySpec("soak-1")
	if err != nil {
		return nil, err
	}
	s := &InProcess{AdminToken: "soak-admin-" + rand.Text(), Downtime: 300 * time.Millisecond,
		KVLatency: 3 * time.Millisecond, mem: kv.NewMemory(), addr: "127.0.0.1:0", jobs: queue.NewMemory(nil)}
	s.cfg = config.Config{AdminToken: s.AdminToken, SigningKeys: keys, Issuer: "soak-inprocess",
		ContactTokenTTL: time.Hour, RateLimits: config.DefaultRateLimits, DemoRoutes: true}
	// No per-address limits: every simulated user calls from the same
	// loopback address (WranglerVars turns them off for wrangler dev too).
	s.cfg.RateLimits.ContactsPerIP, s.cfg.RateLimits.MessagesPerIP = 0, 0
	if err := s.serve(); err != nil {
		return nil, err
	}
	var deliveries context.Context
	deliveries, s.stopJobs = context.WithCancel(context.Background())
	go s.deliver(deliveries)
	s.URL = "http://" + s.addr
	return s, nil
}

// Target is s as a soak target.
func (s *InProcess) Target() Target {
	return Target{URL: s.URL, AdminToken: s.AdminToken, Restart: s.Restart, Name: "internal/api in process"}
}

// Restart kills the running instance and starts a new one on the same port
// and KV after s.Downtime.
func (s *InProcess) Restart(ctx context.Context) error {
	s.kill()
	if !sleep(ctx, s.Downtime) {
		return ctx.Err()
	}
	return s.serve()
}

// Close stops the server for good.
func (s *InProcess) Close() error {
	s.kill()
	s.stopJobs()
	return nil
}

// deliver hands the queue's due messages to the running instance, as the
// Workers runtime hands batches to the consumer.
func (s *InProcess) deliver(ctx context.Context) {
	for sleep(ctx, 50*time.Millisecond) {
		if a := s.consumer.Load(); a != nil {
			s.jobs.Deliver(ctx, a.Consumer())
		}
	}
}

func (s *InProcess) kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.alive.Store(false)
		s.srv.Close() // closes the listener and every connection, mid-request too
		s.srv = nil
	}
}

func (s *InProcess) serve() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("soak: in-process server already running")
	}
	alive := &atomic.Bool{}
	alive.Store(true)
	h, err := api.New(fencedKV{KV: s.mem, alive: alive, latency: s.KVLatency}, s.cfg, api.WithQueue(s.jobs))
	if err != nil {
		return err
	}
	s.consumer.Store(h)
	var ln net.Listener
	for attempt := 0; ; attempt++ {
		if ln, err = net.Listen("tcp", s.addr); err == nil || attempt == 20 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("soak: listening on %s again: %w", s.addr, err)
	}
	s.addr = ln.Addr().String()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	s.srv, s.alive = srv, alive
	return nil
}

// fencedKV is the KV of one instance: every call takes up to latency, and
// once the instance is killed its calls fail, as they would in a process that
// no longer runs.
type fencedKV struct {
	kv.KV
	alive   *atomic.Bool
	latency time.Duration
}

// errKilled is what a killed instance's storage calls get.
var errKilled = errors.New("soak: this worker instance was stopped")

// fenced waits the call's latency, then makes it unless the instance was
// killed.
func fenced[T any](f fencedKV, call func() (T, error)) (T, error) {
	if f.latency > 0 {
		time.Sleep(mrand.N(f.latency))
	}
	if !f.alive.Load() {
		var zero T
		return zero, errKilled
	}
	return call()
}

func (f fencedKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	var found bool
	v, err := fenced(f, func() (v []byte, err error) { v, found, err = f.KV.Get(ctx, key); return v, err })
	return v, found, err
}

func (f fencedKV) Put(ctx context.Context, key string, value []byte, opts kv.PutOptions) error {
	_, err := fenced(f, func() (any, error) { return nil, f.KV.Put(ctx, key, value, opts) })
	return err
}

func (f fencedKV) List(ctx context.Context, opts kv.ListOptions) (kv.ListResult, error) {
	return fenced(f, func() (kv.ListResult, error) { return f.KV.List(ctx, opts) })
}

func (f fencedKV) Delete(ctx context.Context, key string) error {
	_, err := fenced(f, func() (any, error) { return nil, f.KV.Delete(ctx, key) })
	return err
}
