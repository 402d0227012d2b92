package api

import (
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonwrite"
)

// The JSON shapes of the contract.

type orgView struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	WidgetToken    string    `json:"widget_token"`
	AllowedOrigins []string  `json:"allowed_origins"`
	CreatedAt      time.Time `json:"created_at"`
}

type contactView struct {
	ID                    string              `json:"id"`
	Name                  *string             `json:"name"`
	Email                 *string             `json:"email"`
	NonVerifiedCustomData identity.CustomData `json:"non_verified_custom_data"`
	Verified              bool                `json:"verified"`
}

type userView struct {
	ID         string              `json:"id"`
	UserID     *string             `json:"user_id"`
	Email      *string             `json:"email"`
	Name       *string             `json:"name"`
	AvatarURL  *string             `json:"avatar_url"`
	Phone      *string             `json:"phone"`
	CustomData identity.CustomData `json:"custom_data"`
	ExternalID *string             `json:"external_id"`
	Verified   bool                `json:"verified"`
}

type sessionList struct {
	Items      []*identity.Session `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

type sessionWithMessages struct {
	Session  *identity.Session   `json:"session"`
	Messages []*identity.Message `json:"messages"`
}

type messageView struct {
	Message *identity.Message `json:"message"`
}

type sessionView struct {
	Session *identity.Session `json:"session"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewContact(c *identity.Contact) contactView {
	return contactView{
		ID:                    c.ID,
		Name:                  nullable(c.Name),
		Email:                 nullable(c.Email),
		NonVerifiedCustomData: c.NonVerifiedCustomData,
	}
}

func viewUser(u *identity.User) userView {
	return userView{
		ID:         u.ID,
		UserID:     nullable(u.UserID),
		Email:      nullable(u.Email),
		Name:       nullable(u.Name),
		AvatarURL:  nullable(u.AvatarURL),
		Phone:      nullable(u.Phone),
		CustomData: u.CustomData,
		ExternalID: nullable(u.ExternalID),
		Verified:   true,
	}
}

func viewList(items []*identity.Session, next string) sessionList {
	if items == nil {
		items = []*identity.Session{}
	}
	return sessionList{Items: items, NextCursor: nullable(next)}
}

// The answers of the widget's hot routes, appended as json.Marshal writes them
// (see internal/jsonwrite); writeJSON uses these.

// AppendJSON appends l as json.Marshal writes it.
func (l sessionList) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"items":`...)
	dst, err := jsonwrite.Slice(dst, l.Items)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"next_cursor":`...)
	dst = jsonwrite.OptString(dst, l.NextCursor)
	return append(dst, '}'), nil
}

// AppendJSON appends v as json.Marshal writes it.
func (v sessionWithMessages) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"session":`...)
	dst, err := jsonwrite.Ptr(dst, v.Session)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"messages":`...)
	if dst, err = jsonwrite.Slice(dst, v.Messages); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// AppendJSON appends v as json.Marshal writes it.
func (v messageView) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"message":`...)
	dst, err := jsonwrite.Ptr(dst, v.Message)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// AppendJSON appends v as json.Marshal writes it.
func (v sessionView) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"session":`...)
	dst, err := jsonwrite.Ptr(dst, v.Session)
	if err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}
