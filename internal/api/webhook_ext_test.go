package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/outbound"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/testclock"
	"github.com/chatwidget/identity/internal/token"
)

// fakeReceiver answers every delivery with status[url] (204 by default) and
// keeps what it got.
type fakeReceiver struct {
	mu     sync.Mutex
	status map[string]int
	got    []outbound.Request
}

func (f *fakeReceiver) Do(_ context.Context, r outbound.Request) (outbound.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	if s, ok := f.status[r.URL]; ok {
		return outbound.Response{Status: s}, nil
	}
	return outbound.Response{Status: 204}, nil
}

// event is one delivery as a receiver reads it.
type event struct {
	URL, ID string
	Header  http.Header
	Body    []byte
	Type    string
	Data    map[string]any
}

func (f *fakeReceiver) events() []event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []event
	for _, r := range f.got {
		h := http.Header{}
		for _, kv := range r.Header {
			h.Add(kv[0], kv[1])
		}
		e := event{URL: r.URL, ID: h.Get("webhook-id"), Header: h, Body: r.Body}
		var p struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(r.Body, &p)
		e.Type, e.Data = p.Type, p.Data
		out = append(out, e)
	}
	return out
}

type hookEnv struct {
	*env
	api  *api.API
	q    *queue.Memory
	recv *fakeReceiver
}

func newHookEnv(t *testing.T) *hookEnv {
	t.Helper()
	spec, err := token.GenerateKeySpec("k1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Config{AdminToken: adminToken, SigningKeys: spec, Issuer: "test", ContactTokenTTL: time.Hour, RateLimits: config.DefaultRateLimits}
	cfg.Webhooks.AllowLoopback = true
	clock := testclock.New(time.Now().UTC().Truncate(time.Second))
	mem := kv.NewMemory()
	q := queue.NewMemory(clock.Now)
	q.MaxRetries = 100
	recv := &fakeReceiver{status: map[string]int{}}
	a, err := api.New(mem, cfg, api.WithClock(clock.Now), api.WithQueue(q), api.WithOutbound(recv))
	if err != nil {
		t.Fatal(err)
	}
	return &hookEnv{env: &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}, api: a, q: q, recv: recv}
}

// deliver runs the queue until nothing is due.
func (e *hookEnv) deliver() {
	for e.q.Deliver(context.Background(), e.api.Consumer()) > 0 {
	}
}

// receiverBack has the receiver at url answer 200 again and runs the queue
// for the next 12 hours (the retries' schedule); it returns the attempts
// the receiver got meanwhile.
func (e *hookEnv) receiverBack(url string) []event {
	before := len(e.recv.events())
	delete(e.recv.status, url)
	for range 12 {
		e.clock.Advance(time.Hour)
		e.deliver()
	}
	return e.recv.events()[before:]
}

func (e *hookEnv) setHook(o orgInfo, url string, events ...string) string {
	e.t.Helper()
	body := map[string]any{"url": url}
	if events != nil {
		body["events"] = events
	}
	r := e.server(o, "PUT", "/v1/webhook", body)
	if r.Status != 200 {
		e.t.Fatalf("PUT /v1/webhook: %d %s", r.Status, r.Raw)
	}
	s, _ := r.Body["webhook"].(map[string]any)["secret"].(string)
	return s
}

func verifies(t *testing.T, secret string, ev event) bool {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	// The API's clock is a test clock, moved a day on: the signature
	// is checked, the timestamp's distance from the real now is not.
	return wh.VerifyIgnoringTimestamp(ev.Body, ev.Header) == nil
}

func TestWebhookRoutes(t *testing.T) {
	e := newHookEnv(t)
	a, b := e.newOrg("A"), e.newOrg("B")
	checkError(t, e.server(a, "GET", "/v1/webhook", nil), 404, "not_found")
	checkError(t, e.server(a, "POST", "/v1/webhook/rotate-secret", nil), 404, "not_found")

	r := e.server(a, "PUT", "/v1/webhook", map[string]any{"url": "https://hooks.example/a"})
	if r.Status != 200 {
		t.Fatalf("PUT: %d %s", r.Status, r.Raw)
	}
	wh := r.Body["webhook"].(map[string]any)
	secret, _ := wh["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < len("whsec_")+32 {
		t.Errorf("secret %q", secret)
	}
	if wh["url"] != "https://hooks.example/a" || wh["created_at"] == nil {
		t.Errorf("webhook %v", wh)
	}
	if ev, _ := json.Marshal(wh["events"]); string(ev) != `["session.created","message.created","sessions.claimed","deletion.completed"]` {
		t.Errorf("default events %s", ev)
	}

	g := e.server(a, "GET", "/v1/webhook", nil)
	if g.Status != 200 || strings.Contains(g.Raw, "whsec_") || strings.Contains(g.Raw, `"secret"`) {
		t.Errorf("GET shows %d %s", g.Status, g.Raw)
	}
	// Changing the URL or events keeps the secret and does not show it.
	r = e.server(a, "PUT", "/v1/webhook", map[string]any{"url": "https://hooks.example/a2", "events": []string{"message.created"}})
	if r.Status != 200 || strings.Contains(r.Raw, "whsec_") {
		t.Errorf("second PUT: %d %s", r.Status, r.Raw)
	}
	if r.Body["webhook"].(map[string]any)["created_at"] != wh["created_at"] {
		t.Errorf("created_at changed on update")
	}

	// Another org's key sees and changes nothing of A's.
	checkError(t, e.server(b, "GET", "/v1/webhook", nil), 404, "not_found")
	checkError(t, e.server(b, "POST", "/v1/webhook/rotate-secret", nil), 404, "not_found")
	if r := e.server(b, "DELETE", "/v1/webhook", nil); r.Status != 204 {
		t.Errorf("B's DELETE: %d", r.Status)
	}
	if g := e.server(a, "GET", "/v1/webhook", nil); g.Status != 200 || g.Body["webhook"].(map[string]any)["url"] != "https://hooks.example/a2" {
		t.Errorf("A's webhook after B's calls: %d %s", g.Status, g.Raw)
	}

	rot := e.server(a, "POST", "/v1/webhook/rotate-secret", nil)
	ns, _ := rot.Body["secret"].(string)
	if rot.Status != 200 || !strings.HasPrefix(ns, "whsec_") || ns == secret || len(rot.Body) != 1 {
		t.Errorf("rotate: %d %s", rot.Status, rot.Raw)
	}

	// Without credentials, with a widget token or a bad key: refused.
	for _, c := range []resp{
		e.send(request("GET", "/v1/webhook", nil)),
		e.send(request("PUT", "/v1/webhook", map[string]any{"url": "https://x.example/"}, "X-Widget-Token", a.PK)),
		e.send(request("POST", "/v1/webhook/rotate-secret", nil, "Authorization", "Bearer "+a.PK)),
		e.send(request("DELETE", "/v1/webhook", nil, "Authorization", "Bearer sk_"+strings.Repeat("x", 40))),
		e.admin("GET", "/v1/webhook", nil),
	} {
		checkError(t, c, 401, "unauthorized")
	}
	checkError(t, e.server(a, "PATCH", "/v1/webhook", nil), 405, "method_not_allowed")

	if r := e.server(a, "DELETE", "/v1/webhook", nil); r.Status != 204 || r.Raw != "" {
		t.Errorf("DELETE: %d %q", r.Status, r.Raw)
	}
	checkError(t, e.server(a, "GET", "/v1/webhook", nil), 404, "not_found")
}

func TestWebhookInvalid(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	e.setHook(a, "https://hooks.example/a")
	long := "https://hooks.example/" + strings.Repeat("a", 2048)
	cases := []struct {
		body  any
		code  string
		field string
	}{
		{map[string]any{"url": "http://hooks.example/a"}, "invalid_request", "url"},
		{map[string]any{"url": "https://user:pw@hooks.example/a"}, "invalid_request", "url"},
		{map[string]any{"url": long}, "invalid_request", "url"},
		{map[string]any{"url": "https://hooks.example/a", "events": []string{"message.deleted"}}, "invalid_request", "events"},
		{map[string]any{"url": "https://hooks.example/a", "events": []string{}}, "invalid_request", "events"},
		{map[string]any{"url": "https://hooks.example/a", "events": "message.created"}, "invalid_request", "events"},
		{map[string]any{"url": "https://hooks.example/a", "events": []any{1}}, "invalid_request", "events"},
		{map[string]any{"url": 5}, "invalid_request", "url"},
		{map[string]any{}, "invalid_request", "url"},
		{map[string]any{"URL": "https://hooks.example/b"}, "invalid_request", "url"},
		{map[string]any{"url": "https://10.1.2.3/a"}, "invalid_request", "url"},
		{`[1]`, "invalid_request", "body"},
		{`{"url":`, "invalid_json", ""},
		{``, "invalid_json", ""},
	}
	for _, c := range cases {
		r := e.refused(t, 400, c.code, func() resp { return e.server(a, "PUT", "/v1/webhook", c.body) })
		if c.field != "" {
			checkErrorNames(t, r, 400, c.code, c.field)
		}
	}
}

// http:// to loopback only with WEBHOOK_ALLOW_LOOPBACK.
func TestWebhookLoopbackNeedsTheVariable(t *testing.T) {
	e := newEnv(t)
	a := e.newOrg("A")
	r := e.refused(t, 400, "invalid_request", func() resp {
		return e.server(a, "PUT", "/v1/webhook", map[string]any{"url": "http://127.0.0.1:9999/hook"})
	})
	checkErrorNames(t, r, 400, "invalid_request", "url")
	if r := e.server(a, "PUT", "/v1/webhook", map[string]any{"url": "https://hooks.example/"}); r.Status != 200 {
		t.Errorf("an API without a queue still keeps the webhook: %d %s", r.Status, r.Raw)
	}
}

// Every session and message (visitor's and agent's) is one event at its
// org's URL, signed with its org's secret; none for a replay; none for an
// org without a webhook or for a type it did not ask for.
func TestWebhookEvents(t *testing.T) {
	e := newHookEnv(t)
	a, b, c := e.newOrg("A"), e.newOrg("B"), e.newOrg("C")
	secretA := e.setHook(a, "http://127.0.0.1:1/a")
	secretB := e.setHook(b, "http://127.0.0.1:1/b", "message.created")
	tokA, tokB, tokC := e.contact(a, device1), e.contact(b, device1), e.contact(c, device1)

	sessA := e.newSession(a, tokA, nil)
	sessB := e.newSession(b, tokB, nil) // B does not want session.created
	e.newSession(c, tokC, nil)          // C has no webhook
	post := func(o orgInfo, tok, sess string, key string) resp {
		h := []string{}
		if key != "" {
			h = []string{"Idempotency-Key", key}
		}
		return e.widget(o, tok, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": "hi"}, h...)
	}
	m1 := post(a, tokA, sessA["id"].(string), "k1")
	if m1.Status != 201 {
		t.Fatalf("post: %d %s", m1.Status, m1.Raw)
	}
	if r := post(a, tokA, sessA["id"].(string), "k1"); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v", r.Status, r.Header)
	}
	post(b, tokB, sessB["id"].(string), "")
	agent := e.server(a, "POST", "/v1/sessions/"+sessA["id"].(string)+"/messages", map[string]any{"content": "hello", "author_name": "Ann"}, "Idempotency-Key", "a1")
	e.server(a, "POST", "/v1/sessions/"+sessA["id"].(string)+"/messages", map[string]any{"content": "hello", "author_name": "Ann"}, "Idempotency-Key", "a1")
	checkError(t, e.widget(a, tokA, "POST", "/v1/widget/sessions/"+sessA["id"].(string)+"/messages", map[string]any{"content": ""}), 400, "invalid_request")
	e.deliver()

	evs := e.recv.events()
	ids := map[string]int{}
	var typesA, typesB []string
	for _, ev := range evs {
		ids[ev.ID]++
		switch ev.URL {
		case "http://127.0.0.1:1/a":
			typesA = append(typesA, ev.Type)
			if !verifies(t, secretA, ev) || verifies(t, secretB, ev) {
				t.Errorf("A's event %s does not verify with A's secret alone", ev.ID)
			}
		case "http://127.0.0.1:1/b":
			typesB = append(typesB, ev.Type)
			if !verifies(t, secretB, ev) || verifies(t, secretA, ev) {
				t.Errorf("B's event %s does not verify with B's secret alone", ev.ID)
			}
			if s := ev.Data["session"].(map[string]any); s["id"] != sessB["id"] {
				t.Errorf("B got a session of another org: %v", s["id"])
			}
		default:
			t.Errorf("a delivery to %s", ev.URL)
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	slices.Sort(typesA) // deliveries run at once: in no set order
	if strings.Join(typesA, ",") != "message.created,message.created,session.created" || strings.Join(typesB, ",") != "message.created" {
		t.Errorf("A got %v, B got %v", typesA, typesB)
	}
	// message.created carries the org's views: the session (with this
	// message as its last) and the message.
	for _, ev := range evs {
		if ev.Type != "message.created" || ev.URL != "http://127.0.0.1:1/a" {
			continue
		}
		msg := ev.Data["message"].(map[string]any)
		sess := ev.Data["session"].(map[string]any)
		if sess["id"] != sessA["id"] || sess["last_message"].(map[string]any)["id"] != msg["id"] {
			t.Errorf("message.created data %v", ev.Data)
		}
		switch msg["role"] {
		case "agent":
			if msg["id"] != agent.Body["message"].(map[string]any)["id"] || msg["author_name"] != "Ann" {
				t.Errorf("the agent's message event %v", msg)
			}
		case "user":
			if msg["id"] != m1.Body["message"].(map[string]any)["id"] {
				t.Errorf("the visitor's message event %v", msg)
			}
		default:
			t.Errorf("message event %v", msg)
		}
	}
}

// Every event's sessions are the org's views, with the owner that GET
// /v1/sessions/{id} shows at that moment: the contact's, the user's, and
// the user's once claimed.
func TestWebhookEventsCarryTheOwner(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	e.setHook(a, "http://127.0.0.1:1/a")
	d1 := e.contact(a, device1)
	u := e.verified(a, map[string]any{"user_id": "u-1", "email": "ann@example.com"})
	seen := 0
	// check delivers what is due and compares each new event's sessions'
	// owners with the org's view.
	check := func(step string, want int) {
		t.Helper()
		e.deliver()
		evs := e.recv.events()[seen:]
		seen += len(evs)
		if len(evs) != want {
			t.Fatalf("%s: %d events, want %d", step, len(evs), want)
		}
		for _, ev := range evs {
			var sessions []any
			if s, ok := ev.Data["session"]; ok {
				sessions = append(sessions, s)
			}
			if ss, ok := ev.Data["sessions"].([]any); ok {
				sessions = append(sessions, ss...)
			}
			if len(sessions) == 0 {
				t.Errorf("%s: %s without a session: %s", step, ev.Type, ev.Body)
			}
			for _, s := range sessions {
				s := s.(map[string]any)
				view := e.server(a, "GET", "/v1/sessions/"+s["id"].(string), nil)
				want := view.Body["session"].(map[string]any)["owner"]
				if got, _ := json.Marshal(s["owner"]); string(got) != mustJSON(t, want) {
					t.Errorf("%s: %s's session owner %s, the org's view %s", step, ev.Type, got, mustJSON(t, want))
				}
			}
		}
	}
	anon := e.newSession(a, d1, nil)["id"].(string)
	e.widget(a, d1, "POST", "/v1/widget/sessions/"+anon+"/messages", map[string]any{"content": "hi"})
	e.server(a, "POST", "/v1/sessions/"+anon+"/messages", map[string]any{"content": "hello"})
	check("a contact's session, its visitor's and agent's messages", 3)
	own := e.newSession(a, u, nil)["id"].(string)
	e.widget(a, u, "POST", "/v1/widget/sessions/"+own+"/messages", map[string]any{"content": "hi"})
	check("a user's session and message", 2)
	e.claim(a, u, d1)
	check("the claim", 1)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A receiver that fails gets the event again later with the same id; after
// a rotation both secrets sign for the overlap, then only the new one.
func TestWebhookRetryAndRotation(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	old := e.setHook(a, "https://hooks.example/a")
	tok := e.contact(a, device1)
	e.recv.status["https://hooks.example/a"] = 500
	sess := e.newSession(a, tok, nil)
	e.deliver()
	e.clock.Advance(time.Minute)
	e.deliver()
	delete(e.recv.status, "https://hooks.example/a")
	e.clock.Advance(2 * time.Minute)
	e.deliver()
	evs := e.recv.events()
	if len(evs) != 3 || evs[0].ID != evs[1].ID || evs[1].ID != evs[2].ID {
		t.Fatalf("%d attempts with ids %v", len(evs), evs)
	}
	if evs[2].Data["session"].(map[string]any)["id"] != sess["id"] {
		t.Errorf("the retried event %v", evs[2].Data)
	}

	rot := e.server(a, "POST", "/v1/webhook/rotate-secret", nil)
	fresh := rot.Body["secret"].(string)
	e.newSession(a, tok, nil)
	e.deliver()
	during := e.recv.events()[3]
	if !verifies(t, fresh, during) || !verifies(t, old, during) {
		t.Error("during the overlap, an event does not verify with both secrets")
	}
	e.clock.Advance(24*time.Hour + time.Second)
	e.newSession(a, e.contact(a, device1), nil)
	e.deliver()
	after := e.recv.events()[4]
	if !verifies(t, fresh, after) || verifies(t, old, after) {
		t.Error("after the overlap, the old secret still verifies or the new one does not")
	}
}

// KV operations a message post costs, without a webhook and with one: the
// org's webhook is read once per instance every 30 s (the Dispatcher's
// cache), not per message; the queue send is no KV operation.
func TestWebhookKVOpsPerMessage(t *testing.T) {
	e := newHookEnv(t)
	a, b := e.newOrg("A"), e.newOrg("B")
	e.setHook(b, "https://hooks.example/b")
	count := func(o orgInfo) map[string]int {
		tok := e.contact(o, device1)
		sess := e.newSession(o, tok, nil)
		post := func() {
			if r := e.widget(o, tok, "POST", "/v1/widget/sessions/"+sess["id"].(string)+"/messages", map[string]any{"content": "x"}); r.Status != 201 {
				t.Fatalf("post: %d", r.Status)
			}
		}
		post() // warm: the first read of the org's webhook
		before := e.mem.Ops()
		post()
		after := e.mem.Ops()
		d := map[string]int{}
		for k, v := range after {
			if v != before[k] {
				d[k] = v - before[k]
			}
		}
		return d
	}
	without, with := count(a), count(b)
	t.Logf("KV operations per message: no webhook %v, webhook %v", without, with)
	if len(without) != len(with) {
		t.Errorf("a webhook changes the KV operations of a message: %v -> %v", without, with)
	}
	for k, v := range without {
		if with[k] != v {
			t.Errorf("a webhook changes the KV operations of a message: %v -> %v", without, with)
		}
	}
}

// An erased person's events still waiting for the org's receiver (down, or
// answering 500) are dropped, not delivered once it is back: their chats
// are shown to no caller after the erasure. The events of everyone else
// arrive: a survivor's, the identity's new history, a claim whose contact
// was erased after it (the sessions are the user's), and each erasure's
// deletion.completed.
func TestWebhookEventsOfAnErasedPersonAreDropped(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	const url = "http://127.0.0.1:1/a"
	e.setHook(a, url)
	e.recv.status[url] = 500
	say := func(tok, sess, content string) {
		t.Helper()
		if r := e.widget(a, tok, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": content}); r.Status != 201 {
			t.Fatalf("post: %d %s", r.Status, r.Raw)
		}
	}
	u := e.verified(a, map[string]any{"user_id": "u-1"})
	d1 := e.contact(a, device1)
	erased := []string{e.newSession(a, u, nil)["id"].(string), e.newSession(a, d1, nil)["id"].(string)}
	say(u, erased[0], "erased user's words")
	say(d1, erased[1], "erased contact's words")
	d2 := e.contact(a, device2)
	say(d2, e.newSession(a, d2, nil)["id"].(string), "survivor's words")
	d3 := e.contact(a, "3c9a6f1e-2b4d-4e8f-9a1b-2c3d4e5f6a7b")
	claimedSess := e.newSession(a, d3, nil)["id"].(string)
	if got := claimedIDs(t, e.claim(a, e.verified(a, map[string]any{"user_id": "u-2"}), d3)); len(got) != 1 {
		t.Fatalf("claimed %v", got)
	}
	e.deliver() // every first attempt answered 500

	cid3 := e.contactID(a, d3)
	for _, r := range []resp{
		e.server(a, "DELETE", "/v1/users?user_id=u-1", nil),
		e.widget(a, d1, "DELETE", "/v1/widget/me", nil),
		e.server(a, "DELETE", "/v1/contacts/"+cid3, nil),
	} {
		if r.Status != 202 {
			t.Fatalf("erase: %d %s", r.Status, r.Raw)
		}
	}
	e.clock.Advance(time.Second)
	again := e.verified(a, map[string]any{"user_id": "u-1"})
	newSess := e.newSession(a, again, nil)["id"].(string)

	got := map[string]int{}
	for _, ev := range e.receiverBack(url) {
		got[ev.Type]++
		if s, ok := ev.Data["session"].(map[string]any); ok && s["id"] == newSess {
			got["the new history's"]++
		}
		for _, erased := range []string{"erased user's words", "erased contact's words"} {
			if strings.Contains(string(ev.Body), erased) {
				t.Errorf("%s delivered after its person was erased: %s", ev.Type, ev.Body)
			}
		}
		if s, ok := ev.Data["session"].(map[string]any); ok && slices.Contains(erased, s["id"].(string)) {
			t.Errorf("%s of %v, an erased person's session", ev.Type, s["id"])
		}
		if ev.Type == "sessions.claimed" && ev.Data["sessions"].([]any)[0].(map[string]any)["id"] != claimedSess {
			t.Errorf("sessions.claimed %s", ev.Body)
		}
	}
	// The survivor's session and message, the claim, the new session,
	// three erasures, and the claimed session's creation: made for the
	// contact, erased since, but the claim had moved the session to u-2
	// before (TestWebhookEventsOfSessionsClaimedBeforeTheirContactsErasureArrive).
	if got["message.created"] != 1 || got["sessions.claimed"] != 1 || got["session.created"] != 3 || got["deletion.completed"] != 3 || got["the new history's"] != 1 {
		t.Errorf("delivered after the erasures: %v", got)
	}
}

// The webhook's times are written as every other time of the API: UTC to
// the millisecond. The worker's clock reads JavaScript's float milliseconds
// (14:39:01.132999936), which PUT /v1/webhook answered as created_at and
// each event carried as its timestamp, where the rest said .133 and
// parsers of three or six digits (Python's strptime %f) refuse nine.
func TestWebhookTimesAreMilliseconds(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	e.clock.Advance(132999936 * time.Nanosecond)
	ms := func(what, s string) {
		t.Helper()
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || at.Location() != time.UTC || at.Nanosecond()%int(time.Millisecond) != 0 || at.Format("2006-01-02T15:04:05.000Z") != s && at.Format(time.RFC3339Nano) != s {
			t.Errorf("%s %q: not a UTC time to the millisecond (%v)", what, s, err)
		}
	}
	r := e.server(a, "PUT", "/v1/webhook", map[string]any{"url": "http://127.0.0.1:1/a"})
	ms("PUT's created_at", r.Body["webhook"].(map[string]any)["created_at"].(string))
	e.server(a, "POST", "/v1/webhook/rotate-secret", nil)
	ms("GET's created_at", e.server(a, "GET", "/v1/webhook", nil).Body["webhook"].(map[string]any)["created_at"].(string))
	e.newSession(a, e.contact(a, device1), nil)
	e.deliver()
	for _, ev := range e.recv.events() {
		var p struct{ Timestamp string }
		if err := json.Unmarshal(ev.Body, &p); err != nil {
			t.Fatal(err)
		}
		ms(ev.Type+"'s timestamp", p.Timestamp)
	}
	if len(e.recv.events()) != 1 {
		t.Errorf("%d events", len(e.recv.events()))
	}
}

// A claim whose sessions do not fit one queue message (128 KB: here six
// sessions whose last messages are 10,000 characters of three bytes) is
// announced in several sessions.claimed events, each within the queue's
// limit, naming every claimed session once. It was one event, over the
// limit, never sent: the org heard nothing of the claim.
func TestWebhookClaimTooLargeForOneEventIsAnnouncedInFull(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	secret := e.setHook(a, "http://127.0.0.1:1/a", "sessions.claimed")
	d1 := e.contact(a, device1)
	for range 6 {
		s := e.newSession(a, d1, nil)["id"].(string)
		if r := e.widget(a, d1, "POST", "/v1/widget/sessions/"+s+"/messages", map[string]any{"content": strings.Repeat("中", 10000)}); r.Status != 201 {
			t.Fatalf("post: %d %s", r.Status, r.Raw)
		}
	}
	claimed := claimedIDs(t, e.claim(a, e.verified(a, map[string]any{"user_id": "u-1"}), d1))
	e.deliver()
	evs := e.recv.events()
	var announced []string
	for _, ev := range evs {
		if ev.Type != "sessions.claimed" || !verifies(t, secret, ev) || len(ev.Body) > queue.MaxBodyBytes {
			t.Errorf("%s of %d bytes", ev.Type, len(ev.Body))
		}
		for _, s := range ev.Data["sessions"].([]any) {
			announced = append(announced, s.(map[string]any)["id"].(string))
		}
		if ev.Data["user"].(map[string]any)["user_id"] != "u-1" || ev.Data["contact"].(map[string]any)["id"] == nil {
			t.Errorf("sessions.claimed names %v and %v", ev.Data["user"], ev.Data["contact"])
		}
	}
	if len(evs) < 2 || !slices.Equal(sorted(announced), sorted(claimed)) || len(claimed) != 6 {
		t.Errorf("%d events announced %d sessions; claimed %d", len(evs), len(announced), len(claimed))
	}
}

// Two rotations in a row: the first secret, replaced less than 24 hours
// ago, still signs beside both newer ones (it was dropped at the second
// rotation), and each replaced secret stops 24 hours after it was
// replaced. Checked with the Standard Webhooks library.
func TestWebhookTwoRotationsKeepEveryReplacedSecret(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	s0 := e.setHook(a, "https://hooks.example/a", "session.created")
	rotate := func() string {
		t.Helper()
		r := e.server(a, "POST", "/v1/webhook/rotate-secret", nil)
		if r.Status != 200 {
			t.Fatalf("rotate: %d %s", r.Status, r.Raw)
		}
		return r.Body["secret"].(string)
	}
	e.clock.Advance(time.Hour)
	s1 := rotate() // s0 signs until t0+25h
	e.clock.Advance(time.Hour)
	s2 := rotate() // s1 until t0+26h
	next := func() event {
		t.Helper()
		e.newSession(a, e.contact(a, device1), nil) // contact tokens live an hour here
		e.deliver()
		evs := e.recv.events()
		return evs[len(evs)-1]
	}
	check := func(when string, ev event, want map[string]bool) {
		t.Helper()
		for name, s := range map[string]string{"s0": s0, "s1": s1, "s2": s2} {
			if got := verifies(t, s, ev); got != want[name] {
				t.Errorf("%s: %s verifies %v, want %v (webhook-signature %q)", when, name, got, want[name], ev.Header.Get("webhook-signature"))
			}
		}
	}
	check("after two rotations", next(), map[string]bool{"s0": true, "s1": true, "s2": true})
	e.clock.Advance(23*time.Hour - time.Second) // t0+25h-1s
	check("just before s0's 24 hours", next(), map[string]bool{"s0": true, "s1": true, "s2": true})
	e.clock.Advance(2 * time.Second)
	check("after s0's 24 hours", next(), map[string]bool{"s1": true, "s2": true})
	e.clock.Advance(time.Hour)
	check("after s1's 24 hours", next(), map[string]bool{"s2": true})
}

// largestEvents makes, for each character class, the message.created events
// that carry the most bytes the API's limits allow: a verified user of 256
// such characters of user_id and a 254-character email, a session of an
// external id of 256 and non-verified custom data of 8 KiB, and in it a
// visitor's message and an agent's (author_name of 200) of 10,000, each
// carried twice in its event (the message and the session's last_message).
// It returns the contents posted, by class.
func largestEvents(t *testing.T, e *hookEnv, o orgInfo) map[string]string {
	t.Helper()
	classes := []struct {
		name             string
		content, printed string // of the message; of the ids and names
		data             string // of the custom data
	}{
		{"less-than", "<", "<", "<"},
		// The worst: a control character is 6 bytes in any JSON, an emoji
		// the most bytes of a printable character (4), U+2028 json.Marshal's
		// 6 bytes where JSON.stringify counts 3.
		{"control", "\x01", "😀", "\u2028"},
		{"emoji", "😀", "😀", "😀"},
		{"line-separator", "\u2028", `"`, "\u2028"},
	}
	email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	contents := map[string]string{}
	for i, c := range classes {
		u := e.verified(o, map[string]any{"user_id": fmt.Sprint(i) + strings.Repeat(c.printed, 255), "email": email})
		// 8 KiB as JSON.stringify counts it: {"k":"..."} with the rest.
		n := (identity.MaxCustomDataBytes - len(`{"k":""}`)) / len(c.data)
		sess := e.newSession(o, u, map[string]any{
			"external_id": strings.Repeat(c.printed, 256),
			"custom_data": map[string]any{"k": strings.Repeat(c.data, n)},
		})["id"].(string)
		content := strings.Repeat(c.content, identity.MaxContentChars)
		if strings.TrimSpace(content) == "" { // white space alone is refused
			content = "x" + content[len(c.content):]
		}
		if r := e.widget(o, u, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": content}); r.Status != 201 {
			t.Fatalf("%s: visitor's post: %d %s", c.name, r.Status, r.Raw)
		}
		if r := e.server(o, "POST", "/v1/sessions/"+sess+"/messages", map[string]any{"content": content, "author_name": strings.Repeat(c.printed, identity.MaxAuthorNameChars)}); r.Status != 201 {
			t.Fatalf("%s: agent's post: %d %s", c.name, r.Status, r.Raw)
		}
		contents[c.name] = content
	}
	return contents
}

// No event is lost to the queue's 128 KB: the largest message.created
// events the limits allow (largestEvents) are delivered whole, signed over
// the bytes sent. json.Marshal wrote "<" and U+2028 as six bytes each and a
// control character is six bytes in any JSON; with the message carried
// twice, 3 of the 4 classes made events over the limit, which were only
// logged. Events are now written without HTML escapes, and one still too
// large (10,000 control characters twice are 120,000 bytes alone) is kept
// in KV, its queue message naming it, and deleted once delivered.
func TestWebhookLargestEventsAreDeliveredWhole(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	secret := e.setHook(a, "http://127.0.0.1:1/a", "message.created")
	contents := largestEvents(t, e, a)
	for _, b := range e.q.Pending() {
		if len(b) > queue.MaxBodyBytes {
			t.Errorf("a queue message of %d bytes", len(b))
		}
	}
	e.deliver()
	got := map[string]int{}
	largest := 0
	for _, ev := range e.recv.events() {
		if ev.Type != "message.created" || !verifies(t, secret, ev) {
			t.Errorf("%s does not verify", ev.Type)
			continue
		}
		largest = max(largest, len(ev.Body))
		msg := ev.Data["message"].(map[string]any)
		sess := ev.Data["session"].(map[string]any)
		last := sess["last_message"].(map[string]any)
		for class, content := range contents {
			if msg["content"] == content && last["content"] == content && last["id"] == msg["id"] {
				got[class+" "+msg["role"].(string)]++
			}
		}
		if data := sess["non_verified_custom_data"].(map[string]any)["k"].(string); len(data) < identity.MaxCustomDataBytes-20 {
			t.Errorf("custom data of %d bytes", len(data))
		}
		// What json.Marshal wrote before (the same data, HTML-escaped).
		var v any
		_ = json.Unmarshal(ev.Body, &v)
		escaped, _ := json.Marshal(v)
		t.Logf("%s %q...: %d bytes sent (json.Marshal: %d)", msg["role"], string([]rune(msg["content"].(string))[:2]), len(ev.Body), len(escaped))
	}
	for class := range contents {
		for _, role := range []string{"user", "agent"} {
			if got[class+" "+role] != 1 {
				t.Errorf("the %s message of %s characters delivered %d times, want once whole", role, class, got[class+" "+role])
			}
		}
	}
	// The worst case does not fit a queue message even unescaped: it went
	// through KV, and nothing of it is left there.
	if largest <= queue.MaxBodyBytes {
		t.Errorf("the largest event is %d bytes: not the worst case", largest)
	}
	if keys := storedPayloads(t, e); len(keys) != 0 {
		t.Errorf("stored payloads left after delivery: %v", keys)
	}
}

// storedPayloads lists the KV keys of webhook payloads kept for delivery.
func storedPayloads(t *testing.T, e *hookEnv) []string {
	t.Helper()
	var out []string
	cursor := ""
	for {
		res, err := e.mem.List(context.Background(), kv.ListOptions{Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range res.Keys {
			if strings.Contains(k.Name, "/hook/") || strings.HasPrefix(k.Name, "hook/") {
				out = append(out, k.Name)
			}
		}
		if res.Complete || res.Cursor == "" {
			return out
		}
		cursor = res.Cursor
	}
}

// A stored payload goes with its person: erased while the receiver is
// down, the event is dropped and its payload deleted with the session.
func TestWebhookStoredPayloadGoesWithTheErasure(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	const url = "http://127.0.0.1:1/a"
	e.setHook(a, url, "message.created")
	e.recv.status[url] = 500
	tok := e.contact(a, device1)
	sess := e.newSession(a, tok, map[string]any{"custom_data": map[string]any{"k": strings.Repeat("\u2028", 2700)}})["id"].(string)
	if r := e.widget(a, tok, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": strings.Repeat("\x01", identity.MaxContentChars)}); r.Status != 201 {
		t.Fatalf("post: %d %s", r.Status, r.Raw)
	}
	e.deliver()
	if keys := storedPayloads(t, e); len(keys) != 1 {
		t.Fatalf("stored payloads %v, want one", keys)
	}
	if r := e.widget(a, tok, "DELETE", "/v1/widget/me", nil); r.Status != 202 {
		t.Fatalf("erase: %d %s", r.Status, r.Raw)
	}
	if n := len(e.receiverBack(url)); n != 0 {
		t.Errorf("%d events delivered after the erasure", n)
	}
	if keys := storedPayloads(t, e); len(keys) != 0 {
		t.Errorf("stored payloads left after the erasure: %v", keys)
	}
}

// A contact's events still waiting for delivery when their sessions were
// claimed and the contact erased afterwards are delivered: the claim moved
// the sessions (and the data the events carry) to the user before the
// erasure, which leaves them, as it leaves them to every caller. They were
// dropped, judged by the erasure of the contact they were made for.
func TestWebhookEventsOfSessionsClaimedBeforeTheirContactsErasureArrive(t *testing.T) {
	e := newHookEnv(t)
	a := e.newOrg("A")
	const url = "http://127.0.0.1:1/a"
	e.setHook(a, url, "session.created", "message.created")
	e.recv.status[url] = 500
	d := e.contact(a, device1)
	sess := e.newSession(a, d, nil)["id"].(string)
	if r := e.widget(a, d, "POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": "before the claim"}); r.Status != 201 {
		t.Fatalf("post: %d %s", r.Status, r.Raw)
	}
	e.newSession(a, e.contact(a, device2), nil) // erased with its contact, never claimed
	const device3 = "3c9a6f1e-2b4d-4e8f-9a1b-2c3d4e5f6a7b"
	e.newSession(a, e.contact(a, device3), nil) // claimed by u-2, who is erased too
	e.deliver()
	e.clock.Advance(time.Second)
	user := e.verified(a, map[string]any{"user_id": "u-1"})
	if got := claimedIDs(t, e.claim(a, user, d)); len(got) != 1 {
		t.Fatalf("claimed %v", got)
	}
	if got := claimedIDs(t, e.claim(a, e.verified(a, map[string]any{"user_id": "u-2"}), e.contact(a, device3))); len(got) != 1 {
		t.Fatalf("claimed %v", got)
	}
	e.clock.Advance(time.Second)
	var erasures []resp
	for _, dev := range []string{device1, device2, device3} {
		cid := e.contactID(a, e.contact(a, dev))
		erasures = append(erasures, e.server(a, "DELETE", "/v1/contacts/"+cid, nil))
	}
	erasures = append(erasures, e.server(a, "DELETE", "/v1/users?user_id=u-2", nil))
	for _, r := range erasures {
		if r.Status != 202 {
			t.Fatalf("erase: %d %s", r.Status, r.Raw)
		}
	}
	got := map[string]int{}
	for _, ev := range e.receiverBack(url) {
		got[ev.Type+" "+ev.Data["session"].(map[string]any)["id"].(string)]++
	}
	want := map[string]int{"session.created " + sess: 1, "message.created " + sess: 1}
	if !maps.Equal(got, want) {
		t.Errorf("delivered after the erasures %v, want %v (of the erased contact's own session and of the erased u-2's: none)", got, want)
	}
	// The session is the user's still, as the events said.
	if r := e.widget(a, user, "GET", "/v1/widget/sessions/"+sess, nil); r.Status != 200 {
		t.Errorf("the claimed session after its contact's erasure: %d", r.Status)
	}
}
