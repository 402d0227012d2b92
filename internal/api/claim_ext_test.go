package api_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/config"
)

func claimedIDs(t *testing.T, r resp) []string {
	t.Helper()
	items, ok := r.Body["claimed"].([]any)
	if r.Status != 200 || !ok {
		t.Fatalf("claim: %d %s", r.Status, r.Raw)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func (e *env) claim(o orgInfo, verified, contact string) resp {
	e.t.Helper()
	if contact == "" {
		return e.widget(o, verified, "POST", "/v1/widget/claim", nil)
	}
	return e.widget(o, verified, "POST", "/v1/widget/claim", nil, "X-Contact-Token", contact)
}

// Device 1's anonymous chats claimed at login are the user's from then on,
// from any device, and no longer the device's contact's; they keep
// verified: false and their browser data, and show claimed_at.
func TestClaimMovesTheDevicesChatsToTheUser(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	d1, d2 := e.contact(a, device1), e.contact(a, device2)
	anon := []string{
		e.newSession(a, d1, map[string]any{"custom_data": map[string]any{"cart": 3}})["id"].(string),
		e.newSession(a, d1, nil)["id"].(string),
	}
	if r := e.widget(a, d1, "POST", "/v1/widget/sessions/"+anon[1]+"/messages", map[string]any{"content": "hello"}); r.Status != 201 {
		t.Fatalf("post: %d %s", r.Status, r.Raw)
	}
	other := []string{e.newSession(a, d2, nil)["id"].(string)}
	u := e.verified(a, map[string]any{"user_id": "u-1", "email": "ann@example.com"})
	own := e.newSession(a, u, nil)
	if own["claimed_at"] != nil {
		t.Errorf("a session never claimed has claimed_at %v", own["claimed_at"])
	}

	r := e.claim(a, u, d1)
	if got := claimedIDs(t, r); !slices.Equal(sorted(got), sorted(anon)) {
		t.Fatalf("claimed %q, want %q", got, anon)
	}
	for _, it := range r.Body["claimed"].([]any) {
		s := it.(map[string]any)
		if s["verified"] != false || s["claimed_at"] == nil {
			t.Errorf("claimed session: %v", s)
		}
		if at, err := time.Parse(time.RFC3339, s["claimed_at"].(string)); err != nil || at.Location() != time.UTC {
			t.Errorf("claimed_at %v: %v", s["claimed_at"], err)
		}
	}
	got := e.widget(a, u, "GET", "/v1/widget/sessions/"+anon[0], nil)
	if s := got.Body["session"].(map[string]any); s["verified"] != false || s["claimed_at"] == nil ||
		s["non_verified_custom_data"].(map[string]any)["cart"] != 3.0 {
		t.Errorf("claimed session as the user sees it: %v", s)
	}
	mine := append([]string{own["id"].(string)}, anon...)
	e.sees(t, a, u, mine, other)
	e.sees(t, a, d1, nil, mine)
	e.sees(t, a, d2, other, mine)
	// The same user from another device (another verified token).
	e.sees(t, a, e.verified(a, map[string]any{"user_id": "u-1"}), mine, other)
	// Another user of the org, or the same email without the user_id, sees none.
	e.sees(t, a, e.verified(a, map[string]any{"email": "ann@example.com"}), nil, mine)

	// The org's server sees them as the user's, verified false.
	byUser := listIDs(t, e.server(a, "GET", "/v1/sessions?user_id=u-1&limit=100", nil))
	if !slices.Equal(sorted(byUser), sorted(mine)) {
		t.Errorf("org listing by user_id: %q, want %q", byUser, mine)
	}
	unverified := listIDs(t, e.server(a, "GET", "/v1/sessions?verified=false&limit=100", nil))
	if !slices.Equal(sorted(unverified), sorted(append(slices.Clone(anon), other...))) {
		t.Errorf("org listing verified=false: %q", unverified)
	}

	// Claiming again moves nothing.
	if again := claimedIDs(t, e.claim(a, u, d1)); len(again) != 0 {
		t.Errorf("second claim: %q", again)
	}
	// The device's later chats are its own again, until claimed.
	later := e.newSession(a, d1, nil)["id"].(string)
	e.sees(t, a, d1, []string{later}, mine)
}

// A verified token bound to an external id claims only that workspace's
// sessions; the others stay with the device.
func TestClaimBoundToAnExternalID(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	d1 := e.contact(a, device1)
	ws1 := e.newSession(a, d1, map[string]any{"external_id": "ws-1"})["id"].(string)
	ws2 := e.newSession(a, d1, map[string]any{"external_id": "ws-2"})["id"].(string)
	none := e.newSession(a, d1, nil)["id"].(string)
	u := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-1"})
	if got := claimedIDs(t, e.claim(a, u, d1)); !slices.Equal(got, []string{ws1}) {
		t.Errorf("claimed %q, want only %s", got, ws1)
	}
	e.sees(t, a, u, []string{ws1}, []string{ws2, none})
	e.sees(t, a, d1, []string{ws2, none}, []string{ws1})
	// The same user unbound claims the rest.
	all := e.verified(a, map[string]any{"user_id": "u-1"})
	if got := claimedIDs(t, e.claim(a, all, d1)); !slices.Equal(sorted(got), sorted([]string{ws2, none})) {
		t.Errorf("unbound claim: %q", got)
	}
	e.sees(t, a, d1, nil, []string{ws1, ws2, none})
}

// A claim bound to ws-1 on a device whose newer sessions (more than one
// claim reads) have an external id too long for their summaries, which
// hold only its hash: the claim passes them unread and takes the ws-1
// session at once. Before, each claim spent its budget reading them and
// answered [] with the ws-1 session never reached.
func TestABoundClaimPassesSessionsOfLongExternalIDs(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.RateLimits = config.RateLimits{} })
	a := e.newOrg("A", originA)
	d1 := e.contact(a, device1)
	ws1 := e.newSession(a, d1, map[string]any{"external_id": "ws-1"})["id"].(string)
	long := strings.Repeat("<", 256) // JSON escapes each to six bytes
	for range 1100 {
		e.newSession(a, d1, map[string]any{"external_id": long})
	}
	u := e.verified(a, map[string]any{"user_id": "u-1", "external_id": "ws-1"})
	before := e.mem.Ops()
	if got := claimedIDs(t, e.claim(a, u, d1)); !slices.Equal(got, []string{ws1}) {
		t.Fatalf("claimed %q, want [%s]", got, ws1)
	}
	if d := e.mem.Ops()["get"] - before["get"]; d > 20 {
		t.Errorf("the claim read %d keys, want only its own few", d)
	}
	e.sees(t, a, u, []string{ws1}, nil)
}

// Every refusal of the contract, and nothing moved by any of them.
func TestClaimRefusals(t *testing.T) {
	e := newEnv(t)
	a, b := e.newOrg("A", originA), e.newOrg("B", originB)
	d1 := e.contact(a, device1)
	s := e.newSession(a, d1, nil)["id"].(string)
	u := e.verified(a, map[string]any{"user_id": "u-1"})
	uB := e.verified(b, map[string]any{"user_id": "u-1"})
	d1B := e.contact(b, device1)
	expiring := e.contact(a, device2)
	e.newSession(a, expiring, nil)

	e.refused(t, 401, "unauthorized", func() resp { return e.claim(a, "", d1) })
	e.refused(t, 403, "forbidden", func() resp { return e.claim(a, d1, d1) })
	e.refused(t, 401, "invalid_token", func() resp { return e.claim(a, uB, d1) }) // a verified token of another org
	r := e.refused(t, 400, "invalid_request", func() resp { return e.claim(a, u, "") })
	checkErrorNames(t, r, 400, "invalid_request", "X-Contact-Token")
	e.refused(t, 400, "invalid_request", func() resp { return e.claim(a, u, "   ") })
	e.refused(t, 401, "invalid_token", func() resp { return e.claim(a, u, "not-a-token") })
	e.refused(t, 401, "invalid_token", func() resp { return e.claim(a, u, d1+"x") })
	e.refused(t, 401, "invalid_token", func() resp { return e.claim(a, u, d1B) }) // a contact token of org B
	e.refused(t, 401, "invalid_token", func() resp { return e.claim(a, u, u) })   // a verified token as the contact token
	u2 := e.verified(a, map[string]any{"user_id": "u-2"})
	e.refused(t, 401, "invalid_token", func() resp { return e.claim(a, u, u2) })
	// A widget token of org B with org A's tokens.
	e.refused(t, 401, "invalid_token", func() resp {
		return e.widget(b, u, "POST", "/v1/widget/claim", nil, "X-Contact-Token", d1)
	})
	// Org B's user with org B's widget token and org A's contact token.
	e.refused(t, 401, "invalid_token", func() resp {
		return e.widget(b, uB, "POST", "/v1/widget/claim", nil, "X-Contact-Token", d1)
	})

	// An expired contact token (contact tokens live an hour here).
	e.clock.Advance(2 * time.Hour)
	e.refused(t, 401, "token_expired", func() resp { return e.claim(a, u, expiring) })
	// A revoked verified token.
	fresh := e.verified(a, map[string]any{"user_id": "u-1"})
	liveContact := e.contact(a, device1)
	e.clock.Advance(time.Second)
	if r := e.server(a, "POST", "/v1/users/revoke", map[string]any{"user_id": "u-1"}); r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Raw)
	}
	e.refused(t, 401, "token_revoked", func() resp { return e.claim(a, fresh, liveContact) })
	e.refused(t, 405, "method_not_allowed", func() resp { return e.widget(a, fresh, "GET", "/v1/widget/claim", nil) })

	// After all that, the session is still the device's.
	e.sees(t, a, liveContact, []string{s}, nil)
}

// A device with 200 sessions is claimed whole by one request, within
// Workers' limit of 1,000 KV operations per invocation. One with more is
// claimed in part, each request within that limit, and claiming again moves
// the rest, until a claim answers [] (the widget claims until then).
func TestClaimOfManySessions(t *testing.T) {
	for _, n := range []int{200, 300} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			// Limits off: one device making hundreds of chats within a
			// minute is what they refuse.
			e := newEnv(t, func(c *config.Config) { c.RateLimits = config.RateLimits{} })
			a := e.newOrg("A", originA)
			d1 := e.contact(a, device1)
			var made []string
			for range n {
				made = append(made, e.newSession(a, d1, nil)["id"].(string))
			}
			u := e.verified(a, map[string]any{"user_id": "u-1"})
			var claimed, rounds []string
			for {
				before := e.mem.Ops()
				got := claimedIDs(t, e.claim(a, u, d1))
				total := 0
				for k, v := range e.mem.Ops() {
					total += v - before[k]
				}
				if total > 1000 {
					t.Errorf("a claim took %d KV operations, over Workers' 1,000", total)
				}
				rounds = append(rounds, fmt.Sprintf("%d sessions in %d operations", len(got), total))
				if len(got) == 0 || len(rounds) > 5 {
					break
				}
				claimed = append(claimed, got...)
			}
			t.Logf("claims: %q", rounds)
			if want := 2 + n/250; len(rounds) != want {
				t.Errorf("%d claims to move %d sessions, want %d: %q", len(rounds), n, want, rounds)
			}
			if !slices.Equal(sorted(claimed), sorted(made)) {
				t.Fatalf("claimed %d sessions, want the %d made", len(claimed), n)
			}
			e.sees(t, a, d1, nil, made[:3])
			var all []string
			cursor := ""
			for {
				p := e.widget(a, u, "GET", "/v1/widget/sessions?limit=100"+cursor, nil)
				all = append(all, listIDs(t, p)...)
				next, _ := p.Body["next_cursor"].(string)
				if next == "" {
					break
				}
				cursor = "&cursor=" + next
			}
			if !slices.Equal(sorted(all), sorted(made)) {
				t.Errorf("the user lists %d sessions, want the %d claimed", len(all), n)
			}
		})
	}
}

// The org's views show a claimed session's owner as the user, with the
// user's record id.
func TestClaimedSessionOwnerInTheOrgsViews(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	d1 := e.contact(a, device1)
	s := e.newSession(a, d1, nil)["id"].(string)
	auth := e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "u-1", "email": "ann@example.com"})
	u, uid := auth.Body["token"].(string), auth.Body["user"].(map[string]any)["id"].(string)
	claimedIDs(t, e.claim(a, u, d1))
	for _, r := range []resp{e.server(a, "GET", "/v1/sessions/"+s, nil), e.server(a, "GET", "/v1/sessions?user_id=u-1", nil)} {
		var sess map[string]any
		if x, ok := r.Body["session"].(map[string]any); ok {
			sess = x
		} else if items, _ := r.Body["items"].([]any); len(items) == 1 {
			sess = items[0].(map[string]any)
		}
		o, _ := sess["owner"].(map[string]any)
		if o["kind"] != "user" || o["id"] != uid || o["user_id"] != "u-1" || sess["verified"] != false || sess["claimed_at"] == nil {
			t.Errorf("org view of a claimed session: %s", r.Raw)
		}
	}
}

// An erased contact's token is a token of that person: from the erasure's
// answer on it is refused as X-Contact-Token too (token_revoked), so that no
// claim carries the erased person's chats away from the erasure, and the
// erasure still leaves nothing of them.
func TestClaimWithAnErasedContactsToken(t *testing.T) {
	e := newQueuedEnv(t)
	a := e.newOrg("A", originA)
	carl := &person{token: e.contact(a, device1, map[string]any{"name": "Carl Erased"})}
	e.chat(a, carl, 2, 1, "erasedclaim")
	u := e.verified(a, map[string]any{"user_id": "u-claimer"})
	if r := e.widget(a, carl.token, "DELETE", "/v1/widget/me", nil); r.Status != 202 {
		t.Fatalf("erase: %d %s", r.Status, r.Raw)
	}
	e.refused(t, 401, "token_revoked", func() resp { return e.claim(a, u, carl.token) })
	e.sees(t, a, u, nil, carl.sessions)
	e.drain()
	if left := holding(e.mem, carl.marks...); len(left) > 0 {
		t.Errorf("left of the erased contact: %v", left)
	}
}

// A contact's retry of a session creation whose session was claimed since
// is served as a new request: the contact no longer sees that session, so
// its replay does not hand it back.
func TestARetryAfterAClaimDoesNotHandBackTheClaimedSession(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A", originA)
	d1 := e.contact(a, device1)
	create := func() resp {
		return e.widget(a, d1, "POST", "/v1/widget/sessions", map[string]any{}, "Idempotency-Key", "k-1")
	}
	first := create().Body["session"].(map[string]any)["id"].(string)
	u := e.verified(a, map[string]any{"user_id": "u-1"})
	claimedIDs(t, e.claim(a, u, d1))
	again := create()
	id, _ := again.Body["session"].(map[string]any)["id"].(string)
	if again.Status != 201 || id == first || again.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the retry after the claim: %d %v %s", again.Status, again.Header, again.Raw)
	}
	e.sees(t, a, d1, []string{id}, []string{first})
	e.sees(t, a, u, []string{first}, []string{id})
	// The new session's answer replays from then on.
	if r := create(); r.Body["session"].(map[string]any)["id"] != id || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry of the retry: %d %v %s", r.Status, r.Header, r.Raw)
	}
}
