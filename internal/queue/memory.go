package queue

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Memory is an in-memory queue for tests, which behaves as a Cloudflare
// Queue does for the consumer: a Producer whose messages Deliver hands to a
// Consumer once their delay has passed (by the clock given), the same ID on
// every attempt, Attempts counted, a retried message delivered again after
// its Outcome's delay, and after MaxRetries retries (or a DeadLetter
// Outcome) moved to DeadLetters.
// Safe for concurrent use.
type Memory struct {
	// MaxRetries is the consumer's max_retries: a message retried this
	// many times and failing once more goes to DeadLetters.
	MaxRetries int
	// BatchSize is the consumer's max_batch_size (default 10).
	BatchSize int

	now     func() time.Time
	mu      sync.Mutex
	next    int
	pending []*memoryMessage
	dead    []Message
	sent    int
}

type memoryMessage struct {
	Message
	due time.Time
}

// NewMemory returns an empty queue on the clock now (time.Now when nil),
// with Cloudflare's defaults of max_retries 3 and max_batch_size 10.
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{MaxRetries: 3, BatchSize: 10, now: now}
}

// Send stores body, due after delay.
func (q *Memory) Send(ctx context.Context, body []byte, delay time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(body) > MaxBodyBytes {
		return ErrTooLarge
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.next++
	q.sent++
	q.pending = append(q.pending, &memoryMessage{
		Message: Message{ID: fmt.Sprintf("mem-%06d", q.next), Body: append([]byte(nil), body...)},
		due:     q.now().Add(clampDelay(delay)),
	})
	return nil
}

// Sent counts the messages sent so far.
func (q *Memory) Sent() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sent
}

// Pending is the bodies of the messages not yet acknowledged nor dead, in
// the order they are due.
func (q *Memory) Pending() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out [][]byte
	for _, m := range q.sorted() {
		out = append(out, m.Body)
	}
	return out
}

// NextDue is when the earliest pending message is due; ok is false when
// none is pending.
func (q *Memory) NextDue() (t time.Time, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.sorted()
	if len(s) == 0 {
		return time.Time{}, false
	}
	return s[0].due, true
}

// DeadLetters is what went to the dead-letter queue, in order.
func (q *Memory) DeadLetters() []Message {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Message(nil), q.dead...)
}

func (q *Memory) sorted() []*memoryMessage {
	sort.SliceStable(q.pending, func(i, j int) bool { return q.pending[i].due.Before(q.pending[j].due) })
	return q.pending
}

// Deliver hands the messages due now to c, in batches of BatchSize, and
// applies their Outcomes; it returns how many deliveries it made. Messages
// retried with no delay are delivered again by the next Deliver, not this
// one.
func (q *Memory) Deliver(ctx context.Context, c Consumer) int {
	q.mu.Lock()
	now := q.now()
	var due []*memoryMessage
	rest := q.pending[:0:0]
	for _, m := range q.sorted() {
		if !m.due.After(now) {
			m.Attempts++
			due = append(due, m)
		} else {
			rest = append(rest, m)
		}
	}
	q.pending = rest
	q.mu.Unlock()

	size := q.BatchSize
	if size < 1 {
		size = 10
	}
	for start := 0; start < len(due); start += size {
		batch := due[start:min(start+size, len(due))]
		msgs := make([]Message, len(batch))
		for i, m := range batch {
			msgs[i] = Message{ID: m.ID, Body: append([]byte(nil), m.Body...), Attempts: m.Attempts}
		}
		outs := c.Consume(ctx, msgs)
		q.mu.Lock()
		for i, m := range batch {
			var o Outcome
			if i < len(outs) {
				o = outs[i]
			} else {
				o = Retry(0) // a Consumer that answered too few: as the platform, retry
			}
			switch {
			case o.IsDeadLetter():
				dead := m.Message
				dead.Body = o.DeadBody(dead.Body)
				q.dead = append(q.dead, dead)
			case !o.IsRetry():
			case m.Attempts > q.MaxRetries:
				q.dead = append(q.dead, m.Message)
			default:
				m.due = q.now().Add(o.Delay())
				q.pending = append(q.pending, m)
			}
		}
		q.mu.Unlock()
	}
	return len(due)
}

var _ Producer = (*Memory)(nil)
