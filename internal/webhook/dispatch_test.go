package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatwidget/identity/internal/outbound"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/testclock"
	"github.com/chatwidget/identity/internal/webhook"
)

type configs struct {
	mu    sync.Mutex
	m     map[string]*webhook.Config
	reads int
}

func (c *configs) Webhook(_ context.Context, org string) (*webhook.Config, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.m[org], nil
}

// receiver is a fake outbound.Doer: answers[url] says what the next attempts
// to that URL get (status, or 0 for no answer).
type receiver struct {
	mu      sync.Mutex
	answers map[string][]int
	got     []outbound.Request
}

func (r *receiver) Do(_ context.Context, req outbound.Request) (outbound.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req)
	status := 204
	if a := r.answers[req.URL]; len(a) > 0 {
		status, r.answers[req.URL] = a[0], a[1:]
	}
	if status == 0 {
		return outbound.Response{}, outbound.ErrTimeout
	}
	return outbound.Response{Status: status}, nil
}

func header(req outbound.Request) http.Header {
	h := http.Header{}
	for _, kv := range req.Header {
		h.Add(kv[0], kv[1])
	}
	return h
}

func TestDispatcher(t *testing.T) {
	clock := testclock.New(time.Now())
	ctx := context.Background()
	secretA, secretB := webhook.NewSecret(), webhook.NewSecret()
	cfgs := &configs{m: map[string]*webhook.Config{
		"A": {URL: "https://a.example/hook", Events: []string{webhook.MessageCreated}, Secrets: []webhook.Secret{{Value: secretA}}},
		"B": {URL: "https://b.example/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: secretB}}},
	}}
	q := queue.NewMemory(clock.Now)
	q.MaxRetries = 100
	recv := &receiver{answers: map[string][]int{"https://a.example/hook": {500, 0, 302}}}
	d := webhook.NewDispatcher(cfgs, q, recv, clock.Now, t.Logf)
	d.RetryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	mux := queue.NewMux(4, t.Logf)
	mux.Handle(webhook.Kind, d)

	d.Enqueue(ctx, "A", webhook.MessageCreated, "m1", nil, map[string]string{"x": "1"})
	d.Enqueue(ctx, "A", webhook.SessionCreated, "s1", nil, nil) // A does not want it
	d.Enqueue(ctx, "B", webhook.SessionCreated, "s2", nil, map[string]string{"y": "2"})
	d.Enqueue(ctx, "C", webhook.MessageCreated, "m3", nil, nil) // C has no webhook
	if n := q.Sent(); n != 2 {
		t.Fatalf("%d messages sent, want 2", n)
	}
	if cfgs.reads != 3 {
		t.Errorf("%d config reads for 3 orgs, want 3 (cached)", cfgs.reads)
	}
	for range 10 {
		q.Deliver(ctx, mux)
		clock.Advance(time.Second)
	}
	// A: 500, no answer, 302, then 204 on the 4th attempt; B at once.
	var toA, toB []outbound.Request
	for _, r := range recv.got {
		switch r.URL {
		case "https://a.example/hook":
			toA = append(toA, r)
		case "https://b.example/hook":
			toB = append(toB, r)
		default:
			t.Errorf("a delivery to %s", r.URL)
		}
	}
	if len(toA) != 4 || len(toB) != 1 {
		t.Fatalf("%d attempts to A (want 4), %d to B (want 1)", len(toA), len(toB))
	}
	id := header(toA[0]).Get("webhook-id")
	for _, r := range toA {
		if got := header(r).Get("webhook-id"); got != id {
			t.Errorf("attempts carry ids %q and %q", id, got)
		}
		if r.Timeout != webhook.Timeout {
			t.Errorf("timeout %v", r.Timeout)
		}
	}
	if id != webhook.EventID("A", webhook.MessageCreated, "m1") {
		t.Errorf("webhook-id %q", id)
	}
	whA, _ := standardwebhooks.NewWebhook(secretA)
	whB, _ := standardwebhooks.NewWebhook(secretB)
	last := toA[3]
	if err := whA.VerifyIgnoringTimestamp(last.Body, header(last)); err != nil {
		t.Errorf("A's event does not verify with A's secret: %v", err)
	}
	if whB.VerifyIgnoringTimestamp(last.Body, header(last)) == nil {
		t.Error("A's event verifies with B's secret")
	}
	var p struct {
		Type string            `json:"type"`
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(last.Body, &p); err != nil || p.Type != webhook.MessageCreated || p.Data["x"] != "1" {
		t.Errorf("payload %s", last.Body)
	}
	if err := whB.VerifyIgnoringTimestamp(toB[0].Body, header(toB[0])); err != nil {
		t.Errorf("B's event: %v", err)
	}
}

// After the schedule the event goes to the dead-letter queue; a webhook
// removed meanwhile ends it quietly.
func TestDispatcherGivesUp(t *testing.T) {
	clock := testclock.New(time.Now())
	ctx := context.Background()
	cfgs := &configs{m: map[string]*webhook.Config{
		"A": {URL: "https://a.example/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: webhook.NewSecret()}}},
	}}
	q := queue.NewMemory(clock.Now)
	q.MaxRetries = 100
	recv := &receiver{answers: map[string][]int{"https://a.example/hook": {500, 500, 500, 500, 500, 500}}}
	d := webhook.NewDispatcher(cfgs, q, recv, clock.Now, nil)
	d.RetryDelays = []time.Duration{time.Second, time.Second}
	mux := queue.NewMux(1, nil)
	mux.Handle(webhook.Kind, d)
	d.Enqueue(ctx, "A", webhook.MessageCreated, "m1", nil, nil)
	for range 5 {
		q.Deliver(ctx, mux)
		clock.Advance(time.Second)
	}
	if len(recv.got) != 3 || len(q.DeadLetters()) != 1 {
		t.Errorf("%d attempts (want 3), %d dead letters (want 1)", len(recv.got), len(q.DeadLetters()))
	}

	d.Enqueue(ctx, "A", webhook.MessageCreated, "m2", nil, nil)
	cfgs.mu.Lock()
	delete(cfgs.m, "A")
	cfgs.mu.Unlock()
	q.Deliver(ctx, mux)
	if len(recv.got) != 3 || len(q.Pending()) != 0 {
		t.Errorf("an event of a removed webhook was delivered or kept")
	}
}

func TestDefaultSchedule(t *testing.T) {
	var total time.Duration
	prev := time.Duration(0)
	for _, d := range webhook.DefaultRetryDelays {
		if d < prev {
			t.Errorf("delays shrink: %v after %v", d, prev)
		}
		prev = d
		total += d
	}
	if webhook.DefaultRetryDelays[0] > time.Minute || total < 6*time.Hour {
		t.Errorf("first retry %v, retries last %v: want within 60 s and at least 6 h", webhook.DefaultRetryDelays[0], total)
	}
	for _, d := range webhook.DefaultRetryDelays {
		if d > queue.MaxDelay {
			t.Errorf("delay %v over the queue's limit", d)
		}
	}
}

type failingQueue struct{}

func (failingQueue) Send(context.Context, []byte, time.Duration) error { return errors.New("full") }

func TestEnqueueFailureIsLogged(t *testing.T) {
	cfgs := &configs{m: map[string]*webhook.Config{"A": {URL: "https://a.example/", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: webhook.NewSecret()}}}}}
	var logged int
	d := webhook.NewDispatcher(cfgs, failingQueue{}, nil, nil, func(string, ...any) { logged++ })
	d.Enqueue(context.Background(), "A", webhook.MessageCreated, "m", nil, nil)
	if logged != 1 {
		t.Errorf("logged %d lines", logged)
	}
}

// erasures is an Erasures whose erased people are listed with when.
type erasures struct {
	at  map[string]time.Time
	err error
}

func (e erasures) Erased(_ context.Context, _ string, s webhook.Subject) (bool, error) {
	at, ok := e.at[s.Person]
	return ok && !s.Since.After(at), e.err
}

// An event of a person erased since is dropped, undelivered, at its next
// attempt; one of a person erased before its data was theirs, or of nobody,
// is delivered; an Erasures that fails retries it.
func TestDispatcherDropsTheEventsOfAnErasedPerson(t *testing.T) {
	clock := testclock.New(time.Now())
	ctx := context.Background()
	cfgs := &configs{m: map[string]*webhook.Config{
		"A": {URL: "https://a.example/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: webhook.NewSecret()}}},
	}}
	q := queue.NewMemory(clock.Now)
	recv := &receiver{answers: map[string][]int{}}
	d := webhook.NewDispatcher(cfgs, q, recv, clock.Now, nil)
	d.RetryDelays = []time.Duration{time.Second}
	er := &erasures{at: map[string]time.Time{}}
	d.Erasures = er
	mux := queue.NewMux(1, nil)
	mux.Handle(webhook.Kind, d)
	then := clock.Now()
	d.Enqueue(ctx, "A", webhook.MessageCreated, "gone", &webhook.Subject{Person: "p1", Since: then}, nil)
	d.Enqueue(ctx, "A", webhook.MessageCreated, "again", &webhook.Subject{Person: "p2", Since: then.Add(time.Second)}, nil)
	d.Enqueue(ctx, "A", webhook.DeletionCompleted, "d", nil, nil)
	er.at["p1"] = then.Add(time.Second) // erased after its data was theirs
	er.at["p2"] = then                  // erased, then came back
	q.Deliver(ctx, mux)
	var types []string
	for _, r := range recv.got {
		types = append(types, r.URL+" "+header(r).Get("webhook-id"))
	}
	want := []string{
		"https://a.example/hook " + webhook.EventID("A", webhook.MessageCreated, "again"),
		"https://a.example/hook " + webhook.EventID("A", webhook.DeletionCompleted, "d"),
	}
	slices.Sort(types)
	slices.Sort(want)
	if !slices.Equal(types, want) || len(q.Pending()) != 0 {
		t.Errorf("delivered %v (want %v), %d pending", types, want, len(q.Pending()))
	}

	er.err = errors.New("KV down")
	d.Enqueue(ctx, "A", webhook.MessageCreated, "later", &webhook.Subject{Person: "p3", Since: then}, nil)
	q.Deliver(ctx, mux)
	if len(recv.got) != 2 || len(q.Pending()) != 1 {
		t.Errorf("with its erasure unknown, an event was delivered (%d) or dropped (%d pending)", len(recv.got), len(q.Pending()))
	}
}

// payloads is a Payloads in memory.
type payloads struct {
	mu                  sync.Mutex
	m                   map[string][]byte
	puts, gets, deletes int
	hide                bool // Payload finds nothing (not yet there)
}

func (p *payloads) PutPayload(_ context.Context, org string, about *webhook.Subject, id string, b []byte, _ time.Duration) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.puts++
	key := "hook/" + org + "/" + id
	p.m[key] = append([]byte(nil), b...)
	return key, nil
}

func (p *payloads) Payload(_ context.Context, org, key string) ([]byte, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets++
	b, ok := p.m[key]
	return b, ok && !p.hide, nil
}

func (p *payloads) DeletePayload(_ context.Context, org, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deletes++
	delete(p.m, key)
	return nil
}

// An event too large for a queue message waits in Payloads: its queue
// message names it, each attempt reads it, the receiver gets it whole and
// signed over the bytes sent, and it is deleted once delivered; given up,
// it stays for its dead letter. A small event touches no Payloads. It was
// logged and never sent.
func TestDispatcherStoresAnEventTooLargeForTheQueue(t *testing.T) {
	clock := testclock.New(time.Now())
	ctx := context.Background()
	secret := webhook.NewSecret()
	cfgs := &configs{m: map[string]*webhook.Config{
		"A": {URL: "https://a.example/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: secret}}},
		"B": {URL: "https://b.example/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: secret}}},
	}}
	q := queue.NewMemory(clock.Now)
	q.MaxRetries = 100
	recv := &receiver{answers: map[string][]int{"https://b.example/hook": {500, 500}}}
	d := webhook.NewDispatcher(cfgs, q, recv, clock.Now, t.Logf)
	d.RetryDelays = []time.Duration{time.Second}
	store := &payloads{m: map[string][]byte{}}
	d.Payloads = store
	mux := queue.NewMux(1, t.Logf)
	mux.Handle(webhook.Kind, d)

	d.Enqueue(ctx, "A", webhook.MessageCreated, "small", nil, map[string]string{"content": "<hi>"})
	if store.puts != 0 {
		t.Fatalf("a small event stored its payload")
	}
	big := map[string]string{"content": strings.Repeat("\x01", 10000), "last": strings.Repeat("\x01", 10000) + strings.Repeat("<", 10000)}
	d.Enqueue(ctx, "A", webhook.MessageCreated, "big", nil, big)
	d.Enqueue(ctx, "B", webhook.MessageCreated, "big", nil, big) // fails until given up
	for _, b := range q.Pending() {
		if len(b) > 1000 && !strings.Contains(string(b), "<hi>") {
			t.Errorf("a queue message of %d bytes", len(b))
		}
	}
	if store.puts != 2 {
		t.Fatalf("%d payloads stored, want 2", store.puts)
	}
	for range 5 {
		q.Deliver(ctx, mux)
		clock.Advance(time.Second)
	}
	var whole int
	wh, _ := standardwebhooks.NewWebhook(secret)
	for _, r := range recv.got {
		if err := wh.VerifyIgnoringTimestamp(r.Body, header(r)); err != nil {
			t.Errorf("an event does not verify: %v", err)
		}
		var p struct{ Data map[string]string }
		if json.Unmarshal(r.Body, &p) == nil && p.Data["content"] == big["content"] && p.Data["last"] == big["last"] {
			whole++
			if strings.Contains(string(r.Body), `\u003c`) {
				t.Error("an event HTML-escaped")
			}
		}
	}
	// A at once; B: 500 twice, given up after its one retry.
	if whole != 3 || len(q.DeadLetters()) != 1 || len(q.Pending()) != 0 {
		t.Errorf("%d attempts carried the event whole (want 3), %d dead, %d pending", whole, len(q.DeadLetters()), len(q.Pending()))
	}
	if len(store.m) != 1 || store.deletes != 1 {
		t.Errorf("after the last attempts %d payloads stored (want B's), %d deletes", len(store.m), store.deletes)
	}
	kept := len(store.m)

	// Not (yet) to be read: retried, not dropped nor sent without it.
	store.hide = true
	d.Enqueue(ctx, "A", webhook.MessageCreated, "big2", nil, big)
	sent := len(recv.got)
	q.Deliver(ctx, mux)
	if len(recv.got) != sent || len(q.Pending()) != 1 || len(store.m) != kept+1 {
		t.Errorf("with its payload not found: %d sent, %d pending, %d stored", len(recv.got)-sent, len(q.Pending()), len(store.m))
	}
	store.hide = false
	clock.Advance(time.Second)
	q.Deliver(ctx, mux)
	if len(recv.got) != sent+1 || len(store.m) != kept {
		t.Errorf("once found: %d sent, %d stored", len(recv.got)-sent, len(store.m))
	}
}

// TestDispatcherRefusedURL: a URL stored before a rule refused it (an
// IPv4-translated ::ffff:0:127.0.0.1), or a loopback one stored while
// loopback was allowed, is never reached: each attempt judges it again,
// and the event waits (retried) for a URL the worker accepts.
func TestDispatcherRefusedURL(t *testing.T) {
	clock := testclock.New(time.Now())
	ctx := context.Background()
	cfgs := &configs{m: map[string]*webhook.Config{
		"A": {URL: "https://[::ffff:0:7f00:1]/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: webhook.NewSecret()}}},
		"B": {URL: "http://127.0.0.1:9/hook", Events: webhook.AllEvents, Secrets: []webhook.Secret{{Value: webhook.NewSecret()}}},
	}}
	q := queue.NewMemory(clock.Now)
	q.MaxRetries = 100
	recv := &receiver{}
	d := webhook.NewDispatcher(cfgs, q, recv, clock.Now, t.Logf)
	d.RetryDelays = []time.Duration{time.Second, time.Second}
	mux := queue.NewMux(4, t.Logf)
	mux.Handle(webhook.Kind, d)
	d.Enqueue(ctx, "A", webhook.MessageCreated, "m1", nil, map[string]string{"x": "1"})
	d.Enqueue(ctx, "B", webhook.MessageCreated, "m2", nil, map[string]string{"x": "2"})
	q.Deliver(ctx, mux)
	clock.Advance(time.Second)
	if len(recv.got) != 0 {
		t.Fatalf("%d deliveries to refused URLs (first %s), want none", len(recv.got), recv.got[0].URL)
	}
	cfgs.mu.Lock()
	cfgs.m["A"].URL = "https://a.example/hook"
	cfgs.mu.Unlock()
	for range 3 {
		q.Deliver(ctx, mux)
		clock.Advance(time.Second)
	}
	if len(recv.got) != 1 || recv.got[0].URL != "https://a.example/hook" {
		t.Errorf("after A set an accepted URL, deliveries %v, want one to it", recv.got)
	}
}
