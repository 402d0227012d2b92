package store

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// sessionRecord is how a session is stored: the API's session with what the
// API does not show.
type sessionRecord struct {
	Session *identity.Session `json:"s"`
	Owner   identity.Owner    `json:"o"`
}

// summaryMeta is the metadata of a listing key: the record when it fits,
// else the owner and external id only, marked partial; or the owner and
// the external id's hash (externalHash) when the id does not fit (256
// characters of emoji, or of "<", which JSON escapes to six bytes).
type summaryMeta struct {
	Session      *identity.Session `json:"s,omitempty"`
	Owner        *identity.Owner   `json:"o,omitempty"`
	External     *string           `json:"x,omitempty"`
	ExternalHash string            `json:"xh,omitempty"`
	Partial      bool              `json:"p,omitempty"`
}

// externalHash is what a partial summary holds of an external id too long
// for it: enough to tell a filter or a claim by external id that the
// session is not theirs without reading its record.
func externalHash(ext string) string { return hashKey("external", ext) }

// external is the external id of m's session as far as a filter or a
// claim for want (nil when none asks) can tell: the summary's, want itself
// when the summary holds its hash, and known false when it holds another's.
func (m summaryMeta) external(want *string) (ext *string, known bool) {
	if m.ExternalHash == "" {
		return m.External, true
	}
	if want != nil && externalHash(*want) == m.ExternalHash {
		return want, true
	}
	return nil, false
}

// sessionKey is where a session is stored: its key in the org's listing,
// with the record as its value.
func sessionKey(orgID, id string) string { return orgIndexPrefix(orgID) + invert(id) }

func orgIndexPrefix(orgID string) string { return "sessions/" + orgID + "/" }

// legacySessionKey is where a session's record was kept before it moved into
// the org's listing key (whose value was empty then): read when that key is
// missing or its value empty, deleted with the session.
func legacySessionKey(orgID, id string) string { return "session/" + orgID + "/" + id }

func ownerIndexPrefix(orgID, principalKey string) string {
	return "owned/" + orgID + "/" + hashKey(principalKey) + "/"
}

// NewSession describes a session to create.
type NewSession struct {
	OrgID      string
	Owner      identity.Owner
	ExternalID string
	CustomData identity.CustomData
}

// PrepareSession makes a new session with a fresh id. Nothing is stored yet.
func (s *Store) PrepareSession(in NewSession) *identity.Session {
	now := s.Now()
	sess := &identity.Session{
		ID:                    s.newV7(""),
		OrgID:                 in.OrgID,
		Owner:                 in.Owner,
		CreatedAt:             now,
		UpdatedAt:             now,
		Verified:              in.Owner.Verified,
		NonVerifiedCustomData: in.CustomData,
	}
	if in.ExternalID != "" {
		ext := in.ExternalID
		sess.ExternalID = &ext
	}
	return sess
}

// CreateSession stores a prepared session and its listing keys.
func (s *Store) CreateSession(ctx context.Context, sess *identity.Session) error {
	return s.writeSession(ctx, sess)
}

// writeSession puts the session (its record and the org's listing key, one
// key) and its owner's listing key, at once.
func (s *Store) writeSession(ctx context.Context, sess *identity.Session) error {
	record, meta, err := sessionValues(sess)
	if err != nil {
		return err
	}
	return conc.All(
		func() error { return s.putRecord(ctx, sess, record, meta) },
		func() error { return s.putIndex(ctx, ownerListingKey(sess), meta) },
	)
}

// sessionValues is sess's record and its listing keys' metadata: the record
// itself when it fits (a sessionRecord marshals as a full summaryMeta does),
// else the owner and external id, marked partial.
func sessionValues(sess *identity.Session) (record, meta []byte, err error) {
	record, err = json.Marshal(sessionRecord{Session: sess, Owner: sess.Owner})
	if err != nil {
		return nil, nil, err
	}
	if len(record) <= kv.MaxMetadataBytes {
		return record, record, nil
	}
	meta = metadataFor(summaryMeta{Owner: &sess.Owner, External: sess.ExternalID, Partial: true})
	if meta == nil && sess.ExternalID != nil {
		meta = metadataFor(summaryMeta{Owner: &sess.Owner, ExternalHash: externalHash(*sess.ExternalID), Partial: true})
	}
	if meta == nil {
		meta = []byte(`{"p":true}`)
	}
	return record, meta, nil
}

// ownerListingKey is sess's key in its owner's listing.
func ownerListingKey(sess *identity.Session) string {
	return ownerIndexPrefix(sess.OrgID, sess.Owner.Key) + invert(sess.ID)
}

// putRecord writes the session's key in the org's listing: the record, and
// meta for the listing.
func (s *Store) putRecord(ctx context.Context, sess *identity.Session, record, meta []byte) error {
	return s.put(ctx, sessionKey(sess.OrgID, sess.ID), record, kv.PutOptions{Metadata: meta})
}

func (s *Store) putIndex(ctx context.Context, key string, meta []byte) error {
	if err := s.kv.Put(ctx, key, nil, kv.PutOptions{Metadata: meta}); err != nil {
		return unavailable(err)
	}
	return nil
}

// Session returns the org's session with id, or identity.ErrNotFound. The
// caller applies the access rules.
func (s *Store) Session(ctx context.Context, orgID, id string) (*identity.Session, error) {
	sess, _, err := s.session(ctx, orgID, id)
	return sess, err
}

// maxSessionGets is the most gets session makes: the session's key, and its
// legacy record when that key's value is empty.
const maxSessionGets = 2

// session is Session, with the number of KV gets it made.
func (s *Store) session(ctx context.Context, orgID, id string) (*identity.Session, int, error) {
	if !ValidID(id) {
		return nil, 0, identity.ErrNotFound
	}
	// A sessionRecord has a summary's shape, without "x" and "p".
	var rec summaryMeta
	decode := func(b []byte) error { return decodeSummary(b, &rec) }
	key, gets := sessionKey(orgID, id), 1
	b, found, err := s.kv.Get(ctx, key)
	if err != nil {
		return nil, gets, unavailable(err)
	}
	if found && len(b) > 0 {
		err = decodeAt(key, b, decode)
	} else {
		gets++
		found, err = s.getDecoded(ctx, legacySessionKey(orgID, id), decode)
	}
	if err != nil {
		return nil, gets, err
	}
	if !found || rec.Session == nil {
		return nil, gets, identity.ErrNotFound
	}
	rec.Session.OrgID = orgID
	if rec.Owner != nil {
		rec.Session.Owner = *rec.Owner
	}
	return rec.Session, gets, nil
}

// ValidID reports whether id can be an id the store made (a session, a
// message, a contact): a lower-case hyphenated UUID.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := id[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
		} else if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// SessionFilter selects sessions of a listing.
type SessionFilter struct {
	// ExternalID, when not nil, keeps sessions with that external id.
	ExternalID *string
	UserID     string
	Email      string
	Verified   *bool
	// Hide, when not nil, leaves out the sessions it says are erased.
	Hide func(*identity.Session) bool
}

func (f SessionFilter) match(sess *identity.Session, owner identity.Owner) bool {
	if f.ExternalID != nil && sess.ExternalIDValue() != *f.ExternalID {
		return false
	}
	if f.UserID != "" && (!owner.Verified || owner.UserID != f.UserID) {
		return false
	}
	if f.Email != "" && !equalFoldASCII(owner.Email, f.Email) {
		return false
	}
	// verified is the session's own (a claimed session keeps false while a
	// verified identity owns it).
	if f.Verified != nil && sess.Verified != *f.Verified {
		return false
	}
	return true
}

// matchMeta decides on a partial summary when it can; ok is false when the
// record must be read.
func (f SessionFilter) matchMeta(m summaryMeta) (match, ok bool) {
	if m.Owner == nil {
		return false, false
	}
	ext, known := m.external(f.ExternalID)
	if f.ExternalID != nil && (!known || ext == nil && *f.ExternalID != "") {
		return false, true
	}
	if f.Verified != nil && m.Owner.Verified {
		// Created verified, or claimed: only the record tells.
		return false, false
	}
	probe := &identity.Session{ExternalID: ext, Verified: m.Owner.Verified}
	return f.match(probe, *m.Owner), true
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ListOwnerSessions lists a principal's sessions, newest first.
func (s *Store) ListOwnerSessions(ctx context.Context, orgID, principalKey string, f SessionFilter, cursor string, limit int) ([]*identity.Session, string, error) {
	return s.listSessions(ctx, orgID, ownerIndexPrefix(orgID, principalKey), f, cursor, limit)
}

// ListOrgSessions lists all the org's sessions, newest first.
func (s *Store) ListOrgSessions(ctx context.Context, orgID string, f SessionFilter, cursor string, limit int) ([]*identity.Session, string, error) {
	return s.listSessions(ctx, orgID, orgIndexPrefix(orgID), f, cursor, limit)
}

func (s *Store) listSessions(ctx context.Context, orgID, prefix string, f SessionFilter, cursor string, limit int) ([]*identity.Session, string, error) {
	return listPage(ctx, s.kv, prefix, cursor, limit, maxSessionGets, func(k kv.ListKey) (*identity.Session, bool, int, error) {
		id := invert(k.Name[len(prefix):])
		var m summaryMeta
		_ = decodeSummary(k.Metadata, &m)
		if m.Session != nil && m.Owner != nil && !m.Partial {
			m.Session.ID, m.Session.OrgID, m.Session.Owner = id, orgID, *m.Owner
			return m.Session, f.match(m.Session, *m.Owner) && !f.hides(m.Session), 0, nil
		}
		if match, ok := f.matchMeta(m); ok && !match {
			return nil, false, 0, nil
		}
		sess, gets, err := s.session(ctx, orgID, id)
		if errors.Is(err, identity.ErrNotFound) {
			return nil, false, gets, nil
		}
		if err != nil {
			return nil, false, gets, err
		}
		return sess, f.match(sess, sess.Owner) && !f.hides(sess), gets, nil
	})
}

func (f SessionFilter) hides(sess *identity.Session) bool { return f.Hide != nil && f.Hide(sess) }
