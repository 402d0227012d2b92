package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// A claim moves a contact's sessions to a verified identity (POST
// /v1/widget/claim). It first writes a claim marker under the contact,
// claims/{org}/{h(contact key)}/{h(claimer key)}, whose metadata is the
// claimer's owner record and the claim's time; then MoveSessions moves the
// sessions, each one's new listing key before its record.
//
// A message posted on a session while it is claimed read the session with
// its old owner, and rewrites the record and the old owner's listing key
// after the claim moved them. So after a post rewrites a contact's session,
// it lists the contact's claim markers (one list call, nearly always empty)
// and, for each, looks for the session in that claimer's listing: if it is
// there the claim had moved it, and the post moves it back to the claimer.
// Either the post's list comes after the claim's marker (and finds it), or
// the claim's writes all come after the post's (and win): no claim is undone.

// claimMarkerTTL is how long a claim marker is kept: far longer than a
// request that read a session before the claim can still be writing it.
const claimMarkerTTL = 24 * time.Hour

func claimMarkerPrefix(orgID, contactKey string) string {
	return claimMarkerPrefixHashed(orgID, hashKey(contactKey))
}

// claimMarkerPrefixHashed is claimMarkerPrefix of a contact key already
// hashed (a Deletion's Owner).
func claimMarkerPrefixHashed(orgID, hashedContactKey string) string {
	return "claims/" + orgID + "/" + hashedContactKey + "/"
}

// claimMarker is a claim marker's metadata.
type claimMarker struct {
	Owner identity.Owner `json:"o"`
	At    time.Time      `json:"t"`
}

// ClaimOps is what a claim costs besides MoveSessions: its marker, and the
// claimer's pointer at the contact's idempotency answers.
const ClaimOps = 2

// ClaimSessions gives the sessions of the contact contactKey that sel
// selects (all when nil) to the verified owner to, each with ClaimedAt set
// to the same time. external, when not "", is the one external id sel
// takes (a claimer bound to it): the sessions of another are then passed
// unread even where their summaries hold only a hash of it (Move.External).
// It returns them newest first; done is false when it stopped at
// MaxMoveOps with sessions left (claim again for the rest).
func (s *Store) ClaimSessions(ctx context.Context, orgID, contactKey string, to identity.Owner, external string, sel func(*identity.Session) bool) (claimed []*identity.Session, done bool, err error) {
	at := s.Now()
	to.From = hashKey(contactKey)
	// And the contact's id, for the claimer's retries of what the contact
	// had in flight: its answers stay in the contact's scope.
	to.FromContact, _ = identity.ContactIDOf(contactKey)
	b, err := json.Marshal(claimMarker{Owner: to, At: at})
	if err != nil {
		return nil, false, err
	}
	// The marker, and a pointer from the claimer's idempotency scope to the
	// contact's: the contact's answers about the sessions (their creation,
	// its messages) stay in the contact's scope, and erasing the claimer
	// finds them through it (eraseClaimedAnswers).
	if err := conc.All(
		func() error {
			return s.kv.Put(ctx, claimMarkerPrefix(orgID, contactKey)+hashKey("claimer", to.Key), nil, kv.PutOptions{Metadata: b, TTL: claimMarkerTTL})
		},
		func() error {
			meta, err := json.Marshal(claimedFromMeta{Since: to.Since})
			if err != nil {
				return err
			}
			return s.kv.Put(ctx, claimedFromPrefix(orgID, to.Key)+hashKey(contactKey), nil, kv.PutOptions{Metadata: meta, TTL: claimedFromTTL})
		},
	); err != nil {
		return nil, false, unavailable(err)
	}
	m := Move{
		To:     to,
		Select: sel,
		Change: func(sess *identity.Session) { sess.ClaimedAt = &at },
	}
	if external != "" {
		m.External = &external
	}
	return s.MoveSessions(ctx, orgID, contactKey, m)
}

// ClaimedFrom reports whether sess was claimed from the contact contactKey
// (a claim of it, or a post that put the claim back, names it in From).
func ClaimedFrom(sess *identity.Session, contactKey string) bool {
	return sess.ClaimedAt != nil && sess.Owner.Verified && sess.Owner.From != "" && sess.Owner.From == hashKey(contactKey)
}

// decodeClaimMarker reads a claim marker's metadata; ok is false unless it
// names a verified claimer.
func decodeClaimMarker(k kv.ListKey) (mk claimMarker, ok bool) {
	var m struct {
		O *identity.Owner `json:"o"`
		T time.Time       `json:"t"`
	}
	if json.Unmarshal(k.Metadata, &m) != nil || m.O == nil || !m.O.Verified {
		return claimMarker{}, false
	}
	return claimMarker{Owner: *m.O, At: m.T}, true
}

// claimedSince reports whether the contact contactKey had sessions claimed
// at or after t (a claim marker says so for claimMarkerTTL).
func (s *Store) claimedSince(ctx context.Context, orgID, contactKey string, t time.Time) (bool, error) {
	res, err := s.kv.List(ctx, kv.ListOptions{Prefix: claimMarkerPrefix(orgID, contactKey)})
	if err != nil {
		return false, unavailable(err)
	}
	for _, k := range res.Keys {
		var mk struct {
			T time.Time `json:"t"`
		}
		if json.Unmarshal(k.Metadata, &mk) != nil || !mk.T.Before(t) {
			return true, nil
		}
	}
	return false, nil
}

// keepClaim runs after sess, owned by a contact, was rewritten from a read
// that may predate a claim: if a claim of that contact had moved sess, it
// moves sess back to the claimer.
func (s *Store) keepClaim(ctx context.Context, sess *identity.Session) error {
	if sess.Owner.Verified {
		return nil
	}
	res, err := s.kv.List(ctx, kv.ListOptions{Prefix: claimMarkerPrefix(sess.OrgID, sess.Owner.Key)})
	if err != nil {
		return unavailable(err)
	}
	if len(res.Keys) == 0 {
		return nil
	}
	markers := make([]claimMarker, 0, len(res.Keys))
	for _, k := range res.Keys {
		if mk, ok := decodeClaimMarker(k); ok {
			markers = append(markers, mk)
		}
	}
	found := make([]bool, len(markers))
	fns := make([]func() error, len(markers))
	for i, m := range markers {
		fns[i] = func() error {
			_, ok, err := s.kv.Get(ctx, ownerIndexPrefix(sess.OrgID, m.Owner.Key)+invert(sess.ID))
			found[i] = ok
			if err != nil {
				return unavailable(err)
			}
			return nil
		}
	}
	if err := conc.All(fns...); err != nil {
		return err
	}
	for i, m := range markers {
		if !found[i] {
			continue
		}
		old := ownerListingKey(sess)
		sess.Owner = m.Owner
		at := m.At
		sess.ClaimedAt = &at
		if err := s.writeSession(ctx, sess); err != nil {
			return err
		}
		if err := s.kv.Delete(ctx, old); err != nil {
			return unavailable(err)
		}
		return nil
	}
	return nil
}
