package identity

// Kind is how sure we are of who a principal is.
type Kind string

// Principal kinds.
const (
	KindContact  Kind = "contact"
	KindVerified Kind = "verified"
)

// Principal is who a widget request acts as: a device of an org (contact
// token) or a verified identity of an org (verified token).
type Principal struct {
	OrgID string
	Kind  Kind
	// Subject is the device id (contact) or the identity key (verified).
	Subject string
	// ContactID is the contact's id, for contact principals.
	ContactID string
	// UserID and Email are the verified user's, as signed into the token.
	UserID string
	Email  string
	// ExternalID, when set, was signed into a verified token and binds every
	// use of it (rule 4).
	ExternalID string
}

// Verified reports whether the principal's identity came from the org's server.
func (p Principal) Verified() bool { return p.Kind == KindVerified }

// Key names the principal within its org. Contact and verified keys live in
// different spaces, so the two never cross (rule 3): a contact claiming a
// verified user's email still has a device key.
func (p Principal) Key() string {
	if p.Kind == KindVerified {
		return "v:" + p.Subject
	}
	return "d:" + p.Subject
}

// Owner returns the owner record of sessions the principal creates.
func (p Principal) Owner(claimedEmail string) Owner {
	if p.Verified() {
		return Owner{Key: p.Key(), Verified: true, UserID: p.UserID, Email: p.Email}
	}
	return Owner{Key: p.Key(), DeviceID: p.Subject, Email: claimedEmail}
}
