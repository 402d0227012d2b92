package identity

import (
	"strings"
	"time"
)

// Kind is how sure we are of who a principal is.
type Kind string

// Principal kinds.
const (
	KindContact  Kind = "contact"
	KindVerified Kind = "verified"
)

// Principal is who a widget request acts as: a contact of an org (contact
// token) or a verified identity of an org (verified token).
type Principal struct {
	OrgID string
	Kind  Kind
	// Subject is the contact's id (contact) or the identity key's written
	// form, Key.String() (verified).
	Subject string
	// UserID and Email are the verified user's, as signed into the token.
	UserID string
	Email  string
	// ExternalID, when set, was signed into a verified token and binds every
	// use of it (rule 4).
	ExternalID string
	// APIKeyID is the api key whose call issued a verified token: the token
	// dies with the key.
	APIKeyID string
	// IssuedAt is when the request's user token was issued (zero when the
	// principal comes from no token of the request).
	IssuedAt time.Time
}

// Verified reports whether the principal's identity came from the org's server.
func (p Principal) Verified() bool { return p.Kind == KindVerified }

// Owner key prefixes. Each kind of principal has its own, so that keys of two
// kinds can never be equal (rule 3): a contact claiming a verified user's
// email still has a contact key, and a user_id that looks like an email is
// not that email. The prefixes of keys stored before identity keys had kinds
// ("v:" and "d:") are none of these.
const (
	contactKeyPrefix = "c:"
)

// Key names the principal within its org: "c:" + contact id, or the identity
// key's written form ("u:" + user_id, "e:" + folded email).
func (p Principal) Key() string {
	if p.Kind == KindVerified {
		return p.Subject
	}
	return contactKeyPrefix + p.Subject
}

// ContactKey is the owner key of a contact's sessions.
func ContactKey(contactID string) string { return contactKeyPrefix + contactID }

// ContactIDOf is the contact id of a contact's owner key (ContactKey's
// inverse); ok is false for a key of another kind.
func ContactIDOf(key string) (contactID string, ok bool) {
	return strings.CutPrefix(key, contactKeyPrefix)
}

// Owner returns the owner record of sessions the principal creates;
// claimedEmail is what a contact typed, for the org server's filters only.
func (p Principal) Owner(claimedEmail string) Owner {
	if p.Verified() {
		return Owner{Key: p.Key(), Verified: true, UserID: p.UserID, Email: p.Email, Since: p.IssuedAt}
	}
	return Owner{Key: p.Key(), ContactID: p.Subject, Email: claimedEmail, Since: p.IssuedAt}
}
