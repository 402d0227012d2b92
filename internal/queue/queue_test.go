package queue_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/testclock"
)

type job struct {
	N int `json:"n"`
}

func TestEnvelopeRoundTrip(t *testing.T) {
	b, err := queue.Encode("webhook", job{N: 7})
	if err != nil {
		t.Fatal(err)
	}
	kind, data, err := queue.Decode(b)
	if err != nil || kind != "webhook" || string(data) != `{"n":7}` {
		t.Fatalf("Decode(%s) = %q, %s, %v", b, kind, data, err)
	}
	for _, bad := range []string{``, `[]`, `{"data":{}}`, `{"kind":""}`, `{"kind":1}`, `not json`} {
		if _, _, err := queue.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
	if _, err := queue.Encode("big", strings.Repeat("x", queue.MaxBodyBytes)); err != queue.ErrTooLarge {
		t.Errorf("Encode of an oversized message: %v, want ErrTooLarge", err)
	}
}

func TestOutcomes(t *testing.T) {
	if o := (queue.Outcome{}); o.IsRetry() || o.IsDeadLetter() {
		t.Errorf("zero Outcome is %v, want ack", o)
	}
	if o := queue.Retry(1500 * time.Millisecond); !o.IsRetry() || queue.Seconds(o.Delay()) != 2 {
		t.Errorf("Retry(1.5s) = %v, %d s", o, queue.Seconds(o.Delay()))
	}
	if o := queue.Retry(-time.Second); o.Delay() != 0 {
		t.Errorf("Retry(-1s) delay %v", o.Delay())
	}
	if o := queue.Retry(48 * time.Hour); o.Delay() != queue.MaxDelay {
		t.Errorf("Retry(48h) delay %v, want MaxDelay", o.Delay())
	}
}

// The Mux hands each message's data to its kind's handler, acknowledges what
// no handler can take, retries a panic, and answers in the batch's order.
func TestMuxDispatch(t *testing.T) {
	var logs []string
	var mu sync.Mutex
	m := queue.NewMux(2, func(f string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, f)
	})
	var seen sync.Map
	m.Handle("a", queue.HandlerFunc(func(_ context.Context, msg queue.Message) queue.Outcome {
		seen.Store(msg.ID, string(msg.Body))
		return queue.Ack()
	}))
	m.Handle("b", queue.HandlerFunc(func(_ context.Context, msg queue.Message) queue.Outcome {
		return queue.Retry(time.Duration(msg.Attempts) * time.Second)
	}))
	enc := func(kind string, n int) []byte { b, _ := queue.Encode(kind, job{n}); return b }
	batch := []queue.Message{
		{ID: "1", Body: enc("a", 1), Attempts: 1},
		{ID: "2", Body: enc("b", 2), Attempts: 3},
		{ID: "3", Body: enc("unknown", 3), Attempts: 1},
		{ID: "4", Body: []byte("garbage"), Attempts: 1},
		{ID: "6", Body: enc("a", 6), Attempts: 2},
	}
	out := m.Consume(context.Background(), batch)
	want := []string{"ack", "retry(3s)", "ack", "ack", "ack"}
	if len(out) != len(want) {
		t.Fatalf("%d outcomes for %d messages", len(out), len(batch))
	}
	for i, o := range out {
		if o.String() != want[i] {
			t.Errorf("message %s: %v, want %s", batch[i].ID, o, want[i])
		}
	}
	if v, _ := seen.Load("1"); v != `{"n":1}` {
		t.Errorf("handler a got %v for message 1", v)
	}
	if v, _ := seen.Load("6"); v != `{"n":6}` {
		t.Errorf("handler a got %v for message 6", v)
	}
	if len(logs) != 2 {
		t.Errorf("logged %d lines, want 2 (unknown kind, garbage): %q", len(logs), logs)
	}
}

// At most the Mux's concurrency of messages are handled at once, and a slow
// one does not wait for the others nor they for it beyond their slot.
func TestMuxConcurrency(t *testing.T) {
	m := queue.NewMux(3, nil)
	var now, peak atomic.Int32
	m.Handle("k", queue.HandlerFunc(func(context.Context, queue.Message) queue.Outcome {
		n := now.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		now.Add(-1)
		return queue.Ack()
	}))
	body, _ := queue.Encode("k", job{})
	batch := make([]queue.Message, 20)
	for i := range batch {
		batch[i] = queue.Message{ID: "m", Body: body, Attempts: 1}
	}
	m.Consume(context.Background(), batch)
	if p := peak.Load(); p > 3 || p < 1 {
		t.Errorf("peak concurrency %d, want 1..3", p)
	}
}

// Memory behaves as the platform: delays, the same id on every attempt,
// attempts counted, a message retried on its own, the dead-letter queue
// after max_retries, and DeadLetter carried out at once.
func TestMemoryRetriesAndDeadLetters(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	q := queue.NewMemory(clock.Now)
	q.MaxRetries = 2
	ctx := context.Background()
	ids := map[string][]int{}
	m := queue.NewMux(1, nil) // one at a time: the handlers share ids
	m.Handle("ok", queue.HandlerFunc(func(_ context.Context, msg queue.Message) queue.Outcome {
		ids[msg.ID] = append(ids[msg.ID], msg.Attempts)
		return queue.Ack()
	}))
	m.Handle("fail", queue.HandlerFunc(func(_ context.Context, msg queue.Message) queue.Outcome {
		ids[msg.ID] = append(ids[msg.ID], msg.Attempts)
		return queue.Retry(10 * time.Second)
	}))
	m.Handle("giveup", queue.HandlerFunc(func(context.Context, queue.Message) queue.Outcome { return queue.DeadLetter() }))
	if err := queue.Send(ctx, q, "ok", job{1}, 0); err != nil {
		t.Fatal(err)
	}
	_ = queue.Send(ctx, q, "fail", job{2}, 0)
	_ = queue.Send(ctx, q, "ok", job{3}, 30*time.Second)
	_ = queue.Send(ctx, q, "giveup", job{4}, 0)
	if n := q.Deliver(ctx, m); n != 3 {
		t.Fatalf("first Deliver made %d deliveries, want 3 (one is delayed)", n)
	}
	if n := q.Deliver(ctx, m); n != 0 {
		t.Fatalf("Deliver before any delay passed made %d deliveries", n)
	}
	for range 5 {
		clock.Advance(10 * time.Second)
		q.Deliver(ctx, m)
	}
	if len(q.Pending()) != 0 {
		t.Errorf("still pending: %q", q.Pending())
	}
	dead := q.DeadLetters()
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2 (giveup, and fail after 3 attempts)", len(dead))
	}
	var failID string
	for id, a := range ids {
		if len(a) > 1 {
			failID = id
			if len(a) != 3 || a[0] != 1 || a[1] != 2 || a[2] != 3 {
				t.Errorf("failing message %s had attempts %v, want [1 2 3]", id, a)
			}
		} else if len(a) != 1 || a[0] != 1 {
			t.Errorf("message %s had attempts %v, want [1]", id, a)
		}
	}
	if failID == "" || len(ids) != 3 {
		t.Errorf("deliveries %v", ids)
	}
}

type failing struct{ err error }

func (f failing) Send(context.Context, []byte, time.Duration) error { return f.err }

func TestWithDeadLetters(t *testing.T) {
	ctx := context.Background()
	c := consumerFunc(func(_ context.Context, b []queue.Message) []queue.Outcome {
		out := make([]queue.Outcome, len(b))
		for i := range b {
			if i%2 == 0 {
				out[i] = queue.DeadLetter()
			} else {
				out[i] = queue.Retry(time.Second)
			}
		}
		return out
	})
	batch := []queue.Message{{ID: "a", Body: []byte("A")}, {ID: "b", Body: []byte("B")}, {ID: "c", Body: []byte("C")}}
	dlq := queue.NewMemory(nil)
	out := queue.WithDeadLetters(c, dlq, nil).Consume(ctx, batch)
	if out[0].String() != "ack" || out[1].String() != "retry(1s)" || out[2].String() != "ack" {
		t.Errorf("outcomes %v", out)
	}
	if p := dlq.Pending(); len(p) != 2 || string(p[0]) != "A" || string(p[1]) != "C" {
		t.Errorf("dead-letter queue holds %q", p)
	}
	out = queue.WithDeadLetters(c, failing{context.Canceled}, nil).Consume(ctx, batch)
	if !out[0].IsRetry() {
		t.Errorf("a dead letter that could not be sent: %v, want a retry", out[0])
	}
}

type consumerFunc func(context.Context, []queue.Message) []queue.Outcome

func (f consumerFunc) Consume(ctx context.Context, b []queue.Message) []queue.Outcome {
	return f(ctx, b)
}
