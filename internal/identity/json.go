package identity

import "github.com/chatwidget/identity/internal/jsonwrite"

// The records every request writes, appended as json.Marshal writes them but
// without its reflection (see internal/jsonwrite). An error is json.Marshal's
// own refusal (a time out of JSON's range, custom data it cannot encode):
// callers fall back to json.Marshal, which returns it.

// AppendJSON appends s as json.Marshal writes it.
func (s *Session) AppendJSON(dst []byte) ([]byte, error) {
	var err error
	dst = append(dst, `{"id":`...)
	dst = jsonwrite.String(dst, s.ID)
	dst = append(dst, `,"created_at":`...)
	if dst, err = jsonwrite.Time(dst, s.CreatedAt); err != nil {
		return dst, err
	}
	dst = append(dst, `,"updated_at":`...)
	if dst, err = jsonwrite.Time(dst, s.UpdatedAt); err != nil {
		return dst, err
	}
	dst = append(dst, `,"verified":`...)
	dst = jsonwrite.Bool(dst, s.Verified)
	dst = append(dst, `,"external_id":`...)
	dst = jsonwrite.OptString(dst, s.ExternalID)
	dst = append(dst, `,"non_verified_custom_data":`...)
	if s.NonVerifiedCustomData == nil {
		dst = append(dst, "null"...)
	} else if dst, err = jsonwrite.Value(dst, s.NonVerifiedCustomData); err != nil {
		return dst, err
	}
	dst = append(dst, `,"last_message":`...)
	if dst, err = jsonwrite.Ptr(dst, s.LastMessage); err != nil {
		return dst, err
	}
	dst = append(dst, `,"claimed_at":`...)
	if s.ClaimedAt == nil {
		dst = append(dst, "null"...)
	} else if dst, err = jsonwrite.Time(dst, *s.ClaimedAt); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// AppendJSON appends m as json.Marshal writes it.
func (m *Message) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"id":`...)
	dst = jsonwrite.String(dst, m.ID)
	dst = append(dst, `,"session_id":`...)
	dst = jsonwrite.String(dst, m.SessionID)
	dst = append(dst, `,"role":`...)
	dst = jsonwrite.String(dst, string(m.Role))
	dst = append(dst, `,"content":`...)
	dst = jsonwrite.String(dst, m.Content)
	dst = append(dst, `,"author_name":`...)
	dst = jsonwrite.String(dst, m.AuthorName)
	dst = append(dst, `,"created_at":`...)
	dst, err := jsonwrite.Time(dst, m.CreatedAt)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// AppendJSON appends o as json.Marshal writes it.
func (o *Owner) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"key":`...)
	dst = jsonwrite.String(dst, o.Key)
	dst = append(dst, `,"verified":`...)
	dst = jsonwrite.Bool(dst, o.Verified)
	if o.UserID != "" {
		dst = append(dst, `,"user_id":`...)
		dst = jsonwrite.String(dst, o.UserID)
	}
	if o.Email != "" {
		dst = append(dst, `,"email":`...)
		dst = jsonwrite.String(dst, o.Email)
	}
	if o.ContactID != "" {
		dst = append(dst, `,"contact_id":`...)
		dst = jsonwrite.String(dst, o.ContactID)
	}
	if o.UID != "" {
		dst = append(dst, `,"uid":`...)
		dst = jsonwrite.String(dst, o.UID)
	}
	return append(dst, '}')
}
