package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/google/uuid"
)

// ContactInput is what the browser sent about a device's person. Nil fields
// keep what was stored.
type ContactInput struct {
	Name       *string
	Email      *string
	CustomData identity.CustomData
}

// The device id mints contact tokens, so the store keeps only its hash
// (deviceHash): a contact's record is under its id, and the device's index
// names the contact.
func deviceHash(deviceID string) string { return hashKey("device", deviceID) }

// DeviceLimitKey names a device in the rate limiter's keys, which must not
// hold the device id either.
func DeviceLimitKey(deviceID string) string   { return deviceHash(deviceID) }
func deviceKey(orgID, deviceID string) string { return "device/" + orgID + "/" + deviceHash(deviceID) }
func contactKey(orgID, contactID string) string {
	return "contactid/" + orgID + "/" + contactID
}

// legacyContactKey is where contacts were kept, under the device id itself,
// before contact tokens named the contact; legacyContactOwner the owner key
// of their sessions.
func legacyContactKey(orgID, deviceID string) string { return "contact/" + orgID + "/" + deviceID }
func legacyContactOwner(deviceID string) string      { return "d:" + deviceID }

// UpsertContact returns the device's contact, created on first use, with the
// newest name, email and custom data applied. A contact stored by a version
// that kept the device id in the clear is moved to the present layout first,
// with its sessions (MoveSessions); a move cut short is resumed by the next
// call.
func (s *Store) UpsertContact(ctx context.Context, orgID, deviceID string, in ContactInput) (*identity.Contact, error) {
	c, found, err := s.contactByDevice(ctx, orgID, deviceID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	changed, moved, hadLegacy := !found, true, false
	if !found {
		legacy, done, err := s.migrateLegacyContact(ctx, orgID, deviceID)
		moved, hadLegacy = done, legacy != nil
		if err != nil {
			return nil, err
		}
		if legacy != nil {
			c = legacy
		} else {
			id, err := s.newContactID(ctx, orgID, deviceID)
			if err != nil {
				return nil, err
			}
			c = &identity.Contact{ID: id, OrgID: orgID, CreatedAt: now}
		}
		c.DeviceHash = deviceHash(deviceID)
	}
	if in.Name != nil && *in.Name != c.Name {
		c.Name, changed = *in.Name, true
	}
	if in.Email != nil && *in.Email != c.Email {
		c.Email, changed = *in.Email, true
	}
	if in.CustomData != nil {
		c.NonVerifiedCustomData, changed = in.CustomData, true
	}
	if changed {
		c.UpdatedAt = now
		if err := s.putJSON(ctx, contactKey(orgID, c.ID), c, kv.PutOptions{}); err != nil {
			return nil, err
		}
	}
	if !found && moved {
		// The index last: until it exists, the next call creates or
		// migrates again (going on with sessions a move left), and finds the
		// same contact id.
		if err := s.put(ctx, deviceKey(orgID, deviceID), []byte(c.ID), kv.PutOptions{}); err != nil {
			return nil, err
		}
		if hadLegacy {
			if err := s.kv.Delete(ctx, legacyContactKey(orgID, deviceID)); err != nil {
				return nil, unavailable(err)
			}
		}
	}
	return c, nil
}

// maxContactGenerations bounds how many erased contacts of one device
// newContactID steps over before it gives a random id.
const maxContactGenerations = 16

// newContactID is the id of a device's new contact in an org: derived from
// both, so that first visits of one device at once (tabs restored together),
// which all find no index, make one contact and not one each, the others'
// tokens naming chats the device would never see again. An erased contact's
// id is never given again (its tombstone refuses its tokens), so the id is
// of the first generation whose contact was not erased. Like h(device), it
// is a hash: it does not give the device id back, and one browser's
// contacts in two orgs are not linked.
func (s *Store) newContactID(ctx context.Context, orgID, deviceID string) (string, error) {
	for gen := range maxContactGenerations {
		id := derivedID("contact", orgID, deviceID, strconv.Itoa(gen))
		tomb, err := s.TombstoneOf(ctx, orgID, identity.ContactKey(id))
		if err != nil {
			return "", err
		}
		if tomb == nil {
			return id, nil
		}
	}
	return uuid.NewString(), nil
}

// newUserID is the id of an identity's new user record in an org: derived
// from both, so that first authentications of one identity at once answer
// the one id its record keeps, and from the deletion that last erased it
// (its tombstone), so that its history after an erasure has another id.
func (s *Store) newUserID(ctx context.Context, orgID string, k identity.Key) (string, error) {
	tomb, err := s.TombstoneOf(ctx, orgID, k.String())
	if err != nil {
		return "", err
	}
	erased := ""
	if tomb != nil {
		erased = tomb.Deletion
	}
	return derivedID("user", orgID, k.String(), erased), nil
}

// derivedID is the record id of a kind derived from parts: a UUID (version
// 8, RFC 9562) of their SHA-256, joined by NUL.
func derivedID(kind string, parts ...string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + strings.Join(parts, "\x00")))
	var u uuid.UUID
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}

// contactByDevice reads the device's index, then the contact it names.
func (s *Store) contactByDevice(ctx context.Context, orgID, deviceID string) (*identity.Contact, bool, error) {
	id, found, err := s.kv.Get(ctx, deviceKey(orgID, deviceID))
	if err != nil {
		return nil, false, unavailable(err)
	}
	if !found {
		return nil, false, nil
	}
	c, err := s.Contact(ctx, orgID, string(id))
	if errors.Is(err, identity.ErrNotFound) {
		return nil, false, nil
	}
	return c, err == nil, err
}

// migrateLegacyContact moves a contact kept under its device id to the
// present layout: its sessions change owner to the contact's key (the record
// itself is written by the caller, and the old one deleted after the index).
// Nil when there is none; done is false when sessions are left to move.
func (s *Store) migrateLegacyContact(ctx context.Context, orgID, deviceID string) (*identity.Contact, bool, error) {
	var c identity.Contact
	found, err := s.getDecoded(ctx, legacyContactKey(orgID, deviceID), func(b []byte) error { return unmarshal(b, &c) })
	if err != nil || !found || c.ID == "" {
		return nil, true, err
	}
	c.OrgID = orgID
	to := identity.Owner{Key: identity.ContactKey(c.ID), ContactID: c.ID, Email: c.Email}
	_, done, err := s.MoveSessions(ctx, orgID, legacyContactOwner(deviceID), MoveAll(to))
	if err != nil {
		return nil, false, err
	}
	return &c, done, nil
}

// Contact returns the contact with id, or identity.ErrNotFound.
func (s *Store) Contact(ctx context.Context, orgID, contactID string) (*identity.Contact, error) {
	if !ValidID(contactID) {
		return nil, identity.ErrNotFound
	}
	var c identity.Contact
	found, err := s.getDecoded(ctx, contactKey(orgID, contactID), func(b []byte) error { return unmarshal(b, &c) })
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, identity.ErrNotFound
	}
	return &c, nil
}

// identityHash names a verified identity in keys. Its NUL-separated input
// cannot be that of a key stored before identity keys had kinds (the bare
// user_id or email, which hold no NUL), so old and new never meet.
func identityHash(k identity.Key) string { return hashKey("identity", k.String()) }

func userKey(orgID string, k identity.Key) string { return "user/" + orgID + "/" + identityHash(k) }

// legacyUserKey is where a user was kept before identity keys had kinds:
// under the user_id, or the email lower-cased by Unicode's rules (which
// merged addresses); legacyUserOwner the owner key of their sessions.
func legacyUserKey(orgID, legacy string) string { return "user/" + orgID + "/" + hashKey(legacy) }
func legacyUserOwner(legacy string) string      { return "v:" + legacy }

// UserInput is what the org's server vouched for. Nil fields keep what was
// stored.
type UserInput struct {
	UserID     string
	Email      string
	Name       *string
	AvatarURL  *string
	Phone      *string
	CustomData identity.CustomData
	ExternalID string
}

// Key is the identity key of the user described.
func (in UserInput) Key() identity.Key { return identity.KeyOf(in.UserID, in.Email) }

// UpsertUser stores the verified user known by in's identity key. A user
// stored before identity keys had kinds is moved to the present layout, with
// their sessions, when it is exactly this identity: the same user_id, or for
// an email identity, no user_id and the same address once ASCII-folded. A
// record that two look-alike identities shared under the old folding
// matches at most one of them, never both.
func (s *Store) UpsertUser(ctx context.Context, orgID string, in UserInput) (*identity.User, error) {
	idKey := in.Key()
	key := userKey(orgID, idKey)
	var u identity.User
	found, err := s.getDecoded(ctx, key, func(b []byte) error { return unmarshal(b, &u) })
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if !found {
		legacy, err := s.migrateLegacyUser(ctx, orgID, in)
		if err != nil {
			return nil, err
		}
		if legacy != nil {
			u = *legacy
		} else {
			id, err := s.newUserID(ctx, orgID, idKey)
			if err != nil {
				return nil, err
			}
			u = identity.User{ID: id, OrgID: orgID, CreatedAt: now}
		}
	}
	u.UserID = in.UserID
	if in.Email != "" {
		u.Email = in.Email
	}
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.AvatarURL != nil {
		u.AvatarURL = *in.AvatarURL
	}
	if in.Phone != nil {
		u.Phone = *in.Phone
	}
	if in.CustomData != nil {
		u.CustomData = in.CustomData
	}
	u.ExternalID = in.ExternalID
	u.UpdatedAt = now
	if err := s.putJSON(ctx, key, u, kv.PutOptions{}); err != nil {
		return nil, err
	}
	return &u, nil
}

// migrateLegacyUser moves the sessions of a user stored before identity keys
// had kinds to in's key, when that record is exactly in's identity, and
// returns the record (nil when there is none or it is another identity's).
// The old record is deleted once every session moved; a move cut short by
// the limit of one call resumes at the next authentication.
func (s *Store) migrateLegacyUser(ctx context.Context, orgID string, in UserInput) (*identity.User, error) {
	legacy := in.UserID
	if legacy == "" {
		legacy = strings.ToLower(in.Email) // the old folding, to find the old key
	}
	var u identity.User
	found, err := s.getDecoded(ctx, legacyUserKey(orgID, legacy), func(b []byte) error { return unmarshal(b, &u) })
	if err != nil || !found {
		return nil, err
	}
	same := u.UserID == in.UserID
	if in.UserID == "" {
		same = u.UserID == "" && identity.FoldEmail(u.Email) == identity.FoldEmail(in.Email)
	}
	if !same {
		return nil, nil
	}
	to := identity.Owner{Key: in.Key().String(), Verified: true, UserID: in.UserID, Email: identity.FoldEmail(in.Email)}
	_, done, err := s.MoveSessions(ctx, orgID, legacyUserOwner(legacy), MoveAll(to))
	if err != nil {
		return nil, err
	}
	if done {
		if err := s.kv.Delete(ctx, legacyUserKey(orgID, legacy)); err != nil {
			return nil, unavailable(err)
		}
	}
	u.OrgID = orgID
	return &u, nil
}

// User returns the verified user known by k, or identity.ErrNotFound.
func (s *Store) User(ctx context.Context, orgID string, k identity.Key) (*identity.User, error) {
	var u identity.User
	found, err := s.getDecoded(ctx, userKey(orgID, k), func(b []byte) error { return unmarshal(b, &u) })
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, identity.ErrNotFound
	}
	return &u, nil
}

func revokedKey(orgID string, k identity.Key) string {
	return "revoked/" + orgID + "/" + identityHash(k)
}

// RevokeUser refuses every verified token of the identity issued before now,
// which it returns. The time has a key of its own, so that an authenticate
// racing with a revoke can never write an older revocation back.
func (s *Store) RevokeUser(ctx context.Context, orgID string, k identity.Key) (time.Time, error) {
	now := s.Now()
	v := []byte(now.Format(time.RFC3339Nano))
	if err := s.kv.Put(ctx, revokedKey(orgID, k), v, kv.PutOptions{}); err != nil {
		return time.Time{}, unavailable(err)
	}
	return now, nil
}

// RevokedBefore returns the identity's revocation time, zero when never revoked.
func (s *Store) RevokedBefore(ctx context.Context, orgID string, k identity.Key) (time.Time, error) {
	b, found, err := s.kv.Get(ctx, revokedKey(orgID, k))
	if err != nil || !found {
		return time.Time{}, orNil(err)
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		// A corrupt revocation must not let tokens through.
		return s.Now(), nil
	}
	return t, nil
}

func orNil(err error) error {
	if err == nil {
		return nil
	}
	return unavailable(err)
}
