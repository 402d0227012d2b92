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

// IdemScope is what an idempotency record belongs to, so that erasing a
// person finds theirs with a list call: the session a message was posted to
// (the org server's posts; and, written until the answers of a claimed
// session's contact were looked for in its scope, a copy of the widget's
// posts to a session that was a contact's), or the widget's principal that
// posted (its sessions and messages: a claim's owner and contact look in
// each other's, see Owner.FromContact).
type IdemScope string

// SessionScope is the scope of the answers of message posts to a session.
func SessionScope(sessionID string) IdemScope { return IdemScope("s/" + sessionID) }

// PrincipalScope is the scope of a principal's answers of session creation
// and of its messages.
func PrincipalScope(principalKey string) IdemScope { return IdemScope("p/" + hashKey(principalKey)) }

func idemSessionPrefix(orgID, sessionID string) string {
	return "idem/" + orgID + "/" + string(SessionScope(sessionID)) + "/"
}

func idemPrincipalPrefixHashed(orgID, ownerHash string) string {
	return "idem/" + orgID + "/p/" + ownerHash + "/"
}

func idemKey(orgID string, scope IdemScope, caller, key string) string {
	return "idem/" + orgID + "/" + string(scope) + "/" + hashKey(caller, key)
}

// Replay returns the replay saved for caller's key in scope, nil when none.
func (s *Store) Replay(ctx context.Context, orgID string, scope IdemScope, caller, key string) (*Replay, error) {
	var r Replay
	found, err := s.getJSON(ctx, idemKey(orgID, scope, caller, key), &r)
	if err != nil || !found {
		return nil, err
	}
	if r.Session != nil && r.Owner != nil {
		r.Session.OrgID, r.Session.Owner = orgID, *r.Owner
	}
	return &r, nil
}

// replayMeta is an idempotency record's metadata: the session its answer
// is about, so that erasing a claimed session finds its answers in the
// scope of the contact it came from with a list call (eraseClaimedAnswers).
type replayMeta struct {
	Session string `json:"s"`
}

// SaveReplay saves r for caller's key. It is written before what it creates,
// so that a retry after a failure in between completes the same creation.
func (s *Store) SaveReplay(ctx context.Context, orgID string, scope IdemScope, caller, key string, r *Replay) error {
	opts := kv.PutOptions{TTL: IdempotencyTTL}
	var about string
	if r.Session != nil {
		r.Owner = &r.Session.Owner
		about = r.Session.ID
	} else if r.Message != nil {
		about = r.Message.SessionID
	}
	if about != "" {
		meta, err := json.Marshal(replayMeta{Session: about})
		if err != nil {
			return err
		}
		opts.Metadata = meta
	}
	return s.putJSON(ctx, idemKey(orgID, scope, caller, key), r, opts)
}

// claimedFromPrefix is where a verified identity's scope points at the
// scopes of the contacts it claimed sessions from: one key per contact,
// idem/{org}/p/{h(claimer)}/claimed/{h(contact)}, kept as long as the
// contact's answers about those sessions can be.
func claimedFromPrefix(orgID, claimerKey string) string {
	return "idem/" + orgID + "/" + string(PrincipalScope(claimerKey)) + "/claimed/"
}

const claimedFromTTL = IdempotencyTTL + time.Hour

// claimedFromMeta is a claimedFrom pointer's metadata: when the claimer's
// token was issued (its Owner.Since), so that the erasure of an identity
// keeps the pointer of a claim made by its history after the erasure.
type claimedFromMeta struct {
	Since time.Time `json:"since"`
}
