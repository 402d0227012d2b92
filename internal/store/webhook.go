package store

import (
	"context"
	"encoding/json"

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
