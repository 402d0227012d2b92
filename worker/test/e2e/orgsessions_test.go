//go:build !js

package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

func TestOrgSessionsFilters(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	u1, u2 := uniq("u1"), uniq("u2")
	u1mail, u2mail := strings.ToLower(u1)+"@x.com", strings.ToLower(u2)+"@x.com"
	ws1, ws2 := uniq("ws1"), uniq("ws2")

	// Made one after the other, so newest first is the reverse of this order.
	dev := o.contact(t, newDevice(), map[string]any{"name": "Casey", "email": "casey-" + strings.ToLower(u1) + "@x.com"})
	wc := o.widget(dev.Token)
	a1 := o.authenticate(t, map[string]any{"user_id": u1, "email": u1mail})
	a1ws2 := o.authenticate(t, map[string]any{"user_id": u1, "email": u1mail, "external_id": ws2})
	a2 := o.authenticate(t, map[string]any{"user_id": u2, "email": u2mail})

	sc1 := createSession(t, wc, nil)
	sc2 := createSession(t, wc, map[string]any{"external_id": ws1})
	su1a := createSession(t, o.widget(a1.Token), nil)
	su1b := createSession(t, o.widget(a1.Token), map[string]any{"external_id": ws1})
	su1c := createSession(t, o.widget(a1ws2.Token), nil)
	su2 := createSession(t, o.widget(a2.Token), map[string]any{"external_id": ws1})

	// All six, newest first, each verified or not and with its external id.
	match(t, "GET /v1/sessions", orgSessions(t, o, nil), []any{
		M{"id": su2.ID, "verified": true, "external_id": ws1},
		M{"id": su1c.ID, "verified": true, "external_id": ws2},
		M{"id": su1b.ID, "verified": true, "external_id": ws1},
		M{"id": su1a.ID, "verified": true, "external_id": nil},
		M{"id": sc2.ID, "verified": false, "external_id": ws1},
		M{"id": sc1.ID, "verified": false, "external_id": nil},
	})

	cases := []struct {
		query url.Values
		want  []string
	}{
		{q("user_id", u1), []string{su1c.ID, su1b.ID, su1a.ID}},
		{q("user_id", u2), []string{su2.ID}},
		{q("user_id", uniq("nobody")), []string{}},
		{q("email", u1mail), []string{su1c.ID, su1b.ID, su1a.ID}},
		{q("email", u2mail), []string{su2.ID}},
		{q("external_id", ws1), []string{su2.ID, su1b.ID, sc2.ID}},
		{q("external_id", ws2), []string{su1c.ID}},
		{q("verified", "true"), []string{su2.ID, su1c.ID, su1b.ID, su1a.ID}},
		{q("verified", "false"), []string{sc2.ID, sc1.ID}},
		{q("user_id", u1, "external_id", ws1), []string{su1b.ID}},
		{q("verified", "false", "external_id", ws1), []string{sc2.ID}},
		{q("verified", "true", "external_id", ws1), []string{su2.ID, su1b.ID}},
		{q("user_id", u1, "verified", "false"), []string{}},
	}
	for _, c := range cases {
		t.Run(c.query.Encode(), func(t *testing.T) {
			t.Parallel()
			match(t, "GET /v1/sessions?"+c.query.Encode()+", newest first", sessionIDs(orgSessions(t, o, c.query)), c.want)
		})
	}

	bad := []struct {
		query url.Values
		field string
	}{
		{q("verified", "maybe"), "verified"},
		{q("limit", "abc"), "limit"},
		{q("limit", "-1"), "limit"},
		{q("limit", "1.5"), "limit"},
		{q("cursor", "definitely-not-a-cursor"), "cursor"},
	}
	for _, c := range bad {
		t.Run("refused/"+c.query.Encode(), func(t *testing.T) {
			t.Parallel()
			o.api().get(t, "/v1/sessions?"+c.query.Encode()).failsNaming(c.field)
		})
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w := o.widget(o.contactToken(t))
	const n = 7
	var made []string
	for range n {
		made = append(made, createSession(t, w, nil).ID)
	}
	slices.Reverse(made) // newest first

	check := func(t *testing.T, c *caller, path string, limit int) {
		match(t, fmt.Sprintf("walking %s with limit %d: each once, newest first", path, limit), sessionIDs(listAll(t, c, path, q("limit", strconv.Itoa(limit)))), made)
	}
	for _, limit := range []int{1, 3, 7, 50} {
		t.Run(fmt.Sprintf("org/limit=%d", limit), func(t *testing.T) { check(t, o.api(), "/v1/sessions", limit) })
		t.Run(fmt.Sprintf("widget/limit=%d", limit), func(t *testing.T) { check(t, w, "/v1/widget/sessions", limit) })
	}
	t.Run("first page of 3 has a cursor", func(t *testing.T) {
		l := typed(o.api().c.ListOrgSessions(t.Context(), contract.SessionFilter{}, contract.Page{Limit: 3})).want(t, 200)
		match(t, "limit=3 of 7", M{"items": len(l.Items), "next_cursor": l.NextCursor}, M{"items": 3, "next_cursor": contract.NonEmpty})
	})
	t.Run("no limit returns them all newest first", func(t *testing.T) {
		match(t, "GET /v1/sessions", sessionIDs(orgSessions(t, o, nil)), made)
		match(t, "GET /v1/widget/sessions", sessionIDs(widgetSessions(t, w, nil)), made)
	})
	t.Run("bad widget paging", func(t *testing.T) {
		w.get(t, "/v1/widget/sessions?limit=abc").failsNaming("limit")
		w.get(t, "/v1/widget/sessions?cursor=definitely-not-a-cursor").failsNaming("cursor")
	})
}

func TestOrgGetSessionAndAgentMessages(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w := o.widget(o.contactToken(t))
	s := createSession(t, w, map[string]any{"custom_data": map[string]any{"page": "/pricing"}})
	m1 := say(t, w, s.ID, "hi, is anyone there?")
	a1 := agentSay(t, o, s.ID, "Hello! How can I help?", "Dana from Support")
	match(t, "agent message", a1, M{"role": "agent", "session_id": s.ID, "content": "Hello! How can I help?", "author_name": "Dana from Support", "id": contract.NonEmpty})
	rfc3339UTC(t, "message.created_at", a1.CreatedAt)
	a2 := agentSay(t, o, s.ID, "Still there?", "")
	match(t, "agent message without author_name", a2, M{"role": "agent", "author_name": contract.OneOf(nil, "")})
	m2 := say(t, w, s.ID, "yes")
	want := []string{m1.ID, a1.ID, a2.ID, m2.ID}

	match(t, "GET /v1/sessions/{id}", orgSession(t, o, s.ID), M{
		"session":  M{"id": s.ID, "verified": false, "non_verified_custom_data": map[string]any{"page": "/pricing"}, "last_message": M{"id": m2.ID}},
		"messages": []any{M{"id": m1.ID, "role": "user"}, M{"id": a1.ID, "role": "agent"}, M{"id": a2.ID, "role": "agent"}, M{"id": m2.ID, "role": "user"}},
	})
	// The widget sees the agent's messages with role and author.
	match(t, "widget messages", widgetSession(t, w, s.ID).Messages,
		[]any{M{"id": m1.ID}, M{"id": a1.ID, "role": "agent", "author_name": "Dana from Support"}, M{"id": a2.ID}, M{"id": m2.ID}})

	// Limits on content, and nothing stored by a refusal.
	path := "/v1/sessions/" + url.PathEscape(s.ID) + "/messages"
	refuses(t, "refused", o.api(), path, []refusal{
		{"no content", map[string]any{"author_name": "x"}, nil, "content"},
		{"empty content", map[string]any{"content": ""}, nil, "content"},
		{"content 10001 characters", map[string]any{"content": strings.Repeat("c", 10001)}, nil, "content"},
		{"content number", map[string]any{"content": 5}, nil, "content"},
		{"content object", map[string]any{"content": map[string]any{}}, nil, "content"},
		{"author_name number", map[string]any{"content": "x", "author_name": 5}, nil, "author_name"},
	})
	o.api().post(t, path, contract.Raw(`{"content":`)).fails(400, "invalid_json")
	match(t, "after refused posts the messages", messageIDs(orgSession(t, o, s.ID).Messages), want)
	// 10,000 characters are fine, counted as characters, not bytes.
	long := strings.Repeat("é", 10000)
	match(t, "10,000-character content", agentSay(t, o, s.ID, long, "").Content, long)
}
