//go:build !js

package e2e

import (
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

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
