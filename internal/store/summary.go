package store

import (
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonread"
)

// decodeSummary decodes a listing key's metadata, or a session record (a
// summary without "x" and "p"), into m, as json.Unmarshal would and mostly
// without it (see decode.go).
func decodeSummary(b []byte, m *summaryMeta) error {
	return decodeRecord(b, m, summaryField)
}

func summaryField(r *jsonread.Reader, m *summaryMeta, key []byte) bool {
	switch string(key) {
	case "s":
		return jsonread.OptObject(r, &m.Session, sessionField)
	case "o":
		return jsonread.OptObject(r, &m.Owner, ownerField)
	case "x":
		return r.OptString(&m.External)
	case "p":
		return r.Bool(&m.Partial)
	}
	return false
}

func sessionField(r *jsonread.Reader, s *identity.Session, key []byte) bool {
	switch string(key) {
	case "id":
		return r.Str(&s.ID)
	case "created_at":
		return r.Time(&s.CreatedAt)
	case "updated_at":
		return r.Time(&s.UpdatedAt)
	case "verified":
		return r.Bool(&s.Verified)
	case "external_id":
		return r.OptString(&s.ExternalID)
	case "non_verified_custom_data":
		return readCustomData(r, &s.NonVerifiedCustomData)
	case "last_message":
		return jsonread.OptObject(r, &s.LastMessage, messageField)
	case "claimed_at":
		if r.Literal("null") {
			s.ClaimedAt = nil
			return true
		}
		var t time.Time
		ok := r.Time(&t)
		s.ClaimedAt = &t
		return ok
	}
	return false
}

func ownerField(r *jsonread.Reader, o *identity.Owner, key []byte) bool {
	switch string(key) {
	case "key":
		return r.Str(&o.Key)
	case "verified":
		return r.Bool(&o.Verified)
	case "user_id":
		return r.Str(&o.UserID)
	case "email":
		return r.Str(&o.Email)
	case "contact_id":
		return r.Str(&o.ContactID)
	case "uid":
		return r.Str(&o.UID)
	}
	return false
}

func messageField(r *jsonread.Reader, msg *identity.Message, key []byte) bool {
	switch string(key) {
	case "id":
		return r.Str(&msg.ID)
	case "session_id":
		return r.Str(&msg.SessionID)
	case "role":
		var role string
		ok := r.Str(&role)
		msg.Role = identity.Role(role)
		return ok
	case "content":
		return r.Str(&msg.Content)
	case "author_name":
		return r.Str(&msg.AuthorName)
	case "created_at":
		return r.Time(&msg.CreatedAt)
	}
	return false
}
