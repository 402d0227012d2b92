package api_test

import (
	"encoding/json"
	"testing"
)

// invisibleNames show nothing: each is trimmed to "" by every name field, as
// a name of white space is.
var invisibleNames = []string{"\u200b", "\u202e", "\ufeff", "\u00a0\u200b\u2066\u200d", "\u3164"}

// TestInvisibleNamesAreEmpty: a name of nothing visible (zero-width, bidi
// controls, a BOM, Hangul fillers) is trimmed like one of white space: the
// org's name, required, is refused on create and PATCH; the optional names
// (a contact's, a user's, a message's author_name) are stored as the empty
// name is. A visible name keeps what it holds inside and the emoji
// presentation selector at its end.
func TestInvisibleNamesAreEmpty(t *testing.T) {
	e := newEnv(t)
	o := e.newOrg("Shop", originA)
	for _, name := range invisibleNames {
		e.refused(t, 400, "invalid_request", func() resp {
			return e.admin("POST", "/v1/admin/orgs", map[string]any{"name": name, "allowed_origins": []string{}})
		})
		r := e.refused(t, 400, "invalid_request", func() resp {
			return e.admin("PATCH", "/v1/admin/orgs/"+o.ID, map[string]any{"name": name})
		})
		checkErrorNames(t, r, 400, "invalid_request", "name")
	}

	sameAs := func(what string, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s: %s, want %s (as for the empty name)", what, g, w)
		}
	}
	contactName := func(name string) any {
		r := e.widget(o, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1, "name": name}, "Origin", originA)
		if r.Status != 200 {
			t.Fatalf("contact: %d %s", r.Status, r.Raw)
		}
		return r.Body["contact"].(map[string]any)["name"]
	}
	userName := func(name string) any {
		r := e.server(o, "POST", "/v1/users/authenticate", map[string]any{"user_id": "u1", "name": name})
		if r.Status != 200 {
			t.Fatalf("authenticate: %d %s", r.Status, r.Raw)
		}
		return r.Body["user"].(map[string]any)["name"]
	}
	session := e.newSession(o, e.contact(o, device2), nil)["id"].(string)
	authorName := func(name string) any {
		r := e.server(o, "POST", "/v1/sessions/"+session+"/messages", map[string]any{"content": "hi", "author_name": name})
		if r.Status != 201 {
			t.Fatalf("agent message: %d %s", r.Status, r.Raw)
		}
		return r.Body["message"].(map[string]any)["author_name"]
	}
	emptyContact, emptyUser, emptyAuthor := contactName(""), userName(""), authorName("")
	for _, name := range invisibleNames {
		sameAs("contact name "+name, contactName(name), emptyContact)
		sameAs("user name "+name, userName(name), emptyUser)
		sameAs("author_name "+name, authorName(name), emptyAuthor)
	}

	visible := "\u200b\u202eShop\u200f \u2764\ufe0f\ufeff"
	r := e.admin("POST", "/v1/admin/orgs", map[string]any{"name": visible, "allowed_origins": []string{}})
	if r.Status != 201 || r.Body["org"].(map[string]any)["name"] != "\u202eShop\u200f \u2764\ufe0f" {
		t.Errorf("create %+q: %d %s", visible, r.Status, r.Raw)
	}
	sameAs("contact name", contactName("\u200bZoë\u200d"), "Zoë\u200d")
	sameAs("user name", userName("\u00a0👨\u200d👩\u200d👧\u200b"), "👨\u200d👩\u200d👧")
	sameAs("author_name", authorName("\ufeffمحمد\u200f علي\u2060"), "محمد\u200f علي")
}
