//go:build !js

package e2e

import (
	"net/url"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// TestErasingAClaimerLeavesNothing: a verified user who claimed a device's
// chats is erased; once done, no key, value or metadata of the local KV
// holds their user_id, email or record id (the claim's marker held them in
// its metadata).
func TestErasingAClaimerLeavesNothing(t *testing.T) {
	o := newOrg(t)
	mark := uniq("claimer")
	uid, email := mark+"-uid", mark+"@example.com"
	user := o.authenticate(t, map[string]any{"user_id": uid, "email": email})
	contact := o.contact(t, newDevice(), nil)
	say(t, o.widget(contact.Token), createSession(t, o.widget(contact.Token), nil).ID, mark+" before the claim")
	claimed := typed(o.widget(user.Token).c.Claim(t.Context(), contact.Token)).want(t, 200)
	if len(claimed.Claimed) != 1 {
		t.Fatalf("claimed %d sessions, want 1", len(claimed.Claimed))
	}
	d := typed(o.api().c.DeleteUser(t.Context(), contract.Identity{UserID: uid})).want(t, 202)
	done := waitDone(t, o, d.Deletion.ID)
	match(t, "done", done.Deletion, M{"sessions": 1, "messages": 1})
	after := readKV(t)
	for _, k := range holdingAny(after, mark, user.User.ID) {
		t.Errorf("left of the erased claimer: %s = %.200q", k, after[k].Value+after[k].Metadata)
	}
	o.api().get(t, "/v1/users/export?user_id="+url.QueryEscape(uid)).fails(404, "not_found")
}
