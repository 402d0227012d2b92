package api_test

import "testing"

// The org's server clears a verified user's optional text field by sending
// it as "" (the README: only user_id, email and external_id count as absent
// when empty), and keeps it by leaving it out or sending null: avatar_url as
// name and phone. The answer, /me and the export show the same.
func TestAuthenticateClearsAFieldSentEmpty(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A")
	full := map[string]any{"user_id": "u-ann", "name": "Ann", "avatar_url": "https://cdn.example/ann.png", "phone": "+1 555"}
	e.verified(a, full)
	for _, field := range []string{"name", "avatar_url", "phone"} {
		t.Run(field, func(t *testing.T) {
			e.verified(a, full)
			// Left out and null keep it.
			e.verified(a, map[string]any{"user_id": "u-ann"})
			r := e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "u-ann", field: nil})
			if got := r.Body["user"].(map[string]any)[field]; got != full[field] {
				t.Errorf("after null: %s %v, want %v kept", field, got, full[field])
			}
			// "" clears it.
			r = e.server(a, "POST", "/v1/users/authenticate", map[string]any{"user_id": "u-ann", field: ""})
			if r.Status != 200 {
				t.Fatalf("authenticate with %s \"\": %d %s", field, r.Status, r.Raw)
			}
			tok := r.Body["token"].(string)
			me := e.widget(a, tok, "GET", "/v1/widget/me", nil)
			export := e.server(a, "GET", "/v1/users/export?user_id=u-ann", nil)
			for name, user := range map[string]any{"answer": r.Body["user"], "/me": me.Body["user"], "export": export.Body["user"]} {
				u, ok := user.(map[string]any)
				if !ok {
					t.Fatalf("%s: no user", name)
				}
				if v, present := u[field]; !present || v != nil {
					t.Errorf("%s: %s %v after it was sent as \"\", want null", name, field, v)
				}
			}
		})
	}
}
