package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// IdempotencyTTL is how long a retry with the same Idempotency-Key returns the
// first result.
const IdempotencyTTL = 24 * time.Hour

// Replay is the first answer to a request made with an Idempotency-Key, with
// what it created, so that a retry can complete a request that died halfway.
type Replay struct {
	// Fingerprint identifies the request (route and body): the same key with
	// another request is refused.
	Fingerprint string            `json:"f"`
	Status      int               `json:"st"`
	Body        json.RawMessage   `json:"b"`
	Session     *identity.Session `json:"s,omitempty"`
	Owner       *identity.Owner   `json:"o,omitempty"`
	Message     *identity.Message `json:"m,omitempty"`
}

func idemKey(orgID, caller, key string) string {
	return "idem/" + orgID + "/" + hashKey(caller, key)
}

// Replay returns the replay saved for caller's key, nil when none.
func (s *Store) Replay(ctx context.Context, orgID, caller, key string) (*Replay, error) {
	var r Replay
	found, err := s.getJSON(ctx, idemKey(orgID, caller, key), &r)
	if err != nil || !found {
		return nil, err
	}
	if r.Session != nil && r.Owner != nil {
		r.Session.OrgID, r.Session.Owner = orgID, *r.Owner
	}
	return &r, nil
}

// SaveReplay saves r for caller's key. It is written before what it creates,
// so that a retry after a failure in between completes the same creation.
func (s *Store) SaveReplay(ctx context.Context, orgID, caller, key string, r *Replay) error {
	if r.Session != nil {
		r.Owner = &r.Session.Owner
	}
	return s.putJSON(ctx, idemKey(orgID, caller, key), r, kv.PutOptions{TTL: IdempotencyTTL})
}
