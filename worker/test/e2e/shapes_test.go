//go:build !js

package e2e

import (
	"context"
	"maps"
	"net/url"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// has wants an object with every key (null allowed), and extra.
func has(extra M, keys ...string) M {
	m := maps.Clone(extra)
	for _, k := range keys {
		m[k] = contract.Present
	}
	return m
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
	shape := func(what string, r *reply, want M) *reply {
		t.Helper()
		var v any
		r.into(&v)
		match(t, what, v, want)
		return r
	}
	shape("create org", vendor(t).post(t, "/v1/admin/orgs", map[string]any{"name": "shape", "allowed_origins": []string{"https://shape.example"}}).expect(201),
		M{"org": has(M{}, "id", "name", "widget_token", "allowed_origins", "created_at"), "api_key": has(M{}, "id", "secret")})

	var c contract.ContactSignedIn
	shape("contacts", o.widget("").post(t, "/v1/widget/contacts", map[string]any{"device_id": newDevice()}).expect(200),
		has(M{"contact": has(M{}, contactKeys...)}, "token", "expires_at")).into(&c)
	rfc3339UTC(t, "contact expires_at", c.ExpiresAt)
	w := o.widget(c.Token)
	shape("me (contact)", w.get(t, "/v1/widget/me").expect(200), M{"contact": has(M{}, contactKeys...)})

	var a contract.Authenticated
	shape("authenticate", o.api().post(t, "/v1/users/authenticate", map[string]any{"user_id": uniq("shape")}).expect(200),
		has(M{"user": has(M{}, userKeys...)}, "token", "expires_at")).into(&a)
	shape("me (user)", o.widget(a.Token).get(t, "/v1/widget/me").expect(200), M{"user": has(M{}, userKeys...)})

	var s contract.SessionCreated
	shape("create session", w.post(t, "/v1/widget/sessions", map[string]any{}).expect(201), M{"session": has(M{}, sessionKeys...)}).into(&s)
	rfc3339UTC(t, "session.created_at", s.Session.CreatedAt)
	rfc3339UTC(t, "session.updated_at", s.Session.UpdatedAt)
	sid := url.PathEscape(s.Session.ID)
	message := has(M{}, messageKeys...)
	shape("widget message", w.post(t, "/v1/widget/sessions/"+sid+"/messages", map[string]any{"content": "x"}).expect(201), M{"message": message})
	shape("agent message", o.api().post(t, "/v1/sessions/"+sid+"/messages", map[string]any{"content": "y"}).expect(201), M{"message": message})

	session := has(M{"last_message": message}, sessionKeys...)
	for _, c := range []*caller{w, o.api()} {
		path := map[bool]string{true: "/v1/widget/sessions", false: "/v1/sessions"}[c == w]
		shape(path, c.get(t, path).expect(200), has(M{"items": []any{session}}, "next_cursor"))
		shape(path+"/{id}", c.get(t, path+"/"+sid).expect(200), M{"session": session, "messages": []any{message, message}})
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
	w := o.widget(c.Token)
	s := createSession(t, w, nil)
	m := say(t, w, s.ID, "before the restart")
	a := o.authenticate(t, map[string]any{"user_id": uniq("restart")})
	vs := createSession(t, o.widget(a.Token), nil)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if err := srv.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}

	match(t, "after a restart the api key works", keyWorks(t, o.Key.Secret), true)
	match(t, "after a restart the session's messages", messageIDs(widgetSession(t, w, s.ID).Messages), []string{m.ID})
	sameSet(t, "verified sessions after a restart", sessionIDs(widgetSessions(t, o.widget(a.Token), nil)), []string{vs.ID})
	match(t, "after a restart the device's contact", o.contact(t, dev, nil).Contact.ID, c.Contact.ID)
	verify(t, o, c.Token)
}
