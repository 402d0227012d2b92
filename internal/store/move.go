package store

import (
	"context"
	"errors"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// Move says which sessions of an owner MoveSessions moves and what they
// become.
type Move struct {
	// To is the new owner.
	To identity.Owner
	// Select, when not nil, keeps a session where it is unless it says true.
	// A session whose listing key holds only a partial summary is first
	// shown with what that summary holds (its id, org, owner and external
	// id), so that one Select leaves costs no read; Select must not say
	// false for want of other fields, and is asked again with the record
	// when it says true.
	Select func(*identity.Session) bool
	// External, when not nil, is the one external id Select takes (a
	// claim by a token bound to it): a partial summary that holds only a
	// hash of a session's external id (too long for it) then tells Select
	// which, and a session of another is left unread too.
	External *string
	// Change, when not nil, changes a moving session (after its owner).
	Change func(*identity.Session)
}

// MoveAll moves every session to to.
func MoveAll(to identity.Owner) Move { return Move{To: to} }

// MaxMoveOps bounds the KV operations of one MoveSessions call, under the
// Workers limit of 1,000 per invocation with room for the request's own.
const MaxMoveOps = 900

// moveOpsPerSession is what moving one session costs: its record (the org's
// listing key) and the new owner's listing key put, the old owner's listing
// key and the legacy record deleted; plus the gets of Session when its
// listing key's summary is partial (at most maxSessionGets).
const moveOpsPerSession = 4

// MoveSessions gives the sessions of the principal fromKey that m selects to
// m.To: a listing key under the new owner is written, then each session's
// record (its org listing key) is rewritten with the new owner, and the old
// owner's listing key (and any legacy record) is deleted, in that order, so
// that a session is never without an owner's listing (a crash between the
// two leaves it listed under both until the move is run again, which
// finishes it). done is false when the call
// stopped at MaxMoveOps with sessions left: call it again to go on. A
// session already moved is not under fromKey any more, so a second call, or
// two at once, move each session once.
func (s *Store) MoveSessions(ctx context.Context, orgID, fromKey string, m Move) (moved []*identity.Session, done bool, err error) {
	prefix := ownerIndexPrefix(orgID, fromKey)
	ops, cursor := 0, ""
	for {
		if ops+1+moveOpsPerSession > MaxMoveOps {
			return moved, false, nil
		}
		res, err := s.kv.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cursor, Limit: kv.MaxListLimit})
		ops++
		if err != nil {
			return moved, false, unavailable(err)
		}
		for _, key := range res.Keys {
			if ops+moveOpsPerSession+maxSessionGets > MaxMoveOps {
				return moved, false, nil
			}
			id := invert(key.Name[len(prefix):])
			var meta summaryMeta
			_ = decodeSummary(key.Metadata, &meta)
			sess := meta.Session
			if sess == nil || meta.Owner == nil || meta.Partial {
				ext, known := meta.external(m.External)
				if m.Select != nil && meta.Owner != nil && meta.Owner.Key == fromKey && (known || m.External != nil) &&
					(!known || !m.Select(&identity.Session{ID: id, OrgID: orgID, Owner: *meta.Owner, ExternalID: ext})) {
					// Left where it is, decided without a read: sessions
					// it leaves never use up the call's budget before
					// the ones it takes.
					continue
				}
				var gets int
				sess, gets, err = s.session(ctx, orgID, id)
				ops += gets
				if err != nil && !errors.Is(err, identity.ErrNotFound) {
					return moved, false, err
				}
			} else {
				sess.ID, sess.OrgID, sess.Owner = id, orgID, *meta.Owner
			}
			if sess == nil || sess.Owner.Key != fromKey {
				// Gone, or moved by another call after this key was listed:
				// only the stale listing key is left to remove.
				ops++
				if err := s.kv.Delete(ctx, key.Name); err != nil {
					return moved, false, unavailable(err)
				}
				continue
			}
			if m.Select != nil && !m.Select(sess) {
				continue
			}
			sess.Owner = m.To
			if m.Change != nil {
				m.Change(sess)
			}
			ops += moveOpsPerSession
			// The new owner's listing key first: a post that read the
			// session before the move and rewrites it with the old owner
			// finds that key and puts the move back (see keepClaim).
			record, listed, err := sessionValues(sess)
			if err != nil {
				return moved, false, err
			}
			if err := s.putIndex(ctx, ownerListingKey(sess), listed); err != nil {
				return moved, false, err
			}
			if err := s.putRecord(ctx, sess, record, listed); err != nil {
				return moved, false, err
			}
			// The legacy record, if the session was stored before its
			// record moved into the org's listing key: it names the old
			// owner (a device id, before contacts had ids).
			if err := conc.All(
				func() error { return s.del(ctx, key.Name) },
				func() error { return s.del(ctx, legacySessionKey(orgID, sess.ID)) },
			); err != nil {
				return moved, false, err
			}
			moved = append(moved, sess)
		}
		if res.Complete || res.Cursor == "" {
			return moved, true, nil
		}
		cursor = res.Cursor
	}
}
