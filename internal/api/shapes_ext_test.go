package api_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// keysOf returns the sorted keys of a JSON object.
func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkKeys(t *testing.T, what string, v any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(v); !slices.Equal(got, want) {
		t.Errorf("%s has keys %q, want %q", what, got, want)
	}
}

func checkTime(t *testing.T, what string, v any) {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") || tm.IsZero() {
		t.Errorf("%s = %v: not an RFC 3339 time in UTC", what, v)
	}
}

var (
	sessionKeys = []string{"id", "created_at", "updated_at", "verified", "external_id", "non_verified_custom_data", "last_message", "claimed_at"}
	messageKeys = []string{"id", "session_id", "role", "content", "author_name", "created_at"}
)

// TestResponseShapes: the JSON of every route, as the contract lists it.
func TestResponseShapes(t *testing.T) {
	e := newEnv(t)
	r := e.admin("POST", "/v1/admin/orgs", map[string]any{"name": " Shop ", "allowed_origins": []string{"https://Shop.Example/", "https://shop.example"}})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	checkKeys(t, "create org", r.Body, "org", "api_key")
	checkKeys(t, "org", r.Body["org"], "id", "name", "widget_token", "allowed_origins", "created_at")
	checkKeys(t, "api_key", r.Body["api_key"], "id", "secret")
	org := r.Body["org"].(map[string]any)
	if org["name"] != "Shop" || !strings.HasPrefix(org["widget_token"].(string), "pk_") || len(org["widget_token"].(string)) < 27 {
		t.Errorf("org %v", org)
	}
	if o, _ := json.Marshal(org["allowed_origins"]); string(o) != `["https://shop.example"]` {
		t.Errorf("allowed_origins %s (normalized and deduplicated)", o)
	}
	checkTime(t, "org.created_at", org["created_at"])
	a := orgInfo{ID: org["id"].(string), PK: org["widget_token"].(string), SK: r.Body["api_key"].(map[string]any)["secret"].(string)}
	if !strings.HasPrefix(a.SK, "sk_") || len(a.SK) < 35 {
		t.Errorf("secret %q", a.SK)
	}

	r = e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "u-1", "email": "Ann@Example.com", "name": "Ann",
		"avatar_url": "https://cdn.example/a.png", "phone": "+1 555", "custom_data": map[string]any{"plan": "pro"}, "external_id": "ws-1"})
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	checkKeys(t, "authenticate", r.Body, "token", "expires_at", "user")
	checkKeys(t, "user", r.Body["user"], "id", "user_id", "email", "name", "avatar_url", "phone", "custom_data", "external_id", "verified")
	checkTime(t, "expires_at", r.Body["expires_at"])
	u := r.Body["user"].(map[string]any)
	if u["verified"] != true || u["user_id"] != "u-1" || u["external_id"] != "ws-1" || u["name"] != "Ann" {
		t.Errorf("user %v", u)
	}
	if exp, _ := time.Parse(time.RFC3339, r.Body["expires_at"].(string)); exp.Sub(e.clock.Now()) < 23*time.Hour || exp.Sub(e.clock.Now()) > 24*time.Hour {
		t.Errorf("default lifetime: expires %v, now %v", exp, e.clock.Now())
	}
	verified := r.Body["token"].(string)
	if strings.Count(verified, ".") != 2 {
		t.Errorf("token %q is not a compact JWS", verified)
	}

	r = e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1})
	checkKeys(t, "contacts", r.Body, "token", "expires_at", "contact")
	checkKeys(t, "contact", r.Body["contact"], "id", "name", "email", "non_verified_custom_data", "verified")
	c := r.Body["contact"].(map[string]any)
	if c["verified"] != false || c["name"] != nil || c["email"] != nil {
		t.Errorf("anonymous contact %v", c)
	}
	contact := r.Body["token"].(string)
	// The same device again: the same contact, with the newest name and email.
	r = e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1, "name": "Ann", "email": "ann@example.com"})
	c2 := r.Body["contact"].(map[string]any)
	if c2["id"] != c["id"] || c2["name"] != "Ann" || c2["email"] != "ann@example.com" {
		t.Errorf("same device again: %v, first %v", c2, c)
	}
	r = e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1, "name": "Ann B."})
	if c3 := r.Body["contact"].(map[string]any); c3["id"] != c["id"] || c3["name"] != "Ann B." || c3["email"] != "ann@example.com" {
		t.Errorf("third time: %v", c3)
	}

	r = e.widget(a, contact, "GET", "/v1/widget/me", nil)
	checkKeys(t, "me (contact)", r.Body, "contact")
	r = e.widget(a, verified, "GET", "/v1/widget/me", nil)
	checkKeys(t, "me (user)", r.Body, "user")

	r = e.widget(a, contact, "POST", "/v1/widget/sessions", map[string]any{})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	checkKeys(t, "create session", r.Body, "session")
	checkKeys(t, "session", r.Body["session"], sessionKeys...)
	s := r.Body["session"].(map[string]any)
	if s["external_id"] != nil || s["last_message"] != nil || s["verified"] != false {
		t.Errorf("session %v", s)
	}
	checkTime(t, "session.created_at", s["created_at"])
	sid := s["id"].(string)

	r = e.widget(a, contact, "POST", "/v1/widget/sessions/"+sid+"/messages", map[string]any{"content": "hi"})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	checkKeys(t, "post message", r.Body, "message")
	checkKeys(t, "message", r.Body["message"], messageKeys...)
	m := r.Body["message"].(map[string]any)
	if m["role"] != "user" || m["session_id"] != sid || m["content"] != "hi" {
		t.Errorf("message %v", m)
	}
	first := m["id"].(string)
	e.clock.Advance(time.Second)
	r = e.server(a, "POST", "/v1/sessions/"+sid+"/messages", map[string]any{"content": "hello", "author_name": "Bob"})
	if r.Status != 201 {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	agent := r.Body["message"].(map[string]any)
	if agent["role"] != "agent" || agent["author_name"] != "Bob" || agent["id"].(string) <= first {
		t.Errorf("agent message %v", agent)
	}

	for name, r := range map[string]resp{
		"widget get": e.widget(a, contact, "GET", "/v1/widget/sessions/"+sid, nil),
		"server get": e.server(a, "GET", "/v1/sessions/"+sid, nil),
	} {
		checkKeys(t, name, r.Body, "session", "messages")
		checkKeys(t, name+" session", r.Body["session"], sessionKeysOf(name, sessionKeys)...)
		msgs, _ := r.Body["messages"].([]any)
		if len(msgs) != 2 || msgs[0].(map[string]any)["id"] != first || msgs[1].(map[string]any)["id"] != agent["id"] {
			t.Errorf("%s: messages not oldest first: %s", name, r.Raw)
		}
		last, _ := r.Body["session"].(map[string]any)["last_message"].(map[string]any)
		if last == nil || last["id"] != agent["id"] {
			t.Errorf("%s: last_message %v", name, last)
		}
	}
	r = e.widget(a, contact, "GET", "/v1/widget/sessions/"+sid+"?after="+first, nil)
	if msgs, _ := r.Body["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["id"] != agent["id"] {
		t.Errorf("after: %s", r.Raw)
	}
	r = e.widget(a, contact, "GET", "/v1/widget/sessions/"+sid+"?after="+agent["id"].(string), nil)
	if msgs, ok := r.Body["messages"].([]any); !ok || len(msgs) != 0 {
		t.Errorf("after the last: %s", r.Raw)
	}

	for name, r := range map[string]resp{
		"widget list": e.widget(a, contact, "GET", "/v1/widget/sessions", nil),
		"server list": e.server(a, "GET", "/v1/sessions", nil),
	} {
		checkKeys(t, name, r.Body, "items", "next_cursor")
		if r.Body["next_cursor"] != nil {
			t.Errorf("%s: next_cursor %v on the only page", name, r.Body["next_cursor"])
		}
		items, _ := r.Body["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("%s: %s", name, r.Raw)
		}
		checkKeys(t, name+" item", items[0], sessionKeysOf(name, sessionKeys)...)
	}
	// An empty listing is an empty array, not null.
	r = e.widget(a, verified, "GET", "/v1/widget/sessions", nil)
	if !strings.Contains(r.Raw, `"items":[]`) {
		t.Errorf("empty listing: %s", r.Raw)
	}

	r = e.server(a, "POST", "/v1/users/revoke", map[string]any{"user_id": "u-1"})
	checkKeys(t, "revoke", r.Body, "revoked_before")
	checkTime(t, "revoked_before", r.Body["revoked_before"])

	r = e.send(request("GET", "/.well-known/jwks.json", nil))
	keys, _ := r.Body["keys"].([]any)
	if r.Status != 200 || len(keys) != 1 || keys[0].(map[string]any)["kid"] != "k1" {
		t.Errorf("jwks: %d %s", r.Status, r.Raw)
	}
}

// TestWidgetPaginationEndToEnd pages a widget listing through the API.
func TestWidgetPaginationEndToEnd(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	tok := e.contact(a, device1)
	var want []string
	for range 7 {
		want = append([]string{e.newSession(a, tok, nil)["id"].(string)}, want...)
	}
	for _, limit := range []string{"1", "2", "3", "7"} {
		var got []string
		cursor := ""
		for pages := 0; pages < 20; pages++ {
			path := "/v1/widget/sessions?limit=" + limit
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := e.widget(a, tok, "GET", path, nil)
			got = append(got, listIDs(t, r)...)
			next, _ := r.Body["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %s: %q, want %q", limit, got, want)
		}
	}
}

// sessionKeysOf is the keys of a session in the view name: the org's server's
// views carry the owner too.
func sessionKeysOf(name string, keys []string) []string {
	if strings.HasPrefix(name, "server") {
		return append(append([]string(nil), keys...), "owner")
	}
	return keys
}

// TestDeletionShapes: the 202 of each DELETE of a person is {deletion: {id,
// status, requested_at}}, as API.md gives it, also when it answers a
// deletion already done; GET /v1/deletions/{id} adds completed_at,
// sessions and messages.
func TestDeletionShapes(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	e.verified(a, map[string]any{"user_id": "u-ann"})
	ct := e.contact(a, device1)
	cid := e.contactID(a, ct)
	e.newSession(a, e.contact(a, device2), nil)
	other := e.contactID(a, e.contact(a, device2))
	accepted := []string{"id", "status", "requested_at"}
	var ids []string
	for _, c := range []struct {
		what string
		send func() resp
	}{
		{"DELETE /v1/users", func() resp { return e.server(a, "DELETE", "/v1/users?user_id=u-ann", nil) }},
		{"DELETE /v1/contacts/{id}", func() resp { return e.server(a, "DELETE", "/v1/contacts/"+other, nil) }},
		{"DELETE /v1/widget/me", func() resp { return e.widget(a, ct, "DELETE", "/v1/widget/me", nil) }},
	} {
		r := c.send()
		if r.Status != 202 {
			t.Fatalf("%s: %d %s", c.what, r.Status, r.Raw)
		}
		checkKeys(t, c.what, r.Body, "deletion")
		checkKeys(t, c.what+" deletion", r.Body["deletion"], accepted...)
		ids = append(ids, r.Body["deletion"].(map[string]any)["id"].(string))
	}
	e.drain()
	for _, again := range []string{"/v1/users?user_id=u-ann", "/v1/contacts/" + other, "/v1/contacts/" + cid} {
		r := e.server(a, "DELETE", again, nil)
		if d, _ := r.Body["deletion"].(map[string]any); r.Status != 202 || d["status"] != "done" {
			t.Fatalf("DELETE %s again: %d %s", again, r.Status, r.Raw)
		}
		checkKeys(t, "DELETE "+again+" again: deletion", r.Body["deletion"], accepted...)
	}
	for _, id := range ids {
		r := e.server(a, "GET", "/v1/deletions/"+id, nil)
		checkKeys(t, "GET /v1/deletions/{id}: deletion", r.Body["deletion"], "id", "status", "requested_at", "completed_at", "sessions", "messages")
	}
}
