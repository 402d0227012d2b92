package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// The org's view of a session adds "owner": a contact's kind and id, a
// user's kind, id, user_id and email, the last two null when unknown.
func TestOrgSessionJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	base := identity.Session{ID: "s", CreatedAt: at, UpdatedAt: at}
	for _, c := range []struct {
		owner identity.Owner
		want  string
	}{
		{identity.Owner{Key: "c:c1", ContactID: "c1"}, `{"kind":"contact","id":"c1"}`},
		{identity.Owner{Key: "e:a@b.c", Verified: true, Email: "a@b.c", UID: "u1"}, `{"kind":"user","id":"u1","user_id":null,"email":"a@b.c"}`},
		{identity.Owner{Key: "u:x", Verified: true, UserID: "x"}, `{"kind":"user","id":null,"user_id":"x","email":null}`},
	} {
		s := base
		s.Owner = c.owner
		b, err := json.Marshal(orgSession{&s})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			ID    string          `json:"id"`
			Owner json.RawMessage `json:"owner"`
		}
		if err := json.Unmarshal(b, &got); err != nil || got.ID != "s" || string(got.Owner) != c.want {
			t.Errorf("%+v: %s, want owner %s", c.owner, b, c.want)
		}
	}
	if b, err := json.Marshal(orgSessionList{Items: []orgSession{{nil}}}); err != nil || string(b) != `{"items":[null],"next_cursor":null}` {
		t.Errorf("a nil session: %s %v", b, err)
	}
}
