// Package queue is the worker's background work: messages sent now and
// handled later, at least once, by the same Go instance that serves
// requests. In the Worker the messages travel on a Cloudflare Queue
// (wrangler.toml's JOBS producer and consumer; worker/cfqueue sends,
// worker/bridge hands each batch to a Consumer); tests use Memory.
//
// Every message's body is an envelope {"kind": K, "data": D}: Send writes it,
// and Mux hands D to the Handler registered for K, so that one queue carries
// every kind of job (webhook deliveries, deletion jobs, ...) and a new kind is
// one Mux.Handle. A Handler answers each message with an Outcome: Ack (done,
// or not worth retrying) or Retry(delay); the queue delivers a retried
// message again after delay with Attempts one higher, and after the
// consumer's max_retries moves it to the dead-letter queue. A message is
// retried on its own: one slow or failing message does not hold back the
// others of its batch.
package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Message is one delivery of a message to a Handler.
type Message struct {
	// ID is the queue's id of the message, the same on every attempt.
	ID string
	// Body is what was sent: the whole envelope for a Consumer, its data
	// for a Handler behind Mux.
	Body []byte
	// Attempts counts the deliveries of this message, this one included
	// (1 the first time).
	Attempts int
}

// MaxDelay is the longest delay Cloudflare Queues accept for a message
// (send's delaySeconds and retry's): 12 hours.
const MaxDelay = 12 * time.Hour

// Outcome is what becomes of a delivered message. The zero Outcome is Ack.
type Outcome struct {
	retry bool
	dead  bool
	delay time.Duration
	// body, when set, is the dead letter's body in place of the message's.
	body []byte
}

// Ack: the message is done and leaves the queue.
func Ack() Outcome { return Outcome{} }

// Retry: deliver the message again after delay (0 to MaxDelay; rounded up
// to whole seconds when sent to Cloudflare).
func Retry(delay time.Duration) Outcome {
	return Outcome{retry: true, delay: clampDelay(delay)}
}

// DeadLetter: give up on the message and move it to the dead-letter queue
// (see WithDeadLetters), where it stays for a person to look at. A Handler
// with a retry schedule of its own answers this once the schedule is over,
// well before the consumer's max_retries.
func DeadLetter() Outcome { return Outcome{dead: true} }

// DeadLetterAs is DeadLetter with body (an envelope, as Encode makes) sent
// to the dead-letter queue in place of the message's own: a Handler leaves
// there what may stay, as a webhook event's ids without its payload.
func DeadLetterAs(body []byte) Outcome { return Outcome{dead: true, body: body} }

// DeadBody is what a dead letter of the message whose body is orig carries.
func (o Outcome) DeadBody(orig []byte) []byte {
	if o.body != nil {
		return o.body
	}
	return orig
}

// IsDeadLetter reports whether the message is to go to the dead-letter queue.
func (o Outcome) IsDeadLetter() bool { return o.dead }

// IsRetry reports whether the message is to be delivered again.
func (o Outcome) IsRetry() bool { return o.retry }

// Delay is how long a retried message waits before its next delivery.
func (o Outcome) Delay() time.Duration { return o.delay }

func (o Outcome) String() string {
	if o.dead {
		return "dead-letter"
	}
	if !o.retry {
		return "ack"
	}
	return fmt.Sprintf("retry(%s)", o.delay)
}

// Seconds is d in whole seconds, rounded up, as Cloudflare takes a delay.
func Seconds(d time.Duration) int {
	return int(math.Ceil(clampDelay(d).Seconds()))
}

func clampDelay(d time.Duration) time.Duration {
	return min(max(d, 0), MaxDelay)
}

// Consumer handles a batch of messages and answers one Outcome for each,
// in the batch's order. worker/bridge calls it with the Queue's batches.
type Consumer interface {
	Consume(ctx context.Context, batch []Message) []Outcome
}

// Producer puts a message on the queue, delivered after delay (0 to
// MaxDelay). When Send returns nil the message is stored by the queue.
type Producer interface {
	Send(ctx context.Context, body []byte, delay time.Duration) error
}

// Handler handles the messages of one kind.
type Handler interface {
	Handle(ctx context.Context, m Message) Outcome
}

// HandlerFunc is a Handler.
type HandlerFunc func(ctx context.Context, m Message) Outcome

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m Message) Outcome { return f(ctx, m) }

// envelope is a message body: the kind names its Handler.
type envelope struct {
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// MaxBodyBytes is the largest body Send accepts: Cloudflare Queues take
// messages of up to 128 KB.
const MaxBodyBytes = 128_000

// ErrTooLarge: the message's envelope is over MaxBodyBytes.
var ErrTooLarge = errors.New("queue: message over 128 KB")

// Encode is the envelope of data (JSON) for kind. Neither is HTML-escaped
// (json.Marshal writes "<", ">" and "&" as six bytes each): a message is
// read by Decode, not by a browser, and a json.RawMessage in data (a
// webhook's payload, which is signed as it is) is kept byte for byte.
func Encode(kind string, data any) ([]byte, error) {
	raw, err := marshal(data)
	if err != nil {
		return nil, fmt.Errorf("queue: encoding a %s message: %w", kind, err)
	}
	b, err := marshal(envelope{Kind: kind, Data: raw})
	if err != nil {
		return nil, fmt.Errorf("queue: encoding a %s message: %w", kind, err)
	}
	if len(b) > MaxBodyBytes {
		return nil, ErrTooLarge
	}
	return b, nil
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Send puts data on p as a message of kind, delivered after delay.
func Send(ctx context.Context, p Producer, kind string, data any, delay time.Duration) error {
	b, err := Encode(kind, data)
	if err != nil {
		return err
	}
	return p.Send(ctx, b, clampDelay(delay))
}

// Decode reads an envelope: its kind and its data.
func Decode(body []byte) (kind string, data []byte, err error) {
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return "", nil, fmt.Errorf("queue: a message body is not an envelope: %w", err)
	}
	if e.Kind == "" {
		return "", nil, errors.New("queue: a message body has no kind")
	}
	return e.Kind, e.Data, nil
}

// WithDeadLetters is c, with every DeadLetter Outcome carried out: the
// message's body (or DeadLetterAs's) is sent to dlq and the message acknowledged (retried after
// a minute if that send fails). The Outcomes it answers are Ack or Retry
// only, which is all a Cloudflare consumer can answer. With dlq nil, a dead
// letter is acknowledged and logged through logf.
func WithDeadLetters(c Consumer, dlq Producer, logf func(format string, args ...any)) Consumer {
	return deadLetters{c, dlq, logf}
}

type deadLetters struct {
	c    Consumer
	dlq  Producer
	logf func(format string, args ...any)
}

func (d deadLetters) Consume(ctx context.Context, batch []Message) []Outcome {
	out := d.c.Consume(ctx, batch)
	for i, o := range out {
		if !o.IsDeadLetter() || i >= len(batch) {
			continue
		}
		switch {
		case d.dlq == nil:
			if d.logf != nil {
				d.logf("queue: message %s given up, and there is no dead-letter queue", batch[i].ID)
			}
			out[i] = Ack()
		case d.dlq.Send(ctx, o.DeadBody(batch[i].Body), 0) != nil:
			out[i] = Retry(time.Minute)
		default:
			if d.logf != nil {
				d.logf("queue: message %s moved to the dead-letter queue after %d attempts", batch[i].ID, batch[i].Attempts)
			}
			out[i] = Ack()
		}
	}
	return out
}
