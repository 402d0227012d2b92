package api

import (
	"context"
	"fmt"
	"time"

	"github.com/chatwidget/identity/internal/queue"
)

// Background jobs: the API sends them with a.enqueue while it serves a
// request and handles them, later and at least once, as the Consumer the
// Worker hands its Queue's batches to (worker/main.go, worker/bridge). One
// queue carries every kind; each kind is one Handler registered here, which
// answers Ack, Retry(delay) or DeadLetter per message.

// jobConcurrency is how many messages of a batch are handled at once: a
// slow webhook receiver holds one slot for at most its timeout.
const jobConcurrency = 8

func (a *API) registerJobs() {
	a.jobs = queue.NewMux(jobConcurrency, func(format string, args ...any) {
		a.log.Warn("queue", "detail", fmt.Sprintf(format, args...))
	})
	// One line per kind, e.g.:
	//   a.jobs.Handle(webhookKind, queue.HandlerFunc(a.deliverWebhook))
	a.jobs.Handle(deletionKind, queue.HandlerFunc(a.handleDeletion))
}

// Consumer is the Consumer of the API's queue: the Worker hands it every
// batch; tests hand it a queue.Memory's.
func (a *API) Consumer() queue.Consumer { return a.jobs }

// enqueue sends data as a job of kind, due after delay. Without a queue it
// does nothing. It fails only when the queue refused the message.
func (a *API) enqueue(ctx context.Context, kind string, data any, delay time.Duration) error {
	if a.queue == nil {
		return nil
	}
	return queue.Send(ctx, a.queue, kind, data, delay)
}
