// Package webhook tells an org's server of what happens in its chats: events
// (session.created, message.created, sessions.claimed, deletion.completed)
// POSTed to the org's URL as the Standard Webhooks specification says, so
// that its libraries verify them (https://www.standardwebhooks.com).
//
// # Emitting an event
//
// Where an action is stored, the API makes one call:
//
//	a.events.Enqueue(ctx, orgID, webhook.MessageCreated, msg.ID, about, data)
//
// (Enqueuer). Call it once the action is stored, never for a request that
// failed or an idempotent replay of one that was stored. The event's id
// (webhook-id) is derived from the org, the type and the object's id
// (EventID), so that the event of one action always has the same id.
// Enqueue looks up whether the org's webhook wants the type (a cache of the
// org's config: Dispatcher), and if so sends one queue message per event
// (internal/queue, kind "webhook") holding the org, the id, the payload
// {type, timestamp, data}, fixed at that moment, and whose data it carries
// (about, a Subject). It logs rather than fails:
// the action is stored whatever becomes of its event.
//
// A payload is written without HTML escapes (Marshal: "<" is one byte, not
// six). The largest the API's limits allow still does not fit a queue
// message (128 KB): 10,000 control characters are 60,000 bytes in any
// JSON, and message.created carries its message twice (the message and
// the session's last_message), 131 KB in all with 8 KiB of custom data
// (internal/api's TestWebhookLargestEventsAreDeliveredWhole measures it).
// Such a payload waits in KV instead (Payloads: among the session's
// records, which its erasure removes), its queue message naming it; each
// attempt reads it, and it is deleted after the last. An event that fits,
// as nearly all do, costs no KV operation.
//
// # Delivering it
//
// The queue hands the message to Dispatcher.Handle, which reads the org's
// webhook as it is now (its URL, its secrets), signs the payload with every
// secret that still signs (after a rotation, the new and the previous one
// for Config.Overlap), and POSTs it with a 10 s timeout. A 2xx ends it; any
// other answer, or none, is retried by the queue after the next delay of the
// schedule (DefaultRetryDelays: first after 30 s, growing, 6 h 52 min in
// all), and once the schedule is over the message goes to the dead-letter
// queue. Every attempt carries the same webhook-id and a fresh
// webhook-timestamp. An event that carries a person's data (Job.About) is
// dropped instead once that data has been erased (Dispatcher.Erasures: the
// person was erased, and the session the event carries was still theirs,
// not claimed away before): an erasure reaches the events still waiting
// for a receiver. A message is the event of one org and is delivered only
// to that org's URL; each message is retried on its own, so a slow or dead
// receiver of one org delays nobody else's events.
//
// Delivery is at least once: a receiver may see an event twice (an answer
// lost on the way back, a retry racing a slow 2xx) and deduplicates on
// webhook-id.
//
// # Signing
//
// Sign is the specification's scheme written out (HMAC-SHA256 of
// "id.timestamp.payload" with the secret's base64-decoded bytes, "v1,"
// base64 signatures separated by spaces): the specification's Go library
// (github.com/standard-webhooks/standard-webhooks/libraries/go) imports
// net/http, which the worker is built without: signing through it made
// build/app.wasm 1,983,612 B gzipped against 1,584,488 B (+399 KB, +25%;
// Go 1.26, -tags nonethttp, measured 2026-12-02), for twelve lines. The
// tests hold Sign to the specification's published test vector and to that
// library's Verify.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The event types.
const (
	SessionCreated    = "session.created"
	MessageCreated    = "message.created"
	SessionsClaimed   = "sessions.claimed"
	DeletionCompleted = "deletion.completed"
)

// AllEvents is every event type, in the contract's order: a webhook set
// without events gets them all.
var AllEvents = []string{SessionCreated, MessageCreated, SessionsClaimed, DeletionCompleted}

// Known reports whether t is an event type.
func Known(t string) bool {
	for _, e := range AllEvents {
		if e == t {
			return true
		}
	}
	return false
}

// SecretPrefix starts every secret.
const SecretPrefix = "whsec_"

// secretBytes is how many random bytes a new secret has (the contract asks
// for 24 or more).
const secretBytes = 32

// NewSecret returns a fresh secret: "whsec_" and the standard base64 of 32
// random bytes, the form Standard Webhooks libraries take.
func NewSecret() string {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		panic("webhook: crypto/rand failed: " + err.Error())
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrSecret: a secret is not "whsec_" followed by base64.
var ErrSecret = errors.New("webhook: a secret is whsec_ followed by base64")

func secretKey(secret string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(b) == 0 {
		return nil, ErrSecret
	}
	return b, nil
}

// Sign returns the webhook-signature header of payload sent as id at ts:
// one "v1,<base64 HMAC-SHA256>" per secret, separated by spaces.
func Sign(secrets []string, id string, ts time.Time, payload []byte) (string, error) {
	if len(secrets) == 0 {
		return "", ErrSecret
	}
	var sb strings.Builder
	unix := strconv.FormatInt(ts.Unix(), 10)
	for i, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id))
		mac.Write([]byte{'.'})
		mac.Write([]byte(unix))
		mac.Write([]byte{'.'})
		mac.Write(payload)
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString("v1,")
		sb.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return sb.String(), nil
}

// EventID is the webhook-id of the event of type t about the object with id
// objectID in org: "evt_" and 32 hex digits of a SHA-256 of the three, the
// same every time, so that an event sent twice (a request completed by its
// retry) has one id, and ids of different orgs never meet.
func EventID(orgID, t, objectID string) string {
	h := sha256.Sum256([]byte(orgID + "\x00" + t + "\x00" + objectID))
	return "evt_" + hex.EncodeToString(h[:16])
}
