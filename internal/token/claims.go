package token

import (
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatwidget/identity/internal/identity"
)

// Kind says which of the two user tokens a token is.
type Kind string

// The two kinds of user token.
const (
	// KindContact: a non-verified visitor, from POST /v1/widget/contacts.
	// sub and cid are the contact id. The device id, which mints contact
	// tokens, is never in a token.
	KindContact Kind = "contact"
	// KindVerified: an identity vouched for by the org's server, from
	// POST /v1/users/authenticate. sub is the identity key's written form
	// (identity.Key.String of uid and email), akid the api key that asked.
	KindVerified Kind = "verified"
)

// Valid reports whether k is one of the two kinds.
func (k Kind) Valid() bool { return k == KindContact || k == KindVerified }

// Claims of both token kinds.
//
// The registered claims: iss (the worker), sub (the contact id of a contact
// token, the identity key of a verified token), aud (the single org id), exp,
// iat, nbf, jti. [Service.Issue] fills iss, iat, nbf, exp and jti itself.
//
// A contact token carries cid (equal to sub) and none of external_id, uid,
// email, akid; a verified token carries akid, none of cid, and a sub that is
// the identity key of its uid and email. Issue refuses and Verify rejects any
// other mix, so that a contact can never present data of a verified user and
// a token can never name an identity its signed fields do not. Tokens issued
// before these rules (a device id in sub, a bare identity key) are refused.
type Claims struct {
	jwt.RegisteredClaims // iss, sub, aud (single org id), exp, iat, nbf, jti

	Kind       Kind   `json:"kind"`
	ExternalID string `json:"external_id,omitempty"` // verified only, signed workspace
	ContactID  string `json:"cid,omitempty"`         // contact tokens: the contact id
	UserID     string `json:"uid,omitempty"`         // verified: user_id when given
	Email      string `json:"email,omitempty"`       // verified: email (ASCII letters lower-cased) when given
	APIKeyID   string `json:"akid,omitempty"`        // verified: the api key whose call issued it

	// IssuedAtMilli is the issue time in Unix milliseconds. iat has whole
	// seconds only, too coarse for revocation ("every token issued before
	// revoked_before"); use IssuedAtTime.
	IssuedAtMilli int64 `json:"iat_ms,omitempty"`
}

// IssuedAtTime returns the issue time with millisecond precision: iat_ms when
// present, else iat, else the zero time. Verify guarantees that iat_ms lies
// within the second of iat.
func (c *Claims) IssuedAtTime() time.Time {
	switch {
	case c == nil:
		return time.Time{}
	case c.IssuedAtMilli != 0:
		return time.UnixMilli(c.IssuedAtMilli).UTC()
	case c.IssuedAt != nil:
		return c.IssuedAt.UTC()
	default:
		return time.Time{}
	}
}

// shapeProblem returns the reason the claims cannot be those of a user token,
// or "" when their shape is right. It does not look at times or audience.
func (c *Claims) shapeProblem() string {
	switch {
	case c.Subject == "":
		return reasonNoSub
	case !c.Kind.Valid():
		return reasonKind
	case c.Kind == KindContact && c.ContactID == "":
		return reasonNoCID
	case c.Kind == KindContact && (c.ExternalID != "" || c.UserID != "" || c.Email != "" || c.APIKeyID != ""),
		c.Kind == KindVerified && c.ContactID != "":
		return reasonCrossKind
	case c.Kind == KindContact && c.Subject != c.ContactID:
		return reasonSubCID
	case c.Kind == KindVerified && c.APIKeyID == "":
		return reasonNoAPIKey
	case c.Kind == KindVerified && c.Subject != identity.KeyOf(c.UserID, c.Email).String():
		return reasonSubKey
	}
	return ""
}
