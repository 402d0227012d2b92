package store

import (
	"context"
	"encoding/json"
	"strings"

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

// SubjectOf is whose data an event about sess carries: its owner, since
// they got it (its claim, else its creation), as Tombstone.Hides judges it.
func SubjectOf(sess *identity.Session) *webhook.Subject {
	return &webhook.Subject{Person: goneHash(sess.Owner.Key), Since: ownedSince(sess)}
}

// Erased reports whether the person of sub was erased at or after
// sub.Since (webhook.Erasures): their tombstone says when.
func (s *Store) Erased(ctx context.Context, orgID string, sub webhook.Subject) (bool, error) {
	if sub.Person == "" || strings.Contains(sub.Person, "/") {
		return false, nil
	}
	var t Tombstone
	found, err := s.getJSON(ctx, "gone/"+orgID+"/"+sub.Person, &t)
	if err != nil || !found {
		return false, err
	}
	return !sub.Since.After(t.At), nil
}
