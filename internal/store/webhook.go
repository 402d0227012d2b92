package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/webhook"
)

// webhookKey is where an org's webhook lives (doc.go).
func webhookKey(orgID string) string { return "webhook/" + orgID }

// Webhook returns the org's webhook, nil when it has none.
func (s *Store) Webhook(ctx context.Context, orgID string) (*webhook.Config, error) {
	if orgID == "" || len(orgID) > 64 {
		return nil, nil
	}
	var c webhook.Config
	found, err := s.getJSON(ctx, webhookKey(orgID), &c)
	if err != nil || !found {
		return nil, err
	}
	return &c, nil
}

// PutWebhook stores the org's webhook, replacing any.
func (s *Store) PutWebhook(ctx context.Context, orgID string, c *webhook.Config) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.put(ctx, webhookKey(orgID), b, kv.PutOptions{})
}

// DeleteWebhook removes the org's webhook; removing none is no error.
func (s *Store) DeleteWebhook(ctx context.Context, orgID string) error {
	if err := s.kv.Delete(ctx, webhookKey(orgID)); err != nil {
		return unavailable(err)
	}
	return nil
}

var _ webhook.Configs = (*Store)(nil)

// WebhookPayloadTTL is how long a stored webhook payload (webhook.Payloads)
// is kept at most unless its event was given up (webhook.DeadLetterTTL): the Dispatcher deletes it after the event's last
// attempt, 6 h 52 min of retries after its first; this bounds one whose
// delete was lost.
const WebhookPayloadTTL = 24 * time.Hour

// webhookPayloadKey is where the payload of event id, too large for a
// queue message, waits for its delivery: among the idempotency answers of
// the session whose data it carries, which the erasure of that session
// (its owner's, whoever that is by then) removes with the rest of the
// session (eraseMessagesAndAnswers); an event of no session's data (none
// is that large) under hook/{org}/.
func webhookPayloadKey(orgID string, about *webhook.Subject, id string) string {
	if about != nil && about.Session != "" && !strings.Contains(about.Session, "/") {
		return idemSessionPrefix(orgID, about.Session) + "hook/" + id
	}
	return "hook/" + orgID + "/" + id
}

// ofOrg reports whether key is a webhook payload's key of org.
func ofOrg(orgID, key string) bool {
	if orgID == "" || strings.Contains(orgID, "/") {
		return false
	}
	if rest, ok := strings.CutPrefix(key, "idem/"+orgID+"/"+string(SessionScope(""))); ok {
		sess, id, ok := strings.Cut(rest, "/hook/")
		return ok && sess != "" && !strings.Contains(sess, "/") && id != ""
	}
	rest, ok := strings.CutPrefix(key, "hook/"+orgID+"/")
	return ok && rest != ""
}

// PutPayload stores the payload of an event too large for a queue message
// (webhook.Payloads).
func (s *Store) PutPayload(ctx context.Context, orgID string, about *webhook.Subject, id string, p []byte, ttl time.Duration) (string, error) {
	key := webhookPayloadKey(orgID, about, id)
	if ttl <= 0 {
		ttl = WebhookPayloadTTL
	}
	return key, s.put(ctx, key, p, kv.PutOptions{TTL: ttl})
}

// Payload reads a stored webhook payload.
func (s *Store) Payload(ctx context.Context, orgID, key string) ([]byte, bool, error) {
	if !ofOrg(orgID, key) {
		return nil, false, nil
	}
	v, found, err := s.kv.Get(ctx, key)
	if err != nil {
		return nil, false, unavailable(err)
	}
	return v, found, nil
}

// DeletePayload removes a stored webhook payload; removing none is no error.
func (s *Store) DeletePayload(ctx context.Context, orgID, key string) error {
	if !ofOrg(orgID, key) {
		return nil
	}
	return s.del(ctx, key)
}

var _ webhook.Payloads = (*Store)(nil)

// SubjectOf is whose data an event about sess carries: its owner, since
// they got it (its claim, else its creation), as Tombstone.Hides judges it.
func SubjectOf(sess *identity.Session) *webhook.Subject {
	return &webhook.Subject{Person: goneHash(sess.Owner.Key), Since: ownedSince(sess), Session: sess.ID, Contact: !sess.Owner.Verified}
}

// Erased reports whether the data an event carries was erased
// (webhook.Erasures), as Tombstone.Hides judges its session: the person
// of sub was erased at or after sub.Since (their tombstone says when; one
// get, and nothing more when they were not), and the session the event
// carries is gone or still theirs then. A session that a claim moved to a
// verified identity before the erasure is that identity's, which the
// contact's erasure leaves: its events are delivered, unless that identity
// was erased since (its tombstone). An event of no session is judged by
// the person alone. An event of a contact's session whose contact was not
// erased is judged by its session once the event is older than KV's lag
// (kvLag): gone (its claimer erased), or claimed by an identity erased
// since, drops it. Younger, nothing more is read: its session may not be
// seen yet where the event is delivered, and this is its first attempt
// (the first retry comes 30 s on, the next minutes after).
func (s *Store) Erased(ctx context.Context, orgID string, sub webhook.Subject) (bool, error) {
	if sub.Person == "" || strings.Contains(sub.Person, "/") {
		return false, nil
	}
	var t Tombstone
	found, err := s.getJSON(ctx, "gone/"+orgID+"/"+sub.Person, &t)
	if err == nil && !found && sub.Contact && sub.Session != "" && s.Now().Sub(sub.Made) >= kvLag {
		return s.claimerErased(ctx, orgID, sub)
	}
	if err != nil || !found || sub.Since.After(t.At) {
		return false, err
	}
	if sub.Session == "" {
		return true, nil
	}
	sess, err := s.Session(ctx, orgID, sub.Session)
	if errors.Is(err, identity.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if goneHash(sess.Owner.Key) == sub.Person {
		return t.Hides(sess), nil
	}
	if sess.ClaimedAt == nil || sess.ClaimedAt.After(t.At) {
		// Moved after the erasure (a claim in flight): the erasure's
		// sweep takes it.
		return true, nil
	}
	now, err := s.TombstoneOf(ctx, orgID, sess.Owner.Key)
	if err != nil {
		return false, err
	}
	return now.Hides(sess), nil
}

// kvLag is how long a KV write may take to be seen everywhere.
const kvLag = time.Minute

// claimerErased reports whether the session of an event of a contact not
// erased was erased since (Erased): older than kvLag, the session is seen
// unless erased, which only its claimer's erasure does; claimed, it is
// judged by its claimer's tombstone.
func (s *Store) claimerErased(ctx context.Context, orgID string, sub webhook.Subject) (bool, error) {
	sess, err := s.Session(ctx, orgID, sub.Session)
	if errors.Is(err, identity.ErrNotFound) {
		return true, nil
	}
	if err != nil || goneHash(sess.Owner.Key) == sub.Person {
		return false, err
	}
	tomb, err := s.TombstoneOf(ctx, orgID, sess.Owner.Key)
	if err != nil {
		return false, err
	}
	return tomb.Hides(sess), nil
}
