package api

import (
	"time"

	"github.com/chatwidget/identity/internal/identity"
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
