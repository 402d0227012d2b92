package store

import (
	"encoding/json"

	"github.com/chatwidget/identity/internal/identity"
)

// decodeSummary decodes a listing key's metadata, or a session record (a
// summary without "x" and "p"), into m, as json.Unmarshal would and mostly
// without it (see decode.go).
func decodeSummary(b []byte, m *summaryMeta) error {
	return decodeRecord(b, m, summaryField)
}

func summaryField(r *reader, m *summaryMeta, key []byte) bool {
	switch string(key) {
	case "s":
		if r.literal("null") {
			m.Session = nil
			return true
		}
		m.Session = new(identity.Session)
		return readObject(r, m.Session, sessionField)
	case "o":
		if r.literal("null") {
			m.Owner = nil
			return true
		}
		m.Owner = new(identity.Owner)
		return readObject(r, m.Owner, ownerField)
	case "x":
		return r.optString(&m.External)
	case "p":
		return r.boolean(&m.Partial)
	}
	return false
}

func sessionField(r *reader, s *identity.Session, key []byte) bool {
	switch string(key) {
	case "id":
		return r.str(&s.ID)
	case "created_at":
		return r.time(&s.CreatedAt)
	case "updated_at":
		return r.time(&s.UpdatedAt)
	case "verified":
		return r.boolean(&s.Verified)
	case "external_id":
		return r.optString(&s.ExternalID)
	case "non_verified_custom_data":
		if r.literal("null") {
			s.NonVerifiedCustomData = nil
			return true
		}
		raw, ok := r.skip()
		return ok && raw[0] == '{' && json.Unmarshal(raw, &s.NonVerifiedCustomData) == nil
	case "last_message":
		if r.literal("null") {
			s.LastMessage = nil
			return true
		}
		s.LastMessage = new(identity.Message)
		return readObject(r, s.LastMessage, messageField)
	}
	return false
}

func ownerField(r *reader, o *identity.Owner, key []byte) bool {
	switch string(key) {
	case "key":
		return r.str(&o.Key)
	case "verified":
		return r.boolean(&o.Verified)
	case "user_id":
		return r.str(&o.UserID)
	case "email":
		return r.str(&o.Email)
	case "device_id":
		return r.str(&o.DeviceID)
	}
	return false
}

func messageField(r *reader, msg *identity.Message, key []byte) bool {
	switch string(key) {
	case "id":
		return r.str(&msg.ID)
	case "session_id":
		return r.str(&msg.SessionID)
	case "role":
		var role string
		ok := r.str(&role)
		msg.Role = identity.Role(role)
		return ok
	case "content":
		return r.str(&msg.Content)
	case "author_name":
		return r.str(&msg.AuthorName)
	case "created_at":
		return r.time(&msg.CreatedAt)
	}
	return false
}
