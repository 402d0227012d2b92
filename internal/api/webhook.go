package api

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/webhook"
)

// The org's webhook (API.md "Webhooks"): the routes that set, show, rotate
// and delete it, and the events the API's actions emit (package webhook
// says how they are sent and delivered).

// noEvents is the Enqueuer of an API without a queue: events go nowhere.
type noEvents struct{}

func (noEvents) Enqueue(context.Context, string, string, string, *webhook.Subject, any) {}

// setupWebhooks makes the Dispatcher when the API has a queue, and
// registers its deliveries as a job kind.
func (a *API) setupWebhooks() {
	a.events = noEvents{}
	if a.queue == nil {
		return
	}
	d := webhook.NewDispatcher(a.store, a.queue, a.outbound, a.store.Now, func(format string, args ...any) {
		a.log.Warn("webhook", "detail", fmt.Sprintf(format, args...))
	})
	if delays, _ := a.cfg.Webhooks.Delays(); delays != nil {
		d.RetryDelays = delays
	}
	d.Erasures = a.store // an erased person's events waiting for delivery are dropped
	d.Payloads = a.store // an event too large for a queue message waits in KV
	d.AllowLoopback = a.cfg.Webhooks.AllowLoopback
	a.webhooks = d
	a.events = d
	a.jobs.Handle(webhook.Kind, d)
}

func (a *API) registerWebhookRoutes() {
	a.route("PUT /v1/webhook", a.server(a.putWebhook))
	a.route("GET /v1/webhook", a.server(a.getWebhook))
	a.route("DELETE /v1/webhook", a.server(a.deleteWebhook))
	a.route("POST /v1/webhook/rotate-secret", a.server(a.rotateWebhookSecret))
}

// webhookView is the contract's webhook; Secret only when just made.
type webhookView struct {
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func viewWebhook(c *webhook.Config, secret string) map[string]webhookView {
	return map[string]webhookView{"webhook": {URL: c.URL, Events: c.Events, Secret: secret, CreatedAt: c.CreatedAt}}
}

// changed tells this instance's Dispatcher of a webhook set or removed, so
// that events follow at once here (elsewhere within its cache's 30 s).
func (a *API) changed(orgID string, c *webhook.Config) {
	if a.webhooks != nil {
		a.webhooks.Forget(orgID, c)
	}
}

// holdWebhook lets one request at a time of this instance change the org's
// webhook. PUT and rotate-secret read the stored config and write it back:
// two at once each wrote what it read, so that the secret one answered
// (a first PUT's, a rotation's) was not among those stored and never
// signed, and a rotation beside a DELETE wrote the webhook back. KV has no
// compare-and-set, so two instances at once are not kept apart (README).
func (a *API) holdWebhook(ctx context.Context, orgID string) (unlock func(), err error) {
	return a.hold(ctx, "webhook\x00"+orgID)
}

func (a *API) putWebhook(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	// decodeJSON matches keys exactly and refuses repeated ones (API.md).
	var req struct {
		URL    json.RawMessage `json:"url"`
		Events json.RawMessage `json:"events"`
	}
	if err := decodeJSON(body, &req); err != nil {
		return err
	}
	var rawURL string
	if v := req.URL; len(v) == 0 || string(v) == "null" {
		return identity.Invalid("url", "is required.")
	} else if json.Unmarshal(v, &rawURL) != nil {
		return identity.Invalid("url", "must be a string.")
	}
	url, err := webhook.ValidateURL(rawURL, a.cfg.Webhooks.AllowLoopback)
	if err != nil {
		return err
	}
	var events []string
	v, given := req.Events, len(req.Events) > 0
	if given && string(v) == "null" {
		given = false
	}
	if given && json.Unmarshal(v, &events) != nil {
		return identity.Invalid("events", "must be an array of event names.")
	}
	if events, err = webhook.ParseEvents(events, given); err != nil {
		return err
	}
	ctx := r.Context()
	unlock, err := a.holdWebhook(ctx, c.orgID)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := a.store.Webhook(ctx, c.orgID)
	if err != nil {
		return err
	}
	now := a.store.Now()
	secret := ""
	if cfg == nil {
		secret = webhook.NewSecret()
		cfg = &webhook.Config{CreatedAt: now, Secrets: []webhook.Secret{{Value: secret, CreatedAt: now}}}
	}
	cfg.URL, cfg.Events, cfg.UpdatedAt = url, events, now
	if err := a.store.PutWebhook(ctx, c.orgID, cfg); err != nil {
		return err
	}
	a.changed(c.orgID, cfg)
	writeJSON(w, httpx.StatusOK, viewWebhook(cfg, secret))
	return nil
}

func (a *API) webhookOf(ctx context.Context, orgID string) (*webhook.Config, error) {
	cfg, err := a.store.Webhook(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		return nil, identity.Errorf(identity.CodeNotFound, "This org has no webhook: set one with PUT /v1/webhook.")
	}
	return cfg, nil
}

func (a *API) getWebhook(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	cfg, err := a.webhookOf(r.Context(), c.orgID)
	if err != nil {
		return err
	}
	writeJSON(w, httpx.StatusOK, viewWebhook(cfg, ""))
	return nil
}

func (a *API) deleteWebhook(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	unlock, err := a.holdWebhook(r.Context(), c.orgID)
	if err != nil {
		return err
	}
	defer unlock()
	if err := a.store.DeleteWebhook(r.Context(), c.orgID); err != nil {
		return err
	}
	a.changed(c.orgID, nil)
	w.WriteHeader(httpx.StatusNoContent)
	return nil
}

func (a *API) rotateWebhookSecret(w httpx.ResponseWriter, r *httpx.Request, c serverCall) error {
	ctx := r.Context()
	unlock, err := a.holdWebhook(ctx, c.orgID)
	if err != nil {
		return err
	}
	defer unlock()
	cfg, err := a.webhookOf(ctx, c.orgID)
	if err != nil {
		return err
	}
	overlap := a.cfg.Webhooks.SecretOverlap
	if overlap <= 0 {
		overlap = webhook.DefaultOverlap
	}
	secret := webhook.NewSecret()
	cfg.Rotate(secret, a.store.Now(), overlap)
	if err := a.store.PutWebhook(ctx, c.orgID, cfg); err != nil {
		return err
	}
	a.changed(c.orgID, cfg)
	writeJSON(w, httpx.StatusOK, map[string]string{"secret": secret})
	return nil
}

// The events' data: the org's views, each session with its owner as GET
// /v1/sessions/{id} shows it.

type sessionEvent struct {
	Session orgSession `json:"session"`
}

type messageEvent struct {
	Session orgSession        `json:"session"`
	Message *identity.Message `json:"message"`
}

// sessionCreated announces sess, just stored.
func (a *API) sessionCreated(ctx context.Context, sess *identity.Session) {
	a.events.Enqueue(ctx, sess.OrgID, webhook.SessionCreated, sess.ID, store.SubjectOf(sess), sessionEvent{Session: orgSession{sess}})
}

// messageCreated announces msg of sess, just stored: the session as it
// reads with msg as its last message.
func (a *API) messageCreated(ctx context.Context, sess *identity.Session, msg *identity.Message) {
	s := *sess
	if s.LastMessage == nil || s.LastMessage.ID < msg.ID {
		s.LastMessage = msg
		if msg.CreatedAt.After(s.UpdatedAt) {
			s.UpdatedAt = msg.CreatedAt
		}
	}
	a.events.Enqueue(ctx, sess.OrgID, webhook.MessageCreated, msg.ID, store.SubjectOf(sess), messageEvent{Session: orgSession{&s}, Message: msg})
}

// claimEventRoom is what a sessions.claimed event's queue message holds
// besides its data: the payload's type and timestamp, the job's org, id,
// type and subject, the queue's envelope.
const claimEventRoom = 1000

// sessionsClaimed announces the sessions of one claim in as few events as
// fit a queue message each (queue.MaxBodyBytes): a claim of many sessions,
// or of sessions with long last messages, made one event over the queue's
// 128 KB, which was never sent. Each session is claimed once, so the first
// of an event's sessions names it; they are the user's since the claim, so
// the user's erasure drops it (store.SubjectOf).
func (a *API) sessionsClaimed(ctx context.Context, orgID string, contact, user claimParty, claimed []*identity.Session) {
	base, _ := json.Marshal(claimEvent{Contact: contact, User: user, Sessions: []orgSession{}})
	room := queue.MaxBodyBytes - claimEventRoom - len(base)
	var chunk []orgSession
	size := 0
	send := func() {
		if len(chunk) > 0 {
			a.events.Enqueue(ctx, orgID, webhook.SessionsClaimed, chunk[0].ID, store.SubjectOf(chunk[0].Session),
				claimEvent{Contact: contact, User: user, Sessions: chunk})
		}
		chunk, size = nil, 0
	}
	for _, s := range claimed {
		n := room // a session that does not encode goes alone; Enqueue logs it
		if b, err := json.Marshal(orgSession{s}); err == nil {
			n = len(b) + 1
		}
		if len(chunk) > 0 && size+n > room {
			send()
		}
		chunk, size = append(chunk, orgSession{s}), size+n
	}
	send()
}

var _ queue.Handler = (*webhook.Dispatcher)(nil)
