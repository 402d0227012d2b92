//go:build !js

package e2e

import (
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

func TestRevoke(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	uid := uniq("revoked")
	old := o.authenticate(t, map[string]any{"user_id": uid})
	wOld := o.widget(old.Token)
	s := createSession(t, wOld, nil)
	say(t, wOld, s.ID, "before revoke")

	bystander := o.authenticate(t, map[string]any{"user_id": uniq("bystander")})
	contact := o.contactToken(t)

	var rv struct {
		RevokedBefore string `json:"revoked_before"`
	}
	o.api().post(t, "/v1/users/revoke", map[string]any{"user_id": uid}).ok(200, &rv)
	rb := rfc3339UTC(t, "revoked_before", rv.RevokedBefore)
	if iat, ok := jwtClaims(t, old.Token)["iat"].(float64); ok && !rb.IsZero() && float64(rb.Unix()) < iat {
		t.Errorf("revoked_before %s is before the revoked token's iat %v", rv.RevokedBefore, iat)
	}

	// The old token is refused (on every widget route, with nothing
	// stored: the attack suite's class token-revoked).
	wOld.get(t, "/v1/widget/me").fails(401, "token_revoked")

	// A token issued after the revoke works at once, and still sees the data.
	fresh := o.authenticate(t, map[string]any{"user_id": uid})
	wNew := o.widget(fresh.Token)
	match(t, "GET /v1/widget/me with the fresh token", o.me(t, fresh.Token), M{"user": M{"id": old.User.ID}})
	sameSet(t, "sessions seen with the fresh token", sessionIDs(widgetSessions(t, wNew, nil)), []string{s.ID})
	say(t, wNew, s.ID, "after revoke, new token")

	// Other identities and contacts are untouched.
	o.widget(bystander.Token).get(t, "/v1/widget/me").expect(200)
	o.widget(contact).get(t, "/v1/widget/me").expect(200)

	// And the old token stays refused.
	wOld.get(t, "/v1/widget/me").fails(401, "token_revoked")
}

func TestRevokeByEmail(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	local := strings.ToLower(uniq("bob"))
	old := o.authenticate(t, map[string]any{"email": "Bob." + local + "@X.com"})
	o.api().post(t, "/v1/users/revoke", map[string]any{"email": "bob." + local + "@x.com"}).expect(200)
	o.widget(old.Token).get(t, "/v1/widget/me").fails(401, "token_revoked")
	fresh := o.authenticate(t, map[string]any{"email": "bob." + local + "@x.com"})
	o.widget(fresh.Token).get(t, "/v1/widget/me").expect(200)
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
