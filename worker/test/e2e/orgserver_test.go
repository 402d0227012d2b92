//go:build !js

package e2e

import (
	"fmt"
	"maps"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

func near(t testing.TB, what string, got, want time.Time, tol time.Duration) {
	t.Helper()
	if d := got.Sub(want); d < -tol || d > tol {
		t.Errorf("%s = %s, want about %s (±%s)", what, got.UTC().Format(time.RFC3339), want.UTC().Format(time.RFC3339), tol)
	}
}

func manyKeys(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = i
	}
	return m
}

// longEmail returns a valid address of exactly n characters (n ≥ 70): a
// local part of 64 and a domain of labels of at most 63.
func longEmail(n int) string {
	domain := []byte(strings.Repeat("b", n-64-len("@.com")))
	for i := 63; i < len(domain); i += 64 {
		domain[i] = '.'
	}
	if last := len(domain) - 1; domain[last] == '.' { // no empty label before .com
		domain[last-1], domain[last] = '.', 'b'
	}
	return strings.Repeat("a", 64) + "@" + string(domain) + ".com"
}

func TestAuthenticateWithUserID(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("user")
	custom := map[string]any{"plan": "pro", "seats": 3.0, "nested": map[string]any{"a": map[string]any{"b": true}}}
	before := time.Now()
	a := o.authenticate(t, map[string]any{
		"user_id":     uid,
		"email":       "Ann.Verified@Example.com",
		"name":        "Ann Verified",
		"avatar_url":  "https://cdn.example/ann.png",
		"phone":       "+15555550100",
		"custom_data": custom,
	})
	u := a.User
	match(t, "user", u, M{"id": contract.NonEmpty, "user_id": uid, "email": contract.Fold("Ann.Verified@Example.com"),
		"name": "Ann Verified", "avatar_url": "https://cdn.example/ann.png", "phone": "+15555550100", "custom_data": custom, "external_id": nil, "verified": true})
	exp := rfc3339UTC(t, "expires_at", a.ExpiresAt)
	near(t, "expires_at (default lifetime)", exp, before.Add(24*time.Hour), 10*time.Minute)
	claims := jwtClaims(t, a.Token)
	if e, ok := claims["exp"].(float64); !ok || math.Abs(e-float64(exp.Unix())) > 1 {
		t.Errorf("token exp claim %v does not match expires_at %s", claims["exp"], a.ExpiresAt)
	}
	match(t, "token aud", audience(claims), o.ID)

	// The widget sees the same user, verified.
	match(t, "GET /v1/widget/me with a verified token", o.me(t, a.Token), M{"contact": nil,
		"user": M{"id": u.ID, "user_id": uid, "name": "Ann Verified", "custom_data": custom, "verified": true}})

	// Authenticating again is the same user, with the newest data.
	a2 := o.authenticate(t, map[string]any{"user_id": uid, "name": "Ann Renamed"})
	match(t, "second authenticate", a2.User, M{"id": u.ID, "name": "Ann Renamed"})
}

func TestAuthenticateWithEmailOnly(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	local := strings.ToLower(uniq("ann"))
	a1 := o.authenticate(t, map[string]any{"email": strings.ToUpper(local[:1]) + local[1:] + "@X.com"})
	a2 := o.authenticate(t, map[string]any{"email": local + "@x.com"})
	match(t, "ann@x.com's user, Ann@X.com's (the identity key is the lower-cased email)", a2.User.ID, a1.User.ID)
	match(t, "user without user_id", a1.User, M{"user_id": contract.OneOf(nil, ""), "verified": true})
	s := createSession(t, o.widget(a1.Token), nil)
	sameSet(t, "sessions seen by the lower-case email's token", sessionIDs(widgetSessions(t, o.widget(a2.Token), nil)), []string{s.ID})
	widgetSession(t, o.widget(a2.Token), s.ID)

	// A different address is a different user.
	a3 := o.authenticate(t, map[string]any{"email": "other-" + local + "@x.com"})
	match(t, "another email's user", a3.User.ID, contract.Not(a1.User.ID))
	sameSet(t, "another email sees", sessionIDs(widgetSessions(t, o.widget(a3.Token), nil)), nil)
}

// A new user's pages loading together each ask the org's server for a
// token: the authentications at once answer the one user id the org's views
// then show as the sessions' owner.
func TestFirstAuthenticationsAtOnce(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	for range 5 {
		uid := uniq("u")
		ids := make([]string, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				ids[i] = o.authenticate(t, map[string]any{"user_id": uid, "name": fmt.Sprint("page ", i)}).User.ID
			})
		}
		wg.Wait()
		a := o.authenticate(t, map[string]any{"user_id": uid})
		s := createSession(t, o.widget(a.Token), nil)
		owner := orgSession(t, o, s.ID).Session.Owner
		for i, id := range ids {
			match(t, fmt.Sprintf("page %d's user id", i), id, a.User.ID)
		}
		match(t, "the session's owner", owner, M{"kind": "user", "id": a.User.ID})
	}
}

func TestAuthenticateLimits(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("limits")
	orig := o.authenticate(t, map[string]any{"user_id": uid, "name": "Original", "email": "orig@x.com", "custom_data": map[string]any{"v": 1}})

	deep4 := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": 1}}}}
	deep3 := map[string]any{"a": map[string]any{"b": map[string]any{"c": 1}}}
	big := map[string]any{"k": strings.Repeat("x", 8200)}
	fits := map[string]any{"k": strings.Repeat("x", 8000)}
	// with is a body of the original user with one field more.
	with := func(field string, v any) map[string]any { return map[string]any{"user_id": uid, field: v} }
	refuses(t, "refused", o.api(), "/v1/users/authenticate", []refusal{
		{"neither user_id nor email", map[string]any{"name": "x"}, []string{"invalid_request"}, ""},
		{"empty user_id and no email", map[string]any{"user_id": ""}, []string{"invalid_request"}, ""},
		{"malformed json", contract.Raw(`{"user_id": "` + uid + `", `), []string{"invalid_json"}, ""},
		{"bad email", with("email", "not-an-email"), []string{"invalid_email"}, ""},
		{"email without domain", with("email", "ann@"), []string{"invalid_email"}, ""},
		{"email without local part", with("email", "@x.com"), []string{"invalid_email"}, ""},
		{"email with a space", with("email", "ann smith@x.com"), []string{"invalid_email"}, ""},
		{"email alone and bad", map[string]any{"email": "nope"}, []string{"invalid_email"}, ""},
		{"email of 255 characters", with("email", longEmail(255)), []string{"invalid_email", "invalid_request"}, ""},
		{"email number", with("email", 5), []string{"invalid_request"}, "email"},
		{"ttl 59", with("ttl_seconds", 59), nil, "ttl_seconds"},
		{"ttl 0", with("ttl_seconds", 0), nil, "ttl_seconds"},
		{"ttl -1", with("ttl_seconds", -1), nil, "ttl_seconds"},
		{"ttl 2592001", with("ttl_seconds", 2592001), nil, "ttl_seconds"},
		{"ttl fractional", with("ttl_seconds", 60.5), nil, "ttl_seconds"},
		{"ttl string", with("ttl_seconds", "3600"), nil, "ttl_seconds"},
		{"custom_data 51 keys", with("custom_data", manyKeys(51)), nil, "custom_data"},
		{"custom_data over 8 KiB", with("custom_data", big), nil, "custom_data"},
		{"custom_data 4 levels", with("custom_data", deep4), nil, "custom_data"},
		{"custom_data string", with("custom_data", "x"), nil, "custom_data"},
		{"custom_data array", with("custom_data", []any{1}), nil, "custom_data"},
		{"custom_data number", with("custom_data", 5), nil, "custom_data"},
		{"name 201 characters", with("name", strings.Repeat("n", 201)), nil, "name"},
		{"name number", with("name", 5), nil, "name"},
		{"user_id 257 characters", map[string]any{"user_id": strings.Repeat("u", 257)}, nil, "user_id"},
		{"user_id with a newline", map[string]any{"user_id": "a\nb"}, nil, "user_id"},
		{"user_id number", map[string]any{"user_id": 5}, nil, "user_id"},
		{"external_id 257 characters", with("external_id", strings.Repeat("e", 257)), nil, "external_id"},
		{"external_id with a control character", with("external_id", "ws\x01"), nil, "external_id"},
		{"external_id number", with("external_id", 5), nil, "external_id"},
		{"avatar_url number", with("avatar_url", 5), nil, "avatar_url"},
		{"phone number type", with("phone", 5), nil, "phone"},
	})
	// None of the refused calls changed the user they named.
	match(t, "after refused authenticate calls the user", o.me(t, orig.Token).User, M{"name": "Original", "custom_data": map[string]any{"v": 1}, "email": "orig@x.com", "external_id": nil})

	good := []struct {
		name string
		body map[string]any
		ttl  time.Duration
	}{
		{"ttl 60", with("ttl_seconds", 60), time.Minute},
		{"ttl 2592000", with("ttl_seconds", 2592000), 30 * 24 * time.Hour},
		{"custom_data 50 keys", with("custom_data", manyKeys(50)), 24 * time.Hour},
		{"custom_data 3 levels", with("custom_data", deep3), 24 * time.Hour},
		{"custom_data under 8 KiB", with("custom_data", fits), 24 * time.Hour},
		{"name of 200 characters", with("name", strings.Repeat("é", 200)), 24 * time.Hour},
		{"email of 254 characters", with("email", longEmail(254)), 24 * time.Hour},
		{"user_id of 256 characters", map[string]any{"user_id": strings.Repeat("u", 256)}, 24 * time.Hour},
		{"external_id of 256 characters", map[string]any{"user_id": uniq("ext"), "external_id": strings.Repeat("e", 256)}, 24 * time.Hour},
	}
	t.Run("accepted", func(t *testing.T) {
		for _, c := range good {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				body := maps.Clone(c.body)
				if body["user_id"] == uid {
					body["user_id"] = uniq("good") // keep the original user untouched: another identity
				}
				before := time.Now()
				a := o.authenticate(t, body)
				near(t, "expires_at", rfc3339UTC(t, "expires_at", a.ExpiresAt), before.Add(c.ttl), 10*time.Minute)
				want := M(maps.Clone(body))
				delete(want, "ttl_seconds")
				match(t, "user", a.User, want)
				match(t, "GET /v1/widget/me: the token works in the widget", o.me(t, a.Token), M{"user": M{"id": a.User.ID}})
			})
		}
	})
}

// TestRevoke: revoking an identity, by user_id or by its email in another
// case, refuses its tokens issued before; one issued after works at once and
// sees the data, and other identities and contacts are untouched.
func TestRevoke(t *testing.T) {
	t.Parallel()
	local := strings.ToLower(uniq("revoked"))
	for _, c := range []struct {
		name          string
		issued, fresh map[string]any // the bodies authenticating before and after the revoke
	}{
		{"user_id", map[string]any{"user_id": local}, map[string]any{"user_id": local}},
		{"email", map[string]any{"email": "Bob." + local + "@X.com"}, map[string]any{"email": "bob." + local + "@x.com"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := newOrg(t)
			old := o.authenticate(t, c.issued)
			wOld := o.widget(old.Token)
			s := createSession(t, wOld, nil)
			say(t, wOld, s.ID, "before revoke")
			bystander := o.authenticate(t, map[string]any{"user_id": uniq("bystander")})
			contact := o.contactToken(t)

			rv := as[contract.Revoked](o.api().post(t, "/v1/users/revoke", c.fresh), 200)
			rb := rfc3339UTC(t, "revoked_before", rv.RevokedBefore)
			if iat, ok := jwtClaims(t, old.Token)["iat"].(float64); ok && !rb.IsZero() && float64(rb.Unix()) < iat {
				t.Errorf("revoked_before %s is before the revoked token's iat %v", rv.RevokedBefore, iat)
			}
			// The attack suite's class token-revoked holds the refusal on every
			// widget route, with nothing stored.
			wOld.get(t, "/v1/widget/me").fails(401, "token_revoked")

			fresh := o.authenticate(t, c.fresh)
			match(t, "GET /v1/widget/me with the fresh token", o.me(t, fresh.Token), M{"user": M{"id": old.User.ID}})
			wNew := o.widget(fresh.Token)
			sameSet(t, "sessions seen with the fresh token", sessionIDs(widgetSessions(t, wNew, nil)), []string{s.ID})
			say(t, wNew, s.ID, "after revoke, new token")

			o.widget(bystander.Token).get(t, "/v1/widget/me").expect(200)
			o.widget(contact).get(t, "/v1/widget/me").expect(200)
			wOld.get(t, "/v1/widget/me").fails(401, "token_revoked")
		})
	}
}

func TestRevokeBadInput(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("keep")
	a := o.authenticate(t, map[string]any{"user_id": uid})
	refuses(t, "refused", o.api(), "/v1/users/revoke", []refusal{
		{"neither", map[string]any{}, []string{"invalid_request"}, ""},
		{"malformed", contract.Raw(`{"user_id":`), []string{"invalid_json"}, ""},
		{"user_id number", map[string]any{"user_id": 5}, []string{"invalid_request"}, ""},
		{"email number", map[string]any{"email": 5}, []string{"invalid_request"}, ""},
		{"bad email", map[string]any{"email": "nope"}, []string{"invalid_email"}, ""},
		{"array", contract.Raw(`[{"user_id":"` + uid + `"}]`), []string{"invalid_request"}, ""},
	})
	// No refused revoke revoked anything.
	o.widget(a.Token).get(t, "/v1/widget/me").expect(200)
}
