package api_test

// Issue 19, from outside with an org's api key: identity keys of two kinds
// never meet, Unicode folding merges nobody, a deleted api key's tokens die
// with it, and no token carries a device id.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/testclock"
)

// 1. A user_id that looks like an email is not that email.
func TestUserIDThatLooksLikeAnEmailIsNotThatEmail(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A")
	carol := e.verified(a, map[string]any{"email": "Carol@Example.com"})
	sess := e.newSession(a, carol, nil)["id"].(string)
	post(t, e, a, carol, sess, "carol's secret")
	for _, body := range []map[string]any{
		{"user_id": "carol@example.com"},
		{"user_id": "Carol@Example.com"},
		{"user_id": "e:carol@example.com"},
		{"user_id": "carol@example.com", "email": "carol@example.com"},
	} {
		impostor := e.verified(a, body)
		e.sees(t, a, impostor, nil, []string{sess})
	}
	// And the other way: an email identity never sees a user_id's sessions.
	u := e.verified(a, map[string]any{"user_id": "dave@example.com"})
	uSess := e.newSession(a, u, nil)["id"].(string)
	e.sees(t, a, e.verified(a, map[string]any{"email": "dave@example.com"}), nil, []string{uSess})
	// Revoking the look-alike user_id does not revoke the email's tokens.
	if r := e.server(a, "POST", "/v1/users/revoke", map[string]any{"user_id": "carol@example.com"}); r.Status != 200 {
		t.Fatal(r.Raw)
	}
	e.clock.Advance(time.Millisecond)
	e.sees(t, a, carol, []string{sess}, nil)
}

// 2. Unicode case folding merges different emails: such addresses are
// refused, and the ASCII folding of the contract still merges what it says.
func TestUnicodeCaseFoldingMergesNobody(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A")
	kim := e.verified(a, map[string]any{"email": "kim@example.com"})
	sess := e.newSession(a, kim, nil)["id"].(string)
	for _, email := range []string{"\u212aim@example.com", "K\u0130M@example.com", "k\u0131m@example.com", "\u212aIM@EXAMPLE.COM"} {
		for _, route := range []string{"/v1/users/authenticate", "/v1/users/revoke"} {
			e.refused(t, 400, "invalid_email", func() resp { return e.server(a, "POST", route, map[string]any{"email": email}) })
		}
		e.refused(t, 400, "invalid_email", func() resp {
			return e.widget(a, "", "POST", "/v1/widget/contacts", map[string]any{"device_id": device1, "email": email})
		})
	}
	// ASCII case is one person.
	e.sees(t, a, e.verified(a, map[string]any{"email": "KIM@Example.COM"}), []string{sess}, nil)
	// Look-alikes from other scripts are other people.
	e.sees(t, a, e.verified(a, map[string]any{"email": "\u043aim@example.com"}), nil, []string{sess})
	// kim's tokens stand.
	e.sees(t, a, kim, []string{sess}, nil)
}

// 5. Deleting an api key refuses the verified tokens it issued, on the next
// request, and nobody else's.
func TestDeletedAPIKeysTokensAreRevoked(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A")
	r := e.admin("POST", "/v1/admin/orgs/"+a.ID+"/api-keys", nil)
	if r.Status != 201 {
		t.Fatal(r.Raw)
	}
	second := a
	second.SK, second.KeyID = r.Body["api_key"].(map[string]any)["secret"].(string), r.Body["api_key"].(map[string]any)["id"].(string)
	leaked := e.verified(a, map[string]any{"user_id": "u-1"})
	sess := e.newSession(a, leaked, nil)["id"].(string)
	kept := e.verified(second, map[string]any{"user_id": "u-1"})
	contact := e.contact(a, device1)

	if r := e.admin("DELETE", "/v1/admin/orgs/"+a.ID+"/api-keys/"+a.KeyID, nil); r.Status != 204 {
		t.Fatal(r.Raw)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/widget/me", ""},
		{"GET", "/v1/widget/sessions", ""},
		{"POST", "/v1/widget/sessions", `{}`},
		{"GET", "/v1/widget/sessions/" + sess, ""},
		{"POST", "/v1/widget/sessions/" + sess + "/messages", `{"content":"hi"}`},
	} {
		e.refused(t, 401, "token_revoked", func() resp { return e.widget(a, leaked, c.method, c.path, c.body) })
	}
	// The same identity's token of the other key, and contacts, stand.
	e.sees(t, a, kept, []string{sess}, nil)
	if r := e.widget(a, contact, "GET", "/v1/widget/me", nil); r.Status != 200 {
		t.Errorf("contact after a key deletion: %d %s", r.Status, r.Raw)
	}
}

// claimsOf decodes a token's payload without checking it.
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// 6. No claim of any token the worker issues holds a device id, and the
// store keeps only its hash: a leaked token or a read of KV mints nothing.
func TestNoTokenOrRecordHoldsTheDeviceID(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.DemoRoutes = true })
	a := e.newOrg("A")
	contact := e.contact(a, device1, map[string]any{"name": "Ann", "email": "ann@example.com", "custom_data": map[string]any{"d": "x"}})
	r := e.widget(a, contact, "GET", "/v1/widget/me", nil)
	id := r.Body["contact"].(map[string]any)["id"].(string)
	c := claimsOf(t, contact)
	if c["sub"] != id || c["cid"] != id {
		t.Errorf("contact token claims %v: sub and cid must be the contact id %s", c, id)
	}
	sess := e.newSession(a, contact, nil)["id"].(string)
	if r := e.widget(a, contact, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": "hi"}, "Idempotency-Key", "k1"); r.Status != 201 {
		t.Fatal(r.Raw)
	}
	tokens := []string{contact, e.verified(a, map[string]any{"user_id": device1}), e.verified(a, map[string]any{"email": "ann@example.com"})}
	for _, tok := range tokens {
		for k, v := range claimsOf(t, tok) {
			if s, ok := v.(string); ok && strings.Contains(s, device1) && k != "uid" && k != "sub" {
				t.Errorf("claim %s = %q holds the device id", k, s)
			}
			if k == "sub" && claimsOf(t, tok)["kind"] == "contact" && strings.Contains(v.(string), device1) {
				t.Errorf("contact token's sub holds the device id")
			}
		}
	}
	for k, v := range e.mem.Snapshot() {
		if strings.Contains(k, device1) || strings.Contains(v, device1) {
			// The only mention allowed is the verified user whose user_id we
			// chose to equal it.
			if !strings.Contains(v, `"user_id":"`+device1+`"`) && !strings.Contains(v, `"uid"`) {
				t.Errorf("KV %q holds the device id: %.200s", k, v)
			}
		}
	}
	// The same device gets the same contact back.
	if again := claimsOf(t, e.contact(a, device1)); again["sub"] != id {
		t.Errorf("same device, contact %v, want %s", again["sub"], id)
	}
}

func post(t *testing.T, e *env, o orgInfo, tok, sess, content string) {
	t.Helper()
	if r := e.widget(o, tok, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": content}); r.Status != 201 {
		t.Fatalf("post: %d %s", r.Status, r.Raw)
	}
}

// legacyKV is testdata/legacy-kv-17da277.json: the KV that version 17da277
// (before identity keys had kinds, when contact tokens carried the device
// id) left after orgs, users, contacts, sessions and messages were made
// through its API.
type legacyKV struct {
	SigningKeys string              `json:"signing_keys"`
	Orgs        map[string]orgInfo  `json:"orgs"`
	Devices     map[string]string   `json:"devices"`
	Sessions    map[string][]string `json:"sessions"`
	Items       []struct {
		Key      string          `json:"key"`
		Value    string          `json:"value"`
		Metadata json.RawMessage `json:"metadata"`
	} `json:"items"`
}

// Stored data from before the change keeps working: every identity finds its
// sessions with the same request as before, and nobody else does.
func TestDataOfThePreviousVersionKeepsWorking(t *testing.T) {
	b, err := os.ReadFile("testdata/legacy-kv-17da277.json")
	if err != nil {
		t.Fatal(err)
	}
	var old legacyKV
	if err := json.Unmarshal(b, &old); err != nil {
		t.Fatal(err)
	}
	mem := kv.NewMemory()
	for _, it := range old.Items {
		var meta []byte
		if len(it.Metadata) > 0 && string(it.Metadata) != "null" {
			meta = it.Metadata
		}
		if err := mem.Put(context.Background(), it.Key, []byte(it.Value), kv.PutOptions{Metadata: meta}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, _, cfg := buildAPI(t, nil)
	clock := testclock.New(time.Now().UTC())
	h, err := api.New(mem, cfg, api.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{harness: &harness{t: t, h: h, mem: mem}, clock: clock, cfg: cfg}
	a, orgB := old.Orgs["a"], old.Orgs["b"]

	carol := e.verified(a, map[string]any{"user_id": "u-carol"})
	dana := e.verified(a, map[string]any{"email": "dana@example.com"})
	d1 := e.contact(a, old.Devices["device1"])
	d2 := e.contact(a, old.Devices["device2"])
	bd1 := e.contact(orgB, old.Devices["device1"])
	all := append(append(append([]string{}, old.Sessions["carol"]...), old.Sessions["dana"]...), append(old.Sessions["device1"], old.Sessions["device2"]...)...)
	others := func(mine []string) []string {
		var out []string
		for _, id := range all {
			if !strings.Contains(strings.Join(mine, ","), id) {
				out = append(out, id)
			}
		}
		return out
	}
	for name, c := range map[string]struct {
		tok  string
		mine []string
	}{
		"carol (user_id)": {carol, old.Sessions["carol"]},
		"dana (email)":    {dana, old.Sessions["dana"]},
		"device 1":        {d1, old.Sessions["device1"]},
		"device 2":        {d2, old.Sessions["device2"]},
	} {
		t.Run(name, func(t *testing.T) {
			e.sees(t, a, c.tok, c.mine, others(c.mine))
			for _, id := range c.mine {
				r := e.widget(a, c.tok, "GET", "/v1/widget/sessions/"+id, nil)
				if msgs, _ := r.Body["messages"].([]any); len(msgs) != 1 {
					t.Errorf("session %s: messages %s", id, r.Raw)
				}
			}
		})
	}
	e.sees(t, orgB, bd1, old.Sessions["b_device1"], nil)
	// The kinds stay apart in old data too: a user_id that is dana's email
	// is somebody new.
	e.sees(t, a, e.verified(a, map[string]any{"user_id": "dana@example.com"}), nil, all)
	// The org's filters still find them.
	if got := listIDs(t, e.server(a, "GET", "/v1/sessions?user_id=u-carol", nil)); len(got) != 2 {
		t.Errorf("GET /v1/sessions?user_id=u-carol: %v", got)
	}
	// Nothing of the old layout is left: no device id in the clear.
	for k, v := range mem.Snapshot() {
		for _, d := range old.Devices {
			if strings.Contains(k, d) || strings.Contains(v, d) {
				t.Errorf("after the move, KV %q still holds device id %s: %.200s", k, d, v)
			}
		}
	}
}
