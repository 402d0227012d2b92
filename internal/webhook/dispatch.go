package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/chatwidget/identity/internal/outbound"
	"github.com/chatwidget/identity/internal/queue"
)

// Kind is the queue kind of webhook deliveries.
const Kind = "webhook"

// DefaultRetryDelays is when a delivery is tried again after its first,
// second, ... attempt failed: growing from 30 s, 6 h 52 min 30 s in all
// (the contract asks for the first retry within 60 s and at least 6 h of
// them), 9 attempts; after the last the event goes to the dead-letter
// queue. The worker's WEBHOOK_RETRY_DELAYS replaces it (tests shorten it).
var DefaultRetryDelays = []time.Duration{
	30 * time.Second, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour,
}

// DeadLetterTTL is how long the payload of an event given up is kept for
// its dead letter: the longest a Cloudflare Queue keeps a message (14 days).
const DeadLetterTTL = 14 * 24 * time.Hour

// Timeout is how long one delivery attempt waits for the answer.
const Timeout = 10 * time.Second

// Enqueuer announces an event of an org (see the package doc). Enqueue
// never fails the caller: what goes wrong is logged. about names whose data
// the event carries (nil: nobody's, as deletion.completed).
type Enqueuer interface {
	Enqueue(ctx context.Context, orgID, eventType, objectID string, about *Subject, data any)
}

// Subject is whose data an event carries: the person as the org's
// Erasures know them (the store: a hash of their principal key) and since
// when the data was theirs (a session's creation, or its claim). An event
// whose person was erased at or after Since is dropped when it comes to be
// delivered, unless its Session had been claimed away from them before:
// an erased person's chats are shown to no caller, the org's server
// included, however long its receiver was down.
type Subject struct {
	Person string    `json:"person"`
	Since  time.Time `json:"since"`
	// Session is the session whose data the event carries ("" for none):
	// a payload kept outside its queue message (Payloads) is stored with
	// it, so that the session's erasure removes it too.
	Session string `json:"session,omitempty"`
	// Contact is set when Person is a contact, whose Session a claim may
	// move to a verified identity erased since (Erasures judge it).
	Contact bool `json:"contact,omitempty"`
	// Made is when the event was made (Enqueue sets it).
	Made time.Time `json:"made,omitzero"`
}

// Erasures tells whether the person of a Subject was erased since then.
type Erasures interface {
	Erased(ctx context.Context, orgID string, s Subject) (bool, error)
}

// Payloads keeps the payloads of events too large for a queue message
// (queue.MaxBodyBytes), whose message names the key instead (Job.Stored).
// It also keeps the payload of an event given up, whose dead letter names
// it (see Handle). Put stores p, the payload of event id of org carrying
// about's data, for ttl (0: a day), and returns its key (the same for the
// same event); Payload reads it back (found false when it is not, or not
// yet, there); Delete removes it once the event is delivered or dropped.
// A payload of a session's data is kept with that session, whose erasure
// removes it.
type Payloads interface {
	PutPayload(ctx context.Context, orgID string, about *Subject, id string, p []byte, ttl time.Duration) (key string, err error)
	Payload(ctx context.Context, orgID, key string) (p []byte, found bool, err error)
	DeletePayload(ctx context.Context, orgID, key string) error
}

// Configs reads an org's webhook: nil, nil when it has none.
type Configs interface {
	Webhook(ctx context.Context, orgID string) (*Config, error)
}

// Job is a queue message's data: one event of one org.
type Job struct {
	Org     string          `json:"org"`
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// Stored, instead of Payload, is the key of the payload kept in
	// Payloads: the event was too large for a queue message.
	Stored string `json:"stored,omitempty"`
	// About is whose data Payload carries (Subject); nil for none.
	About *Subject `json:"about,omitempty"`
}

// payload is what the receiver gets.
type payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Dispatcher is the Enqueuer and the Handler of webhook jobs. Safe for
// concurrent use; one per worker instance.
type Dispatcher struct {
	// RetryDelays is the retry schedule (DefaultRetryDelays when nil).
	RetryDelays []time.Duration
	// CacheFor is how long an org's config, read for Enqueue, is kept in
	// this instance (DefaultCacheFor when 0): the KV read it saves is one
	// per message otherwise. Changes made through this instance (Forget)
	// apply at once; others within CacheFor, as KV itself spreads a
	// change within about a minute.
	CacheFor time.Duration
	// Erasures, when set, is asked before each attempt whether the event's
	// person (Job.About) was erased: such an event is dropped.
	Erasures Erasures
	// Payloads, when set, keeps the payloads too large for a queue
	// message; without it such an event is logged and not sent.
	Payloads Payloads
	// AllowLoopback is ValidateURL's: each attempt judges the webhook's
	// URL again, so that one stored before a rule refused it (or while
	// WEBHOOK_ALLOW_LOOPBACK was 1) is not reached.
	AllowLoopback bool

	configs Configs
	queue   queue.Producer
	http    outbound.Doer
	now     func() time.Time
	logf    func(format string, args ...any)

	mu    sync.Mutex
	cache map[string]cached
}

// DefaultCacheFor is how long Enqueue trusts an org's config it read.
const DefaultCacheFor = 30 * time.Second

// maxCached bounds the cache: beyond it, it starts over.
const maxCached = 10_000

type cached struct {
	cfg   *Config
	until time.Time
}

// NewDispatcher returns a Dispatcher reading configs, sending to q and
// delivering through h (nil: every delivery is retried later).
func NewDispatcher(configs Configs, q queue.Producer, h outbound.Doer, now func() time.Time, logf func(format string, args ...any)) *Dispatcher {
	if now == nil {
		now = time.Now
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Dispatcher{configs: configs, queue: q, http: h, now: now, logf: logf, cache: map[string]cached{}}
}

// Forget replaces the cached config of org with cfg (nil: it has none
// now); the routes that change a webhook call it.
func (d *Dispatcher) Forget(orgID string, cfg *Config) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.put(orgID, cfg)
}

func (d *Dispatcher) put(orgID string, cfg *Config) {
	if len(d.cache) >= maxCached {
		clear(d.cache)
	}
	ttl := d.CacheFor
	if ttl <= 0 {
		ttl = DefaultCacheFor
	}
	d.cache[orgID] = cached{cfg: cfg, until: d.now().Add(ttl)}
}

func (d *Dispatcher) config(ctx context.Context, orgID string) (*Config, error) {
	d.mu.Lock()
	c, ok := d.cache[orgID]
	d.mu.Unlock()
	if ok && d.now().Before(c.until) {
		return c.cfg, nil
	}
	cfg, err := d.configs.Webhook(ctx, orgID)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.put(orgID, cfg)
	d.mu.Unlock()
	return cfg, nil
}

// Enqueue sends the event of type t about objectID, with data (of the
// person about, when not nil), to org's webhook if it has one that wants t.
func (d *Dispatcher) Enqueue(ctx context.Context, orgID, t, objectID string, about *Subject, data any) {
	cfg, err := d.config(ctx, orgID)
	if err != nil {
		d.logf("webhook: %s of org %s not sent: reading its webhook: %v", t, orgID, err)
		return
	}
	if !cfg.Wants(t) {
		return
	}
	p, err := Marshal(payload{Type: t, Timestamp: d.now().UTC(), Data: data})
	if err != nil {
		d.logf("webhook: %s of org %s not sent: %v", t, orgID, err)
		return
	}
	if about != nil {
		a := *about
		a.Made, about = d.now().UTC(), &a
	}
	job := Job{Org: orgID, ID: EventID(orgID, t, objectID), Type: t, Payload: p, About: about}
	body, err := queue.Encode(Kind, job)
	if errors.Is(err, queue.ErrTooLarge) && d.Payloads != nil {
		// Too large for a queue message (a long message of characters
		// JSON escapes, carried twice: the message and the session's
		// last_message): the payload waits in Payloads, the message names it.
		key, perr := d.Payloads.PutPayload(ctx, orgID, about, job.ID, p, 0)
		if perr != nil {
			d.logf("webhook: %s %s of org %s not sent: storing its payload of %d bytes: %v", t, job.ID, orgID, len(p), perr)
			return
		}
		job.Payload, job.Stored = nil, key
		body, err = queue.Encode(Kind, job)
	}
	if err == nil {
		err = d.queue.Send(ctx, body, 0)
	}
	if err != nil {
		d.logf("webhook: %s %s of org %s not sent: %v", t, job.ID, orgID, err)
	}
}

// handleTimeout bounds one delivery, the config read included, so that a
// batch always ends: an await that never settles (as the Workers runtime
// can leave one) costs the message a retry, not the queue its consumer.
const handleTimeout = Timeout + 5*time.Second

// Handle delivers one event (a queue message of Kind). The payload of an
// event kept in Payloads is read at each attempt and deleted after the
// last (delivered or dropped). An event given up goes to the dead-letter
// queue as its ids alone (deadLetter): its payload waits in Payloads,
// where the erasure of the person whose data it carries removes it, and
// sending the dead letter back to the jobs queue delivers it again.
func (d *Dispatcher) Handle(ctx context.Context, m queue.Message) queue.Outcome {
	ctx, cancel := context.WithTimeout(ctx, handleTimeout)
	defer cancel()
	var job Job
	if err := json.Unmarshal(m.Body, &job); err != nil || job.Org == "" || job.ID == "" || len(job.Payload) == 0 && job.Stored == "" {
		d.logf("webhook: message %s dropped: not a webhook job", m.ID)
		return queue.Ack()
	}
	out := d.handle(ctx, m, &job)
	if out.IsDeadLetter() && d.Payloads != nil {
		return d.deadLetter(ctx, job)
	}
	if job.Stored != "" && d.Payloads != nil && !out.IsRetry() {
		// Its own time: the attempt may have used up ctx's.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := d.Payloads.DeletePayload(dctx, job.Org, job.Stored); err != nil {
			d.logf("webhook: %s of org %s: deleting its stored payload: %v", job.ID, job.Org, err)
		}
	}
	return out
}

// handle makes one attempt of job, setting its Payload when it was stored.
func (d *Dispatcher) handle(ctx context.Context, m queue.Message, job *Job) queue.Outcome {
	cfg, err := d.configs.Webhook(ctx, job.Org)
	if err != nil {
		d.logf("webhook: %s of org %s: reading its webhook: %v", job.ID, job.Org, err)
		return d.retry(m, *job)
	}
	if !cfg.Wants(job.Type) {
		return queue.Ack() // removed, or no longer subscribed, since
	}
	if job.About != nil && d.Erasures != nil {
		erased, err := d.Erasures.Erased(ctx, job.Org, *job.About)
		if err != nil {
			d.logf("webhook: %s of org %s: reading its person's erasure: %v", job.ID, job.Org, err)
			return d.retry(m, *job)
		}
		if erased {
			d.logf("webhook: %s of org %s dropped: its person has been erased", job.ID, job.Org)
			return queue.Ack()
		}
	}
	if job.Stored != "" {
		if d.Payloads == nil {
			d.logf("webhook: %s of org %s: its payload is stored and this worker reads no stored payloads", job.ID, job.Org)
			return d.retry(m, *job)
		}
		p, found, err := d.Payloads.Payload(ctx, job.Org, job.Stored)
		if err == nil && !found {
			// Not there yet, as KV spreads a write within a minute; or
			// gone (erased with its session, or expired), which the
			// schedule's end settles.
			err = errors.New("its stored payload is not found")
		}
		if err != nil {
			d.logf("webhook: %s of org %s: reading its stored payload: %v", job.ID, job.Org, err)
			return d.retry(m, *job)
		}
		job.Payload = p
	}
	if _, err := ValidateURL(cfg.URL, d.AllowLoopback); err != nil {
		// Retried as any failed attempt: a URL the org sets meanwhile
		// gets it, and the dead-letter queue keeps it after the last.
		d.logf("webhook: %s of org %s not sent: its webhook's URL is refused now: %v", job.ID, job.Org, err)
		return d.retry(m, *job)
	}
	now := d.now()
	sig, err := Sign(cfg.Signing(now), job.ID, now, job.Payload)
	if err != nil {
		d.logf("webhook: %s of org %s: %v", job.ID, job.Org, err)
		return d.retry(m, *job)
	}
	if d.http == nil {
		d.logf("webhook: %s of org %s: no outgoing requests", job.ID, job.Org)
		return d.retry(m, *job)
	}
	res, err := d.http.Do(ctx, outbound.Request{
		URL: cfg.URL,
		Header: [][2]string{
			{"Content-Type", "application/json"},
			{"User-Agent", "chat-identity-webhooks/1"},
			{"webhook-id", job.ID},
			{"webhook-timestamp", strconv.FormatInt(now.Unix(), 10)},
			{"webhook-signature", sig},
		},
		Body:    job.Payload,
		Timeout: Timeout,
	})
	if err == nil && res.Status >= 200 && res.Status < 300 {
		return queue.Ack()
	}
	if err == nil {
		err = fmt.Errorf("answered %d", res.Status)
	}
	d.logf("webhook: %s of org %s, attempt %d: %v", job.ID, job.Org, m.Attempts, err)
	return d.retry(m, *job)
}

// deadLetter is the Outcome of job given up: a dead letter of its ids and
// the key of its payload, kept in Payloads for DeadLetterTTL (under the
// session whose data it carries, which that session's erasure removes)
// rather than in the dead-letter queue, which no erasure reaches. Its
// person, erased while the last attempt ran, leaves no dead letter.
func (d *Dispatcher) deadLetter(ctx context.Context, job Job) queue.Outcome {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if len(job.Payload) > 0 {
		key, err := d.Payloads.PutPayload(ctx, job.Org, job.About, job.ID, job.Payload, DeadLetterTTL)
		if err != nil {
			d.logf("webhook: %s of org %s given up; storing its payload: %v", job.ID, job.Org, err)
			return queue.Retry(time.Minute)
		}
		job.Stored = key
	}
	job.Payload = nil
	if job.About != nil && d.Erasures != nil {
		erased, err := d.Erasures.Erased(ctx, job.Org, *job.About)
		if err == nil && erased && job.Stored != "" {
			err = d.Payloads.DeletePayload(ctx, job.Org, job.Stored)
		}
		if err != nil {
			d.logf("webhook: %s of org %s given up; reading its person's erasure: %v", job.ID, job.Org, err)
			return queue.Retry(time.Minute)
		}
		if erased {
			d.logf("webhook: %s of org %s dropped: its person has been erased", job.ID, job.Org)
			return queue.Ack()
		}
	}
	body, err := queue.Encode(Kind, job)
	if err != nil {
		d.logf("webhook: %s of org %s given up: %v", job.ID, job.Org, err)
		return queue.DeadLetter()
	}
	return queue.DeadLetterAs(body)
}

// retry is the Outcome of a failed attempt: the schedule's next delay, or
// the dead-letter queue after the last.
func (d *Dispatcher) retry(m queue.Message, job Job) queue.Outcome {
	delays := d.RetryDelays
	if delays == nil {
		delays = DefaultRetryDelays
	}
	i := max(m.Attempts, 1) - 1
	if i >= len(delays) {
		d.logf("webhook: %s of org %s given up after %d attempts", job.ID, job.Org, m.Attempts)
		return queue.DeadLetter()
	}
	return queue.Retry(delays[i])
}

var (
	_ Enqueuer      = (*Dispatcher)(nil)
	_ queue.Handler = (*Dispatcher)(nil)
)
