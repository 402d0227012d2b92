package identity

import (
	"time"
)

// Org is a customer of the vendor: one website or product with its own keys
// and chats.
type Org struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	WidgetToken    string    `json:"widget_token"`
	AllowedOrigins []string  `json:"allowed_origins"`
	CreatedAt      time.Time `json:"created_at"`
}

// Clone returns a copy of o that shares nothing with it.
func (o *Org) Clone() *Org {
	c := *o
	c.AllowedOrigins = append([]string(nil), o.AllowedOrigins...)
	return &c
}

// AllowsOrigin reports whether a browser page at origin may use the org's
// widget token. Only ASCII letters are folded: under Unicode case mapping a
// Kelvin sign (U+212A) would be the "k" of an allowed origin.
func (o *Org) AllowsOrigin(origin string) bool {
	origin = lowerASCII(origin)
	for _, a := range o.AllowedOrigins {
		if a == origin {
			return true
		}
	}
	return false
}

// APIKey is an org's server credential. Only the SHA-256 of its secret is
// stored.
type APIKey struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
}

// Contact is a non-verified person known by a device: anonymous, or with a
// name and email the browser claimed. The device id itself is never kept:
// it is the contact's password (it mints contact tokens), so only its hash
// is, and tokens name the contact by its ID.
type Contact struct {
	ID                    string     `json:"id"`
	OrgID                 string     `json:"org_id"`
	DeviceHash            string     `json:"device_hash,omitempty"`
	Name                  string     `json:"name"`
	Email                 string     `json:"email"`
	NonVerifiedCustomData CustomData `json:"non_verified_custom_data"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
}

// User is a verified person: the org's server vouched for the data.
type User struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	UserID     string     `json:"user_id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	AvatarURL  string     `json:"avatar_url"`
	Phone      string     `json:"phone"`
	CustomData CustomData `json:"custom_data"`
	ExternalID string     `json:"external_id"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Role of a message's author.
type Role string

// Roles.
const (
	RoleUser  Role = "user"
	RoleAgent Role = "agent"
)

// Session is one chat thread.
type Session struct {
	ID                    string     `json:"id"`
	OrgID                 string     `json:"-"`
	Owner                 Owner      `json:"-"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
	Verified              bool       `json:"verified"`
	ExternalID            *string    `json:"external_id"`
	NonVerifiedCustomData CustomData `json:"non_verified_custom_data"`
	LastMessage           *Message   `json:"last_message"`
	// ClaimedAt is when a verified identity claimed the session from the
	// device's contact (POST /v1/widget/claim); nil when never claimed. A
	// claimed session keeps Verified false and its non-verified data; its
	// Owner is the verified identity.
	ClaimedAt *time.Time `json:"claimed_at"`
}

// ExternalIDValue returns the session's external id, "" when none.
func (s *Session) ExternalIDValue() string {
	if s.ExternalID == nil {
		return ""
	}
	return *s.ExternalID
}

// Owner says who a session belongs to: the principal's key, and what the
// org's server may filter on. Sessions stored before contact tokens named
// the contact had a device_id here; it is dropped when they are read.
type Owner struct {
	Key       string `json:"key"`
	Verified  bool   `json:"verified"`
	UserID    string `json:"user_id,omitempty"`
	Email     string `json:"email,omitempty"`
	ContactID string `json:"contact_id,omitempty"`
	// UID is a verified owner's user record id (User.ID), for the org's
	// views; empty on sessions stored before it was kept.
	UID string `json:"uid,omitempty"`
	// Since is when the user token was issued whose request gave this owner
	// the session (created it, or claimed it); zero on sessions stored
	// before it was kept. The owner's erasure at or after it takes the
	// session, however late the request wrote it (store.Tombstone.Hides):
	// every token issued until the erasure is refused from then on, and so
	// is what a request of one of them was still writing.
	Since time.Time `json:"since,omitzero"`
	// From is, on a claimed session, a hash of the key of the contact it was
	// claimed from (store.ClaimedFrom): that contact's retries of the
	// messages it had in flight at the claim still reach the session.
	From string `json:"from,omitempty"`
	// FromContact is, on a session claimed since it was kept, the id of the
	// contact it was claimed from: the owner's retry of a message the
	// contact had in flight at the claim finds the contact's first answer
	// in the contact's idempotency scope. Empty on sessions claimed before.
	FromContact string `json:"from_contact,omitempty"`
}

// Message is one message of a session.
type Message struct {
	ID         string    `json:"id"`
	SessionID  string    `json:"session_id"`
	Role       Role      `json:"role"`
	Content    string    `json:"content"`
	AuthorName string    `json:"author_name"`
	CreatedAt  time.Time `json:"created_at"`
}
