//go:build !js

package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"testing"
	"time"
)

// hasKeys fails unless the JSON object at path in body has every key (null allowed).
func hasKeys(t testing.TB, what string, body []byte, path []string, keys ...string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %v is not an object", what, path)
		}
		if l, ok := m[p].([]any); ok && len(l) > 0 {
			v = l[0]
		} else {
			v = m[p]
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: %v is %T, want an object", what, path, v)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: %v has no %q (want it, null when empty)", what, path, k)
		}
	}
}

var (
	sessionKeys = []string{"id", "created_at", "updated_at", "verified", "external_id", "non_verified_custom_data", "last_message", "claimed_at"}
	messageKeys = []string{"id", "session_id", "role", "content", "author_name", "created_at"}
	contactKeys = []string{"id", "name", "email", "non_verified_custom_data", "verified"}
	userKeys    = []string{"id", "user_id", "email", "name", "avatar_url", "phone", "custom_data", "external_id", "verified"}
)

// TestResponseShapes checks that every documented field is present in every
// answer, null when empty, and that times are RFC 3339 in UTC.
func TestResponseShapes(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	r := vendor(t).post(t, "/v1/admin/orgs", map[string]any{"name": "shape", "allowed_origins": []string{"https://shape.example"}}).expect(201)
	hasKeys(t, "create org", r.Body, []string{"org"}, "id", "name", "widget_token", "allowed_origins", "created_at")
	hasKeys(t, "create org", r.Body, []string{"api_key"}, "id", "secret")

	r = o.widget(t, "").post(t, "/v1/widget/contacts", map[string]any{"device_id": newDevice()}).expect(200)
	hasKeys(t, "contacts", r.Body, nil, "token", "expires_at", "contact")
	hasKeys(t, "contacts", r.Body, []string{"contact"}, contactKeys...)
	var c contactReply
	r.into(&c)
	rfc3339UTC(t, "contact expires_at", c.ExpiresAt)
	w := o.widget(t, c.Token)
	hasKeys(t, "me (contact)", w.get(t, "/v1/widget/me").expect(200).Body, []string{"contact"}, contactKeys...)

	r = o.api(t).post(t, "/v1/users/authenticate", map[string]any{"user_id": uniq("shape")}).expect(200)
	hasKeys(t, "authenticate", r.Body, nil, "token", "expires_at", "user")
	hasKeys(t, "authenticate", r.Body, []string{"user"}, userKeys...)
	var a authReply
	r.into(&a)
	hasKeys(t, "me (user)", o.widget(t, a.Token).get(t, "/v1/widget/me").expect(200).Body, []string{"user"}, userKeys...)

	r = w.post(t, "/v1/widget/sessions", map[string]any{}).expect(201)
	hasKeys(t, "create session", r.Body, []string{"session"}, sessionKeys...)
	var s struct {
		Session Session `json:"session"`
	}
	r.into(&s)
	rfc3339UTC(t, "session.created_at", s.Session.CreatedAt)
	rfc3339UTC(t, "session.updated_at", s.Session.UpdatedAt)
	sid := url.PathEscape(s.Session.ID)
	hasKeys(t, "widget message", w.post(t, "/v1/widget/sessions/"+sid+"/messages", map[string]any{"content": "x"}).expect(201).Body, []string{"message"}, messageKeys...)
	hasKeys(t, "agent message", o.api(t).post(t, "/v1/sessions/"+sid+"/messages", map[string]any{"content": "y"}).expect(201).Body, []string{"message"}, messageKeys...)

	for _, x := range []struct {
		c    *caller
		path string
	}{{w, "/v1/widget/sessions"}, {o.api(t), "/v1/sessions"}} {
		b := x.c.get(t, x.path).expect(200).Body
		hasKeys(t, x.path, b, nil, "items", "next_cursor")
		hasKeys(t, x.path, b, []string{"items"}, sessionKeys...)
		hasKeys(t, x.path, b, []string{"items", "last_message"}, messageKeys...)
	}
	for _, x := range []struct {
		c    *caller
		path string
	}{{w, "/v1/widget/sessions/" + sid}, {o.api(t), "/v1/sessions/" + sid}} {
		b := x.c.get(t, x.path).expect(200).Body
		hasKeys(t, x.path, b, nil, "session", "messages")
		hasKeys(t, x.path, b, []string{"session"}, sessionKeys...)
		hasKeys(t, x.path, b, []string{"messages"}, messageKeys...)
	}
}

// TestDataSurvivesRestart runs alone (not parallel): it restarts the shared
// server, and checks that orgs, keys, tokens, contacts, sessions and messages
// are all still there, as `make dev` promises for its local KV.
func TestDataSurvivesRestart(t *testing.T) {
	srv := server(t)
	o := newOrg(t)
	dev := newDevice()
	c := o.contact(t, dev, map[string]any{"name": "Before"})
	w := o.widget(t, c.Token)
	s := createSession(t, w, nil)
	m := say(t, w, s.ID, "before the restart")
	a := o.authenticate(t, map[string]any{"user_id": uniq("restart")})
	vs := createSession(t, o.widget(t, a.Token), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}

	if !keyWorks(t, o.Key.Secret) {
		t.Error("the api key is refused after a restart")
	}
	if got := messageIDs(widgetSession(t, w, s.ID).Messages); !slices.Equal(got, []string{m.ID}) {
		t.Errorf("after a restart the session has messages %v, want %s", got, m.ID)
	}
	sameSet(t, "verified sessions after a restart", sessionIDs(widgetSessions(t, o.widget(t, a.Token), nil)), []string{vs.ID})
	if again := o.contact(t, dev, nil); again.Contact.ID != c.Contact.ID {
		t.Errorf("after a restart the device is contact %q, was %q", again.Contact.ID, c.Contact.ID)
	}
	verify(t, o, c.Token)
}
