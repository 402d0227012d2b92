package widget

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// expirySkew renews a token this long before it expires, so that a request
// does not leave with a token that expires on the way.
const expirySkew = 30 * time.Second

// storedContact is the contact token kept in Storage, with what the form
// claimed, so that renewal re-sends it.
type storedContact struct {
	DeviceID  string    `json:"device_id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	ContactID string    `json:"contact_id"`
	Name      string    `json:"name,omitempty"`
	Email     string    `json:"email,omitempty"`
}

func (c *storedContact) usable(now time.Time) bool {
	return c != nil && c.Token != "" && (c.ExpiresAt.IsZero() || now.Add(expirySkew).Before(c.ExpiresAt))
}

func loadContact(st Storage, widgetToken, deviceID string) *storedContact {
	v, ok := st.Get(StorageKey(widgetToken, keyContact))
	if !ok {
		return nil
	}
	var c storedContact
	if json.Unmarshal([]byte(v), &c) != nil || c.DeviceID != deviceID || c.Token == "" {
		return nil
	}
	return &c
}

func saveContact(st Storage, widgetToken string, c *storedContact) {
	b, err := json.Marshal(c)
	if err == nil {
		st.Set(StorageKey(widgetToken, keyContact), string(b))
	}
}

// tokenPayload returns the claims part of a JWT, decoded from base64 but
// not checked (the worker checks its signature); ok is false when the token
// has no such part.
func tokenPayload(jwt string) (raw []byte, ok bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	return raw, err == nil
}

// tokenExpiry reads the exp claim of a JWT without checking its signature
// (the worker does that); ok is false when there is none.
func tokenExpiry(jwt string) (time.Time, bool) {
	raw, ok := tokenPayload(jwt)
	if !ok {
		return time.Time{}, false
	}
	var claims struct {
		Exp float64 `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(claims.Exp), 0), true
}

// tokenUsable reports whether a JWT has not expired (or says nothing of it).
func tokenUsable(jwt string, now time.Time) bool {
	if jwt == "" {
		return false
	}
	exp, ok := tokenExpiry(jwt)
	return !ok || now.Add(expirySkew).Before(exp)
}
