package queue

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/conc"
)

// DefaultConcurrency is how many messages of a batch Mux handles at once
// unless told otherwise.
const DefaultConcurrency = 8

// PanicRetryDelay is when a message whose Handler panicked is tried again.
const PanicRetryDelay = time.Minute

// Mux is the Consumer that hands each message to the Handler of its kind,
// up to Concurrency messages at once, each with its own Outcome: a slow
// message holds one of the slots, not the batch.
//
// A message that is not an envelope, or of a kind no Handler was registered
// for, is acknowledged and logged: retrying cannot help it. A Handler that
// panics gets its message retried after PanicRetryDelay.
type Mux struct {
	concurrency int
	logf        func(format string, args ...any)
	mu          sync.RWMutex
	kinds       map[string]Handler
}

// NewMux returns a Mux that handles up to concurrency messages at once
// (DefaultConcurrency when < 1) and reports dropped messages and panics
// through logf (nil: not at all).
func NewMux(concurrency int, logf func(format string, args ...any)) *Mux {
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Mux{concurrency: concurrency, logf: logf, kinds: map[string]Handler{}}
}

// Handle registers h for the messages of kind; a second registration of a
// kind replaces the first.
func (m *Mux) Handle(kind string, h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kinds[kind] = h
}

// Consume handles batch, answering one Outcome per message in its order.
func (m *Mux) Consume(ctx context.Context, batch []Message) []Outcome {
	out := make([]Outcome, len(batch))
	slots := make(chan struct{}, m.concurrency)
	var wg sync.WaitGroup
	for i, msg := range batch {
		slots <- struct{}{}
		wg.Add(1)
		conc.Go(func() {
			defer func() {
				<-slots
				wg.Done()
			}()
			out[i] = m.one(ctx, msg)
		})
	}
	wg.Wait()
	return out
}

func (m *Mux) one(ctx context.Context, msg Message) (o Outcome) {
	kind, data, err := Decode(msg.Body)
	if err != nil {
		m.logf("queue: message %s dropped: %v", msg.ID, err)
		return Ack()
	}
	m.mu.RLock()
	h := m.kinds[kind]
	m.mu.RUnlock()
	if h == nil {
		m.logf("queue: message %s dropped: no handler for kind %q", msg.ID, kind)
		return Ack()
	}
	defer func() {
		if p := recover(); p != nil {
			m.logf("queue: message %s (%s) panicked: %v\n%s", msg.ID, kind, p, debug.Stack())
			o = Retry(PanicRetryDelay)
		}
	}()
	return h.Handle(ctx, Message{ID: msg.ID, Body: data, Attempts: msg.Attempts})
}

var _ Consumer = (*Mux)(nil)

// String names the kinds registered, for logs.
func (m *Mux) String() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	kinds := make([]string, 0, len(m.kinds))
	for k := range m.kinds {
		kinds = append(kinds, k)
	}
	return fmt.Sprintf("queue.Mux%v", kinds)
}
