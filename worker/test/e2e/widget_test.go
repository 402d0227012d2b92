//go:build !js

package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWidgetTokenRequired(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	ct := o.contactToken(t)
	s := createSession(t, o.widget(t, ct), nil)
	sid := url.PathEscape(s.ID)
	routes := widgetRoutes(sid, "x")
	creds := []cred{
		{"missing", without("X-Widget-Token")},
		{"empty", header("X-Widget-Token", "")},
		{"unknown", header("X-Widget-Token", "pk_"+strings.Repeat("z", 30))},
		{"garbage", header("X-Widget-Token", "garbage")},
		{"api key instead", header("X-Widget-Token", o.Key.Secret)},
		{"with a suffix", header("X-Widget-Token", o.WidgetToken+"x")},
	}
	t.Run("refused", func(t *testing.T) { refusedOn(t, o.widget(t, ct), routes, creds, true) })
	// The refused calls wrote nothing.
	sameSet(t, "sessions after refused calls", sessionIDs(orgSessions(t, o, nil)), []string{s.ID})
	stored(t, o, s.ID, 0, "after refused posts")
}

func TestUserTokenRequired(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	s := createSession(t, o.widget(t, o.contactToken(t)), nil)
	sid := url.PathEscape(s.ID)
	for _, rt := range widgetRoutes(sid, "x")[1:] {
		t.Run(rt.method+" "+pattern(rt.path)+"/no token", func(t *testing.T) {
			o.widget(t, "").do(t, rt.method, rt.path, rt.body).fails(401, "unauthorized")
		})
		t.Run(rt.method+" "+pattern(rt.path)+"/garbage token", func(t *testing.T) {
			o.widget(t, "garbage").do(t, rt.method, rt.path, rt.body).fails(401, "invalid_token", "unauthorized")
		})
		t.Run(rt.method+" "+pattern(rt.path)+"/api key as token", func(t *testing.T) {
			o.widget(t, o.Key.Secret).do(t, rt.method, rt.path, rt.body).fails(401, "invalid_token", "unauthorized")
		})
	}
	stored(t, o, s.ID, 0, "after refused posts")
	if got := orgSessions(t, o, nil); len(got) != 1 {
		t.Errorf("refused creates: org has sessions %v, want only %s", sessionIDs(got), s.ID)
	}
}

func TestContacts(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	dev := newDevice()
	before := time.Now()
	c1 := o.contact(t, dev, map[string]any{"name": "Sam", "email": "sam@x.com", "custom_data": map[string]any{"plan": "free", "n": 1}})
	if !isFalse(c1.Contact.Verified) {
		t.Errorf("contact.verified = %v, want false", c1.Contact.Verified)
	}
	if str(c1.Contact.Name) != "Sam" || str(c1.Contact.Email) != "sam@x.com" {
		t.Errorf("contact name/email = %s / %s", str(c1.Contact.Name), str(c1.Contact.Email))
	}
	if !jsonEqual(c1.Contact.NonVerifiedCustomData, map[string]any{"plan": "free", "n": 1}) {
		t.Errorf("contact.non_verified_custom_data = %v, want the browser's custom_data", c1.Contact.NonVerifiedCustomData)
	}
	if exp := rfc3339UTC(t, "expires_at", c1.ExpiresAt); !exp.IsZero() && !exp.After(before) {
		t.Errorf("contact expires_at %s is not in the future", c1.ExpiresAt)
	}
	if !audienceIs(jwtClaims(t, c1.Token), o.ID) {
		t.Errorf("contact token aud = %v, want %q", jwtClaims(t, c1.Token)["aud"], o.ID)
	}

	// Same device again: same contact, newest name and email.
	c2 := o.contact(t, dev, map[string]any{"name": "Samantha", "email": "samantha@x.com"})
	if c2.Contact.ID != c1.Contact.ID {
		t.Errorf("same device: contact id %q, want %q", c2.Contact.ID, c1.Contact.ID)
	}
	if str(c2.Contact.Name) != "Samantha" || str(c2.Contact.Email) != "samantha@x.com" {
		t.Errorf("same device: name/email = %s / %s, want the newest", str(c2.Contact.Name), str(c2.Contact.Email))
	}
	var me meReply
	o.widget(t, c2.Token).get(t, "/v1/widget/me").ok(200, &me)
	if me.Contact == nil || me.User != nil || me.Contact.ID != c1.Contact.ID || str(me.Contact.Name) != "Samantha" || !isFalse(me.Contact.Verified) {
		t.Errorf("GET /v1/widget/me = %+v, want contact %q named Samantha, verified false", me, c1.Contact.ID)
	}
	// A session made with the first token is the device's: the second sees it.
	s := createSession(t, o.widget(t, c1.Token), nil)
	sameSet(t, "same device, second token", sessionIDs(widgetSessions(t, o.widget(t, c2.Token), nil)), []string{s.ID})

	// Another device is another contact.
	c3 := o.contact(t, newDevice(), map[string]any{"name": "Sam", "email": "sam@x.com"})
	if c3.Contact.ID == c1.Contact.ID {
		t.Error("two devices with the same name and email are one contact")
	}

	// Anonymous: no name or email at all.
	anonC := o.contact(t, newDevice(), nil)
	if anonC.Contact.Name != nil && *anonC.Contact.Name != "" || anonC.Contact.Email != nil && *anonC.Contact.Email != "" {
		t.Errorf("anonymous contact has name/email %s / %s", str(anonC.Contact.Name), str(anonC.Contact.Email))
	}

	// Upper-case hex: either refused, or the same device as lower case.
	r := o.widget(t, "").post(t, "/v1/widget/contacts", map[string]any{"device_id": strings.ToUpper(dev)})
	if r.Status == 400 {
		if e := r.errorBody(); e.Code != "invalid_device_id" {
			t.Errorf("upper-case device id: code %q, want invalid_device_id", e.Code)
		}
	} else {
		var up contactReply
		r.ok(200, &up)
		if up.Contact.ID != c1.Contact.ID {
			t.Errorf("upper-case form of a device id is contact %q, lower case is %q: one device, two contacts", up.Contact.ID, c1.Contact.ID)
		}
	}

	// The same device id in another org is another contact that sees nothing of this org.
	other := newOrg(t)
	co := other.contact(t, dev, nil)
	if co.Contact.ID == c1.Contact.ID {
		t.Error("the same device id in two orgs is one contact")
	}
	if got := widgetSessions(t, other.widget(t, co.Token), nil); len(got) != 0 {
		t.Errorf("same device in another org sees %v", sessionIDs(got))
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
	for name, d := range badDevice {
		t.Run("device/"+name, func(t *testing.T) {
			t.Parallel()
			o.widget(t, "").post(t, "/v1/widget/contacts", map[string]any{"device_id": d}).fails(400, "invalid_device_id")
		})
	}
	// Missing or of the wrong type: a field missing or wrong is also invalid_request.
	for name, body := range map[string]any{
		"device missing": map[string]any{"name": "x"},
		"device null":    map[string]any{"device_id": nil},
		"device number":  map[string]any{"device_id": 5},
		"device object":  map[string]any{"device_id": map[string]any{}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o.widget(t, "").post(t, "/v1/widget/contacts", body).fails(400, "invalid_device_id", "invalid_request")
		})
	}

	deep4 := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": 1}}}}
	fields := []struct {
		name  string
		body  map[string]any
		codes []string
		field string
	}{
		{"name 201 characters", map[string]any{"name": strings.Repeat("n", 201)}, nil, "name"},
		{"name number", map[string]any{"name": 5}, nil, "name"},
		{"email bad", map[string]any{"email": "not-an-email"}, []string{"invalid_email"}, ""},
		{"email number", map[string]any{"email": 5}, nil, "email"},
		{"custom_data string", map[string]any{"custom_data": "x"}, nil, "custom_data"},
		{"custom_data 51 keys", map[string]any{"custom_data": manyKeys(51)}, nil, "custom_data"},
		{"custom_data over 8 KiB", map[string]any{"custom_data": map[string]any{"k": strings.Repeat("x", 8200)}}, nil, "custom_data"},
		{"custom_data 4 levels", map[string]any{"custom_data": deep4}, nil, "custom_data"},
	}
	t.Run("fields", func(t *testing.T) {
		for _, c := range fields {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				b := map[string]any{"device_id": dev}
				for k, v := range c.body {
					b[k] = v
				}
				r := o.widget(t, "").post(t, "/v1/widget/contacts", b)
				if c.field != "" {
					r.failsNaming(c.field)
				} else {
					r.fails(400, c.codes...)
				}
			})
		}
	})
	o.widget(t, "").post(t, "/v1/widget/contacts", raw(`{"device_id":"`+dev+`",`)).fails(400, "invalid_json")

	// None of the refusals changed the device's contact.
	var me meReply
	o.widget(t, orig.Token).get(t, "/v1/widget/me").ok(200, &me)
	if me.Contact == nil || me.Contact.ID != orig.Contact.ID || str(me.Contact.Name) != "Orig" || str(me.Contact.Email) != "orig@x.com" || !jsonEqual(me.Contact.NonVerifiedCustomData, map[string]any{"v": 1}) {
		t.Errorf("after refused calls the contact is %+v, want Orig / orig@x.com / {v:1}", me.Contact)
	}
}

func TestWidgetMe(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	c := o.contact(t, newDevice(), map[string]any{"name": "Casey", "custom_data": map[string]any{"ref": "ad"}})
	var me meReply
	r := o.widget(t, c.Token).get(t, "/v1/widget/me").expect(200).into(&me)
	if me.Contact == nil || me.User != nil {
		t.Fatalf("contact /me = %s, want only contact", r.Body)
	}
	if me.Contact.ID != c.Contact.ID || !isFalse(me.Contact.Verified) || str(me.Contact.Name) != "Casey" || !jsonEqual(me.Contact.NonVerifiedCustomData, map[string]any{"ref": "ad"}) {
		t.Errorf("contact /me = %+v", *me.Contact)
	}

	a := o.authenticate(t, map[string]any{"user_id": uniq("me"), "email": "vera@x.com", "name": "Vera", "custom_data": map[string]any{"plan": "pro"}})
	me = meReply{}
	r = o.widget(t, a.Token).get(t, "/v1/widget/me").expect(200).into(&me)
	if me.User == nil || me.Contact != nil {
		t.Fatalf("verified /me = %s, want only user", r.Body)
	}
	if me.User.ID != a.User.ID || !isTrue(me.User.Verified) || str(me.User.Name) != "Vera" || !jsonEqual(me.User.CustomData, map[string]any{"plan": "pro"}) {
		t.Errorf("verified /me = %+v", *me.User)
	}
}

func TestWidgetSessionsAndMessages(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w := o.widget(t, o.contactToken(t))
	s := createSession(t, w, map[string]any{"custom_data": map[string]any{"page": "/checkout"}})
	if !isFalse(s.Verified) || s.ExternalID != nil || s.LastMessage != nil {
		t.Errorf("new contact session = %+v, want verified false, external_id null, no last_message", s)
	}
	if !jsonEqual(s.NonVerifiedCustomData, map[string]any{"page": "/checkout"}) {
		t.Errorf("session.non_verified_custom_data = %v", s.NonVerifiedCustomData)
	}
	created := rfc3339UTC(t, "session.created_at", s.CreatedAt)

	sameSet(t, "GET /v1/widget/sessions", sessionIDs(widgetSessions(t, w, nil)), []string{s.ID})
	d := widgetSession(t, w, s.ID)
	if d.Session.ID != s.ID || len(d.Messages) != 0 {
		t.Errorf("new session detail = %+v, want no messages", d)
	}
	if d.Messages == nil {
		t.Error("messages is null for a new session, want []")
	}

	var sent []Message
	for i, content := range []string{"first", "second", "third"} {
		m := say(t, w, s.ID, content)
		if m.Role != "user" || m.SessionID != s.ID || m.Content != content || m.ID == "" {
			t.Errorf("message %d = %+v, want role user in %s", i, m, s.ID)
		}
		rfc3339UTC(t, "message.created_at", m.CreatedAt)
		sent = append(sent, m)
		if i == 1 {
			sent = append(sent, agentSay(t, o, s.ID, "an agent between", "Ag"))
		}
	}
	sent = append(sent, say(t, w, s.ID, "fourth"))
	ids := messageIDs(sent)
	if !slices.IsSorted(ids) {
		t.Errorf("message ids %v do not sort in the order the messages were accepted", ids)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Errorf("message ids repeat: %v", ids)
	}

	d = widgetSession(t, w, s.ID)
	if got := messageIDs(d.Messages); !slices.Equal(got, ids) {
		t.Errorf("messages = %v, want oldest first %v", got, ids)
	}
	if d.Session.LastMessage == nil || d.Session.LastMessage.ID != ids[len(ids)-1] || d.Session.LastMessage.Content != "fourth" {
		t.Errorf("last_message = %+v, want the fourth", d.Session.LastMessage)
	}
	if up := rfc3339UTC(t, "session.updated_at", d.Session.UpdatedAt); up.Before(created) {
		t.Errorf("updated_at %s before created_at %s", d.Session.UpdatedAt, s.CreatedAt)
	}
	if l := widgetSessions(t, w, nil); len(l) != 1 || l[0].LastMessage == nil || l[0].LastMessage.ID != ids[len(ids)-1] {
		t.Errorf("listing does not carry the last message: %+v", l)
	}

	// after=: only the later ones, oldest first.
	for i, id := range ids {
		var d sessionDetail
		w.get(t, "/v1/widget/sessions/"+url.PathEscape(s.ID)+"?after="+url.QueryEscape(id)).ok(200, &d)
		if got := messageIDs(d.Messages); !slices.Equal(got, ids[i+1:]) && !(len(got) == 0 && i == len(ids)-1) {
			t.Errorf("after=%s: %v, want %v", id, got, ids[i+1:])
		}
	}

	// Unknown sessions are 404, for reading and for writing.
	for _, id := range []string{uniq("nope"), strings.Repeat("s", 1000)} {
		p := "/v1/widget/sessions/" + url.PathEscape(id)
		w.get(t, p).fails(404, "not_found")
		w.post(t, p+"/messages", map[string]any{"content": "x"}).fails(404, "not_found")
	}

	// Message content limits; nothing stored by refusals.
	mp := "/v1/widget/sessions/" + url.PathEscape(s.ID) + "/messages"
	for name, body := range map[string]any{
		"missing":          map[string]any{},
		"empty":            map[string]any{"content": ""},
		"10001 characters": map[string]any{"content": strings.Repeat("c", 10001)},
		"number":           map[string]any{"content": 5},
		"null":             map[string]any{"content": nil},
	} {
		t.Run("refused content/"+name, func(t *testing.T) {
			w.post(t, mp, body).failsNaming("content")
		})
	}
	w.post(t, mp, raw(`{"content": "x"`)).fails(400, "invalid_json")
	if got := messageIDs(widgetSession(t, w, s.ID).Messages); !slices.Equal(got, ids) {
		t.Errorf("after refused posts: %v, want %v", got, ids)
	}
	long := strings.Repeat("ü", 10000)
	if m := say(t, w, s.ID, long); m.Content != long {
		t.Errorf("10,000-character message came back changed")
	}
	// The session's own fields cannot be chosen by the browser.
	s2 := createSession(t, w, map[string]any{"verified": true, "id": "mine", "external_id": nil})
	if !isFalse(s2.Verified) || s2.ID == "mine" {
		t.Errorf("browser chose session fields: %+v", s2)
	}
	for name, body := range map[string]any{
		"custom_data string": map[string]any{"custom_data": "x"},
		"custom_data 51":     map[string]any{"custom_data": manyKeys(51)},
		"external_id number": map[string]any{"external_id": 5},
		"external_id long":   map[string]any{"external_id": strings.Repeat("e", 257)},
	} {
		t.Run("refused session/"+name, func(t *testing.T) {
			field := strings.Fields(name)[0]
			w.post(t, "/v1/widget/sessions", body).failsNaming(field)
		})
	}
	if got := widgetSessions(t, w, nil); len(got) != 2 {
		t.Errorf("after refused creates: %d sessions, want 2", len(got))
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	w := o.widget(t, o.contactToken(t))

	key := uniq("idem-session")
	s1 := createSession(t, w, nil, idemKey(key))
	s2 := createSession(t, w, nil, idemKey(key))
	if s1.ID != s2.ID {
		t.Errorf("same Idempotency-Key: sessions %q and %q, want the first again", s1.ID, s2.ID)
	}
	sameSet(t, "sessions after a retried create", sessionIDs(widgetSessions(t, w, nil)), []string{s1.ID})
	s3 := createSession(t, w, nil, idemKey(uniq("idem-other")))
	if s3.ID == s1.ID {
		t.Error("a different Idempotency-Key returned the first session")
	}

	mkey := uniq("idem-msg")
	m1 := say(t, w, s1.ID, "only once", idemKey(mkey))
	m2 := say(t, w, s1.ID, "only once", idemKey(mkey))
	if m1.ID != m2.ID {
		t.Errorf("same Idempotency-Key: messages %q and %q, want the first again", m1.ID, m2.ID)
	}
	if got := messageIDs(widgetSession(t, w, s1.ID).Messages); !slices.Equal(got, []string{m1.ID}) {
		t.Errorf("messages after a retried post: %v, want only %s", got, m1.ID)
	}
	m3 := say(t, w, s1.ID, "only once", idemKey(uniq("idem-msg2")))
	if m3.ID == m1.ID {
		t.Error("a different Idempotency-Key returned the first message")
	}

	// The key belongs to the caller: another device using the same key gets
	// its own session, never the first device's.
	w2 := o.widget(t, o.contactToken(t))
	other := createSession(t, w2, nil, idemKey(key))
	if other.ID == s1.ID {
		t.Fatalf("another device with the same Idempotency-Key got the first device's session %q", s1.ID)
	}
	sameSet(t, "the other device's sessions", sessionIDs(widgetSessions(t, w2, nil)), []string{other.ID})
	sameSet(t, "the first device's sessions", sessionIDs(widgetSessions(t, w, nil)), []string{s1.ID, s3.ID})

	// Agent messages honour it too.
	akey := uniq("idem-agent")
	a1 := agentSay(t, o, s1.ID, "agent once", "Ag", idemKey(akey))
	a2 := agentSay(t, o, s1.ID, "agent once", "Ag", idemKey(akey))
	if a1.ID != a2.ID {
		t.Errorf("agent message retried with the same key: %q and %q", a1.ID, a2.ID)
	}
	if got := messageIDs(orgSession(t, o, s1.ID).Messages); !slices.Equal(got, []string{m1.ID, m3.ID, a1.ID}) {
		t.Errorf("messages = %v, want %v", got, []string{m1.ID, m3.ID, a1.ID})
	}

	// 128 printable characters are fine.
	k128 := (uniq("k128") + strings.Repeat("k", 128))[:128]
	createSession(t, w2, nil, idemKey(k128))

	// Invalid keys are refused and write nothing.
	bad := map[string]string{
		"129 characters": strings.Repeat("k", 129),
		"tab inside":     "abc\tdef",
	}
	nSessions := len(widgetSessions(t, w, nil))
	nMessages := len(widgetSession(t, w, s1.ID).Messages)
	for name, k := range bad {
		t.Run("refused key/"+name, func(t *testing.T) {
			w.post(t, "/v1/widget/sessions", map[string]any{}, idemKey(k)).failsNaming("idempotency")
			w.post(t, "/v1/widget/sessions/"+url.PathEscape(s1.ID)+"/messages", map[string]any{"content": "x"}, idemKey(k)).failsNaming("idempotency")
			o.api(t).post(t, "/v1/sessions/"+url.PathEscape(s1.ID)+"/messages", map[string]any{"content": "x"}, idemKey(k)).failsNaming("idempotency")
		})
	}
	if got := len(widgetSessions(t, w, nil)); got != nSessions {
		t.Errorf("refused keys created sessions: %d, want %d", got, nSessions)
	}
	if got := len(widgetSession(t, w, s1.ID).Messages); got != nMessages {
		t.Errorf("refused keys stored messages: %d, want %d", got, nMessages)
	}
}
