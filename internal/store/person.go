package store

import (
	"context"
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

// UpsertContact returns the device's contact, created on first use, with the
// newest name, email and custom data applied.
func (s *Store) UpsertContact(ctx context.Context, orgID, deviceID string, in ContactInput) (*identity.Contact, error) {
	key := "contact/" + orgID + "/" + deviceID
	var c identity.Contact
	found, err := s.getJSON(ctx, key, &c)
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
	found, err := s.getJSON(ctx, "contact/"+orgID+"/"+deviceID, &c)
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
	found, err := s.getJSON(ctx, key, &u)
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
	found, err := s.getJSON(ctx, userKey(orgID, identityKey), &u)
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
