package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonread"
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

// UpsertContact returns the device's contact, created on first use, with the
// newest name, email and custom data applied.
func (s *Store) UpsertContact(ctx context.Context, orgID, deviceID string, in ContactInput) (*identity.Contact, error) {
	key := "contact/" + orgID + "/" + deviceID
	var c identity.Contact
	found, err := s.getDecoded(ctx, key, func(b []byte) error { return decodeRecord(b, &c, contactField) })
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if !found {
		c = identity.Contact{ID: uuid.NewString(), OrgID: orgID, DeviceID: deviceID, CreatedAt: now}
	}
	changed := !found
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
		if err := s.putJSON(ctx, key, c, kv.PutOptions{}); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// Contact returns the device's contact, or identity.ErrNotFound.
func (s *Store) Contact(ctx context.Context, orgID, deviceID string) (*identity.Contact, error) {
	var c identity.Contact
	found, err := s.getDecoded(ctx, "contact/"+orgID+"/"+deviceID, func(b []byte) error { return decodeRecord(b, &c, contactField) })
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, identity.ErrNotFound
	}
	return &c, nil
}

func userKey(orgID, identityKey string) string {
	return "user/" + orgID + "/" + hashKey(identityKey)
}

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

// UpsertUser stores the verified user known by in's identity key.
func (s *Store) UpsertUser(ctx context.Context, orgID string, in UserInput) (*identity.User, error) {
	idKey := identity.IdentityKey(in.UserID, in.Email)
	key := userKey(orgID, idKey)
	var u identity.User
	found, err := s.getDecoded(ctx, key, func(b []byte) error { return decodeRecord(b, &u, userField) })
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if !found {
		u = identity.User{ID: uuid.NewString(), OrgID: orgID, CreatedAt: now}
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

// User returns the verified user known by identityKey, or identity.ErrNotFound.
func (s *Store) User(ctx context.Context, orgID, identityKey string) (*identity.User, error) {
	var u identity.User
	found, err := s.getDecoded(ctx, userKey(orgID, identityKey), func(b []byte) error { return decodeRecord(b, &u, userField) })
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, identity.ErrNotFound
	}
	return &u, nil
}

// RevokeUser refuses every verified token of the identity issued before now,
// which it returns. The time has a key of its own, so that an authenticate
// racing with a revoke can never write an older revocation back.
func (s *Store) RevokeUser(ctx context.Context, orgID, identityKey string) (time.Time, error) {
	now := s.Now()
	v := []byte(now.Format(time.RFC3339Nano))
	if err := s.kv.Put(ctx, "revoked/"+orgID+"/"+hashKey(identityKey), v, kv.PutOptions{}); err != nil {
		return time.Time{}, unavailable(err)
	}
	return now, nil
}

// RevokedBefore returns the identity's revocation time, zero when never revoked.
func (s *Store) RevokedBefore(ctx context.Context, orgID, identityKey string) (time.Time, error) {
	b, found, err := s.kv.Get(ctx, "revoked/"+orgID+"/"+hashKey(identityKey))
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

// contactField and userField read a Contact's and a User's keys for
// decodeRecord: the contact and user routes read their record before they
// write it.
func contactField(r *jsonread.Reader, c *identity.Contact, key []byte) bool {
	switch string(key) {
	case "id":
		return r.Str(&c.ID)
	case "org_id":
		return r.Str(&c.OrgID)
	case "device_id":
		return r.Str(&c.DeviceID)
	case "name":
		return r.Str(&c.Name)
	case "email":
		return r.Str(&c.Email)
	case "non_verified_custom_data":
		return readCustomData(r, &c.NonVerifiedCustomData)
	case "created_at":
		return r.Time(&c.CreatedAt)
	case "updated_at":
		return r.Time(&c.UpdatedAt)
	}
	return false
}

func userField(r *jsonread.Reader, u *identity.User, key []byte) bool {
	switch string(key) {
	case "id":
		return r.Str(&u.ID)
	case "org_id":
		return r.Str(&u.OrgID)
	case "user_id":
		return r.Str(&u.UserID)
	case "email":
		return r.Str(&u.Email)
	case "name":
		return r.Str(&u.Name)
	case "avatar_url":
		return r.Str(&u.AvatarURL)
	case "phone":
		return r.Str(&u.Phone)
	case "custom_data":
		return readCustomData(r, &u.CustomData)
	case "external_id":
		return r.Str(&u.ExternalID)
	case "created_at":
		return r.Time(&u.CreatedAt)
	case "updated_at":
		return r.Time(&u.UpdatedAt)
	}
	return false
}

// readCustomData reads null (nil) or an object, the latter with
// encoding/json: custom data is free-form.
func readCustomData(r *jsonread.Reader, dst *identity.CustomData) bool {
	if r.Literal("null") {
		*dst = nil
		return true
	}
	raw, ok := r.Skip()
	return ok && raw[0] == '{' && json.Unmarshal(raw, dst) == nil
}
