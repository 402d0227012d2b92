package widget

import (
	"context"
	"net/url"
	"strconv"

	"github.com/chatwidget/identity/internal/identity"
)

// Session and Message are the contract's, as the worker sends them.
type (
	Session = identity.Session
	Message = identity.Message
)

// ContactRequest is the body of POST /v1/widget/contacts.
type ContactRequest struct {
	DeviceID   string         `json:"device_id"`
	Name       string         `json:"name,omitempty"`
	Email      string         `json:"email,omitempty"`
	CustomData map[string]any `json:"custom_data,omitempty"`
}

// Person is a contact or a user as the widget routes describe them.
type Person struct {
	ID                    string         `json:"id"`
	UserID                string         `json:"user_id,omitempty"`
	Name                  string         `json:"name"`
	Email                 string         `json:"email"`
	AvatarURL             string         `json:"avatar_url,omitempty"`
	ExternalID            string         `json:"external_id,omitempty"`
	NonVerifiedCustomData map[string]any `json:"non_verified_custom_data,omitempty"`
	Verified              bool           `json:"verified"`
}

// ContactAnswer is the answer of POST /v1/widget/contacts.
type ContactAnswer struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	Contact   Person `json:"contact"`
}

// SessionPage is a page of GET /v1/widget/sessions.
type SessionPage struct {
	Items      []Session `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// SessionMessages is the answer of GET /v1/widget/sessions/{id}.
type SessionMessages struct {
	Session  Session   `json:"session"`
	Messages []Message `json:"messages"`
}

// CreateContact is POST /v1/widget/contacts: a contact token for a device.
func (cl *Client) CreateContact(ctx context.Context, r ContactRequest) (*ContactAnswer, error) {
	var out ContactAnswer
	if err := cl.do(ctx, call{method: "POST", path: "/v1/widget/contacts", body: r}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Me is GET /v1/widget/me: who the token names.
func (cl *Client) Me(ctx context.Context, bearer string) (*Person, error) {
	var out struct {
		Contact *Person `json:"contact"`
		User    *Person `json:"user"`
	}
	if err := cl.do(ctx, call{method: "GET", path: "/v1/widget/me", bearer: bearer}, &out); err != nil {
		return nil, err
	}
	if out.User != nil {
		return out.User, nil
	}
	if out.Contact != nil {
		return out.Contact, nil
	}
	return &Person{}, nil
}

// CreateSession is POST /v1/widget/sessions, idempotent under idemKey.
func (cl *Client) CreateSession(ctx context.Context, bearer, idemKey, externalID string) (*Session, error) {
	body := map[string]any{}
	if externalID != "" {
		body["external_id"] = externalID
	}
	var out struct {
		Session Session `json:"session"`
	}
	if err := cl.do(ctx, call{method: "POST", path: "/v1/widget/sessions", body: body, idemKey: idemKey, bearer: bearer}, &out); err != nil {
		return nil, err
	}
	return &out.Session, nil
}

// ListSessions is GET /v1/widget/sessions: the caller's sessions, newest
// first, scoped by externalID when not "".
func (cl *Client) ListSessions(ctx context.Context, bearer, externalID, cursor string, limit int) (*SessionPage, error) {
	q := url.Values{}
	if externalID != "" {
		q.Set("external_id", externalID)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := "/v1/widget/sessions"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out SessionPage
	if err := cl.do(ctx, call{method: "GET", path: path, bearer: bearer}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSession is GET /v1/widget/sessions/{id}: the session and its messages,
// oldest first, only those after the message id after when not "".
func (cl *Client) GetSession(ctx context.Context, bearer, id, after string) (*SessionMessages, error) {
	path := "/v1/widget/sessions/" + url.PathEscape(id)
	if after != "" {
		path += "?after=" + url.QueryEscape(after)
	}
	var out SessionMessages
	if err := cl.do(ctx, call{method: "GET", path: path, bearer: bearer}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PostMessage is POST /v1/widget/sessions/{id}/messages, idempotent under
// idemKey.
func (cl *Client) PostMessage(ctx context.Context, bearer, sessionID, idemKey, content string) (*Message, error) {
	var out struct {
		Message Message `json:"message"`
	}
	path := "/v1/widget/sessions/" + url.PathEscape(sessionID) + "/messages"
	if err := cl.do(ctx, call{method: "POST", path: path, body: map[string]string{"content": content}, idemKey: idemKey, bearer: bearer}, &out); err != nil {
		return nil, err
	}
	return &out.Message, nil
}

// ForgetMe is DELETE /v1/widget/me: the contact's data is erased.
func (cl *Client) ForgetMe(ctx context.Context, bearer string) error {
	return cl.do(ctx, call{method: "DELETE", path: "/v1/widget/me", bearer: bearer}, nil)
}
