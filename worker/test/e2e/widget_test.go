//go:build !js

package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

func TestContacts(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	dev := newDevice()
	before := time.Now()
	c1 := o.contact(t, dev, map[string]any{"name": "Sam", "email": "sam@x.com", "custom_data": map[string]any{"plan": "free", "n": 1}})
	match(t, "contact", c1.Contact, M{"verified": false, "name": "Sam", "email": "sam@x.com", "non_verified_custom_data": map[string]any{"plan": "free", "n": 1}})
	if exp := rfc3339UTC(t, "expires_at", c1.ExpiresAt); !exp.IsZero() && !exp.After(before) {
		t.Errorf("contact expires_at %s is not in the future", c1.ExpiresAt)
	}
	match(t, "contact token aud", audience(jwtClaims(t, c1.Token)), o.ID)
	match(t, "GET /v1/widget/me", o.me(t, c1.Token), M{"user": nil, "contact": M{"id": c1.Contact.ID, "verified": false,
		"name": "Sam", "non_verified_custom_data": map[string]any{"plan": "free", "n": 1}}})

	// Same device again: same contact, newest name and email.
	c2 := o.contact(t, dev, map[string]any{"name": "Samantha", "email": "samantha@x.com"})
	match(t, "same device: the same contact, newest name and email", c2.Contact, M{"id": c1.Contact.ID, "name": "Samantha", "email": "samantha@x.com"})
	match(t, "GET /v1/widget/me", o.me(t, c2.Token), M{"user": nil, "contact": M{"id": c1.Contact.ID, "name": "Samantha", "verified": false}})
	// That a new token of a device sees its sessions, and the same device in
	// another org none of them, are rows of the access table (rule 1).

	// Another device is another contact.
	c3 := o.contact(t, newDevice(), map[string]any{"name": "Sam", "email": "sam@x.com"})
	match(t, "two devices with the same name and email", c3.Contact, M{"id": contract.Not(c1.Contact.ID)})

	// Anonymous: no name or email at all.
	anonC := o.contact(t, newDevice(), nil)
	match(t, "anonymous contact", anonC.Contact, M{"name": contract.OneOf(nil, ""), "email": contract.OneOf(nil, "")})

	// Upper-case hex: either refused, or the same device as lower case.
	r := o.widget("").post(t, "/v1/widget/contacts", map[string]any{"device_id": strings.ToUpper(dev)})
	if r.Status == 400 {
		r.fails(400, "invalid_device_id")
	} else {
		up := as[contract.ContactSignedIn](r, 200)
		match(t, "upper-case form of a device id: one device, one contact", up.Contact.ID, c1.Contact.ID)
	}

	// The same device id in another org is another contact.
	co := newOrg(t).contact(t, dev, nil)
	match(t, "the same device id in another org", co.Contact, M{"id": contract.Not(c1.Contact.ID)})
}

// Tabs restored together send a device's first POST /v1/widget/contacts
// at once: they all get the one contact the device keeps, so that no tab
// holds a token naming chats the device never sees again (rule 1).
func TestFirstVisitsOfADeviceAtOnce(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	for range 5 {
		dev := newDevice()
		ids := make([]string, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() { ids[i] = o.contact(t, dev, map[string]any{"name": fmt.Sprint("tab ", i)}).Contact.ID })
		}
		wg.Wait()
		now := o.contact(t, dev, nil).Contact.ID
		for i, id := range ids {
			match(t, fmt.Sprintf("tab %d's contact", i), id, now)
		}
	}
}

func TestContactsBadInput(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	dev := newDevice()
	orig := o.contact(t, dev, map[string]any{"name": "Orig", "email": "orig@x.com", "custom_data": map[string]any{"v": 1}})

	badDevice := map[string]any{
		"v1 uuid":           "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		"v3 uuid":           "6fa459ea-ee8a-3ca4-894e-db77e160355e",
		"v5 uuid":           "886313e1-3b8a-5372-9b90-0c9aee199e5d",
		"v7 uuid":           "01890a5d-ac96-774b-bcce-b302099a8057",
		"nil uuid":          "00000000-0000-0000-0000-000000000000",
		"wrong variant":     "6ba7b810-9dad-41d1-c0b4-00c04fd430c8",
		"no hyphens":        strings.ReplaceAll(newDevice(), "-", ""),
		"braces":            "{" + newDevice() + "}",
		"urn":               "urn:uuid:" + newDevice(),
		"too short":         newDevice()[:35],
		"too long":          newDevice() + "0",
		"not hex":           "zzzzzzzz-zzzz-4zzz-azzz-zzzzzzzzzzzz",
		"garbage":           "not-a-device",
		"empty":             "",
		"spaces around":     " " + newDevice() + " ",
		"hyphens misplaced": "6ba7b8109-dad-41d1-80b4-00c04fd430c8",
		"trailing newline":  newDevice() + "\n",
		"path-like":         "../../" + newDevice(),
	}
	var devices []refusal
	for name, d := range badDevice {
		devices = append(devices, refusal{name, map[string]any{"device_id": d}, []string{"invalid_device_id"}, ""})
	}
	refuses(t, "device", o.widget(""), "/v1/widget/contacts", devices)
	// Missing or of the wrong type: a field missing or wrong is also invalid_request.
	either := []string{"invalid_device_id", "invalid_request"}
	refuses(t, "device missing or not a string", o.widget(""), "/v1/widget/contacts", []refusal{
		{"device missing", map[string]any{"name": "x"}, either, ""},
		{"device null", map[string]any{"device_id": nil}, either, ""},
		{"device number", map[string]any{"device_id": 5}, either, ""},
		{"device object", map[string]any{"device_id": map[string]any{}}, either, ""},
	})

	deep4 := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": 1}}}}
	// The fields of a sign-in of the device.
	with := func(field string, v any) map[string]any { return map[string]any{"device_id": dev, field: v} }
	refuses(t, "fields", o.widget(""), "/v1/widget/contacts", []refusal{
		{"name 201 characters", with("name", strings.Repeat("n", 201)), nil, "name"},
		{"name number", with("name", 5), nil, "name"},
		{"email bad", with("email", "not-an-email"), []string{"invalid_email"}, ""},
		{"email number", with("email", 5), nil, "email"},
		{"custom_data string", with("custom_data", "x"), nil, "custom_data"},
		{"custom_data 51 keys", with("custom_data", manyKeys(51)), nil, "custom_data"},
		{"custom_data over 8 KiB", with("custom_data", map[string]any{"k": strings.Repeat("x", 8200)}), nil, "custom_data"},
		{"custom_data 4 levels", with("custom_data", deep4), nil, "custom_data"},
	})
	o.widget("").post(t, "/v1/widget/contacts", contract.Raw(`{"device_id":"`+dev+`",`)).fails(400, "invalid_json")

	// None of the refusals changed the device's contact.
	match(t, "after refused calls the contact", o.me(t, orig.Token).Contact, M{"id": orig.Contact.ID, "name": "Orig", "email": "orig@x.com", "non_verified_custom_data": map[string]any{"v": 1}})
}

func TestWidgetSessionsAndMessages(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w := o.widget(o.contactToken(t))
	s := createSession(t, w, map[string]any{"custom_data": map[string]any{"page": "/checkout"}})
	match(t, "new contact session", s, M{"verified": false, "external_id": nil, "last_message": nil, "non_verified_custom_data": map[string]any{"page": "/checkout"}})
	created := rfc3339UTC(t, "session.created_at", s.CreatedAt)

	sameSet(t, "GET /v1/widget/sessions", sessionIDs(widgetSessions(t, w, nil)), []string{s.ID})
	match(t, "new session detail", widgetSession(t, w, s.ID), M{"session": M{"id": s.ID}, "messages": []any{}})

	var sent []contract.Message
	for i, content := range []string{"first", "second", "third"} {
		m := say(t, w, s.ID, content)
		match(t, "message "+content, m, M{"role": "user", "session_id": s.ID, "content": content, "id": contract.NonEmpty})
		rfc3339UTC(t, "message.created_at", m.CreatedAt)
		sent = append(sent, m)
		if i == 1 {
			sent = append(sent, agentSay(t, o, s.ID, "an agent between", "Ag"))
		}
	}
	sent = append(sent, say(t, w, s.ID, "fourth"))
	ids := messageIDs(sent)
	match(t, "message ids, sorted in the order the messages were accepted, none twice", slices.Compact(slices.Sorted(slices.Values(ids))), ids)

	d := widgetSession(t, w, s.ID)
	match(t, "messages, oldest first", messageIDs(d.Messages), ids)
	last := M{"id": ids[len(ids)-1], "content": "fourth"}
	match(t, "session", d.Session, M{"last_message": last})
	if up := rfc3339UTC(t, "session.updated_at", d.Session.UpdatedAt); up.Before(created) {
		t.Errorf("updated_at %s before created_at %s", d.Session.UpdatedAt, s.CreatedAt)
	}
	match(t, "the listing carries the last message", widgetSessions(t, w, nil), []any{M{"last_message": last}})

	// after=: only the later ones, oldest first.
	for i, id := range ids {
		d := typed(w.c.GetSession(t.Context(), s.ID, id)).want(t, 200)
		match(t, "after="+id, messageIDs(d.Messages), ids[i+1:])
	}

	// Unknown sessions are 404, for reading and for writing.
	for _, id := range []string{uniq("nope"), strings.Repeat("s", 1000)} {
		p := "/v1/widget/sessions/" + url.PathEscape(id)
		w.get(t, p).fails(404, "not_found")
		w.post(t, p+"/messages", map[string]any{"content": "x"}).fails(404, "not_found")
	}

	// Message content limits; nothing stored by refusals.
	mp := "/v1/widget/sessions/" + url.PathEscape(s.ID) + "/messages"
	refuses(t, "refused content", w, mp, []refusal{
		{"missing", map[string]any{}, nil, "content"},
		{"empty", map[string]any{"content": ""}, nil, "content"},
		{"10001 characters", map[string]any{"content": strings.Repeat("c", 10001)}, nil, "content"},
		{"number", map[string]any{"content": 5}, nil, "content"},
		{"null", map[string]any{"content": nil}, nil, "content"},
	})
	w.post(t, mp, contract.Raw(`{"content": "x"`)).fails(400, "invalid_json")
	match(t, "after refused posts", messageIDs(widgetSession(t, w, s.ID).Messages), ids)
	long := strings.Repeat("ü", 10000)
	match(t, "10,000-character message", say(t, w, s.ID, long).Content, long)
	// Read back in bulk: too long for its key's metadata (store.fillMessages).
	back := widgetSession(t, w, s.ID).Messages
	match(t, "10,000-character message read back", back[len(back)-1].Content, long)
	// The session's own fields cannot be chosen by the browser.
	s2 := createSession(t, w, map[string]any{"verified": true, "id": "mine", "external_id": nil})
	match(t, "session fields the browser sent", s2, M{"verified": false, "id": contract.Not("mine")})
	refuses(t, "refused session", w, "/v1/widget/sessions", []refusal{
		{"custom_data string", map[string]any{"custom_data": "x"}, nil, "custom_data"},
		{"custom_data 51", map[string]any{"custom_data": manyKeys(51)}, nil, "custom_data"},
		{"external_id number", map[string]any{"external_id": 5}, nil, "external_id"},
		{"external_id long", map[string]any{"external_id": strings.Repeat("e", 257)}, nil, "external_id"},
	})
	sameSet(t, "after refused creates", sessionIDs(widgetSessions(t, w, nil)), []string{s.ID, s2.ID})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w := o.widget(o.contactToken(t))

	key := uniq("idem-session")
	s1 := createSession(t, w, nil, contract.IdempotencyKey(key))
	s2 := createSession(t, w, nil, contract.IdempotencyKey(key))
	match(t, "same Idempotency-Key: the first session again", s2.ID, s1.ID)
	sameSet(t, "sessions after a retried create", sessionIDs(widgetSessions(t, w, nil)), []string{s1.ID})
	s3 := createSession(t, w, nil, contract.IdempotencyKey(uniq("idem-other")))
	match(t, "a different Idempotency-Key: another session", s3.ID, contract.Not(s1.ID))

	mkey := uniq("idem-msg")
	m1 := say(t, w, s1.ID, "only once", contract.IdempotencyKey(mkey))
	m2 := say(t, w, s1.ID, "only once", contract.IdempotencyKey(mkey))
	match(t, "same Idempotency-Key: the first message again", m2.ID, m1.ID)
	match(t, "messages after a retried post", messageIDs(widgetSession(t, w, s1.ID).Messages), []string{m1.ID})
	m3 := say(t, w, s1.ID, "only once", contract.IdempotencyKey(uniq("idem-msg2")))
	match(t, "a different Idempotency-Key: another message", m3.ID, contract.Not(m1.ID))

	// The key belongs to the caller: another device using the same key gets
	// its own session, never the first device's.
	w2 := o.widget(o.contactToken(t))
	other := createSession(t, w2, nil, contract.IdempotencyKey(key))
	match(t, "another device with the same Idempotency-Key: its own session", other.ID, contract.Not(s1.ID))
	sameSet(t, "the other device's sessions", sessionIDs(widgetSessions(t, w2, nil)), []string{other.ID})
	sameSet(t, "the first device's sessions", sessionIDs(widgetSessions(t, w, nil)), []string{s1.ID, s3.ID})

	// Agent messages honour it too.
	akey := uniq("idem-agent")
	a1 := agentSay(t, o, s1.ID, "agent once", "Ag", contract.IdempotencyKey(akey))
	a2 := agentSay(t, o, s1.ID, "agent once", "Ag", contract.IdempotencyKey(akey))
	match(t, "agent message retried with the same key", a2.ID, a1.ID)
	match(t, "messages", messageIDs(orgSession(t, o, s1.ID).Messages), []string{m1.ID, m3.ID, a1.ID})

	// 128 printable characters are fine.
	k128 := (uniq("k128") + strings.Repeat("k", 128))[:128]
	createSession(t, w2, nil, contract.IdempotencyKey(k128))

	// Invalid keys are refused and write nothing.
	bad := map[string]string{
		"129 characters": strings.Repeat("k", 129),
		"tab inside":     "abc\tdef",
	}
	nSessions := len(widgetSessions(t, w, nil))
	nMessages := len(widgetSession(t, w, s1.ID).Messages)
	for name, k := range bad {
		t.Run("refused key/"+name, func(t *testing.T) {
			w.post(t, "/v1/widget/sessions", map[string]any{}, contract.IdempotencyKey(k)).failsNaming("idempotency")
			w.post(t, "/v1/widget/sessions/"+url.PathEscape(s1.ID)+"/messages", map[string]any{"content": "x"}, contract.IdempotencyKey(k)).failsNaming("idempotency")
			o.api().post(t, "/v1/sessions/"+url.PathEscape(s1.ID)+"/messages", map[string]any{"content": "x"}, contract.IdempotencyKey(k)).failsNaming("idempotency")
		})
	}
	match(t, "sessions after refused keys", len(widgetSessions(t, w, nil)), nSessions)
	match(t, "messages after refused keys", len(widgetSession(t, w, s1.ID).Messages), nMessages)
}
