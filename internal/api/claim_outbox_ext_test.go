package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
)

// The messages a visitor had in the widget's outbox when they logged in and
// the widget claimed the device's chats: each reaches the claimed session
// once, whether its first attempt was stored (its answer lost) or not, and
// whether the retry comes with the device's contact token or the user's
// token. Before, the contact's retry was 404 (the session is no longer the
// contact's) and dropped by the widget, and the user's retry was a second
// message when the first had been stored, the key's answer being the
// contact's.
func TestOutboxMessagesOfAClaimedSessionArriveOnce(t *testing.T) {
	a, mem, clock, cfg := buildAPIOver(t, func(c *config.Config) { c.ContactTokenTTL = config.DefaultContactTokenTTL }, nil)
	e := &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	o := e.newOrg("A", originA)
	d1 := e.contact(o, device1) // the token the widget held when the visitor logged in
	s := e.newSession(o, d1, nil)["id"].(string)
	path := "/v1/widget/sessions/" + s + "/messages"
	post := func(tok, key, content string) resp {
		t.Helper()
		return e.widget(o, tok, "POST", path, map[string]any{"content": content}, "Idempotency-Key", key)
	}
	// stored: the first attempt reached the worker, its answer was lost.
	stored := post(d1, "k-stored", "stored before the claim")
	if stored.Status != 201 {
		t.Fatalf("first attempt: %d %s", stored.Status, stored.Raw)
	}
	e.clock.Advance(time.Second)
	u := e.verified(o, map[string]any{"user_id": "u-1", "ttl_seconds": 7 * 24 * 3600})
	if ids := claimedIDs(t, e.claim(o, u, d1)); len(ids) != 1 || ids[0] != s {
		t.Fatalf("claimed %v", ids)
	}
	e.clock.Advance(time.Second)
	later := e.contact(o, device1) // a token of the device's contact minted after the claim

	replayed := func(what string, r resp, first resp) {
		t.Helper()
		if r.Status != 201 || r.Raw != first.Raw || r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: %d %v %s; first %s", what, r.Status, r.Header.Get("Idempotent-Replayed"), r.Raw, first.Raw)
		}
	}
	// The stored one, sent again by each credential.
	replayed("the user's retry of the stored message", post(u, "k-stored", "stored before the claim"), stored)
	replayed("the device's retry of it", post(d1, "k-stored", "stored before the claim"), stored)
	replayed("the device's retry with a later token", post(later, "k-stored", "stored before the claim"), stored)

	// Never stored, sent by the user first (the widget handed the outbox
	// to the user at the claim), then by the device (another tab).
	byUser := post(u, "k-user", "never stored, user first")
	if byUser.Status != 201 || byUser.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the user's first send: %d %s", byUser.Status, byUser.Raw)
	}
	replayed("the device's send of the user's", post(d1, "k-user", "never stored, user first"), byUser)
	replayed("a later token's send of the user's", post(later, "k-user", "never stored, user first"), byUser)

	// Never stored, sent first by the device's tab that was open at the
	// claim: the contact posts nothing new into a chat claimed away from it
	// (it no longer sees it), whichever of its tokens it holds. The widget
	// that claimed hands the message to the user, whose send stores it;
	// the tab's retry then gets that answer.
	e.refused(t, 404, "not_found", func() resp { return post(d1, "k-device", "never stored, device first") })
	byDevice := post(u, "k-device", "never stored, device first")
	if byDevice.Status != 201 || byDevice.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("the user's send of the device's: %d %s", byDevice.Status, byDevice.Raw)
	}
	replayed("the device's retry of it", post(d1, "k-device", "never stored, device first"), byDevice)

	msgs := messagesOf(t, e, o, s)
	if len(msgs) != 3 {
		t.Errorf("%d messages in the claimed session, want 3: %v", len(msgs), msgs)
	}
	for _, m := range msgs {
		if m["role"] != "user" {
			t.Errorf("message %v", m)
		}
	}

	// The contact gains nothing else: none of its tokens posts anything
	// new, no post without a key gets through, a key's answer is
	// the same request's only, and the session stays unseen.
	e.refused(t, 404, "not_found", func() resp { return post(later, "k-new", "new from a later token") })
	e.refused(t, 404, "not_found", func() resp {
		return e.widget(o, d1, "POST", path, map[string]any{"content": "no key"})
	})
	e.refused(t, 409, "idempotency_key_reused", func() resp { return post(d1, "k-stored", "another body") })
	e.refused(t, 404, "not_found", func() resp { return e.widget(o, d1, "GET", "/v1/widget/sessions/"+s, nil) })
	e.sees(t, o, d1, nil, []string{s})
	e.sees(t, o, u, []string{s}, nil)
	// A day after the claim, too.
	e.clock.Advance(25 * time.Hour)
	e.refused(t, 404, "not_found", func() resp { return post(d1, "k-late", "a day late") })
	if got := len(messagesOf(t, e, o, s)); got != 3 {
		t.Errorf("%d messages after the refusals", got)
	}
	// A session the device never had is not found, key or not.
	other := e.newSession(o, u, nil)["id"].(string)
	e.refused(t, 404, "not_found", func() resp {
		return e.widget(o, d1, "POST", "/v1/widget/sessions/"+other+"/messages", map[string]any{"content": "x"}, "Idempotency-Key", "k-x")
	})
}

// meetAtReplays, once armed, has every read of an idempotency answer join
// the meeting: requests sent at once all look for the key's first answer
// before any of them saves one.
type meetAtReplays struct {
	*kv.Memory
	m meeting
}

func (k *meetAtReplays) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, found, err := k.Memory.Get(ctx, key)
	if strings.HasPrefix(key, "idem/") {
		k.m.join()
	}
	return v, found, err
}

// aMessageAtAClaim is the setting of the races of a message at a claim: an
// API over wrap(its KV), a contact d1 with one session s, a verified user
// u, and send, which posts the same message with the same Idempotency-Key
// as the token it is given.
func aMessageAtAClaim(t *testing.T, wrap func(*kv.Memory) kv.KV) (e *env, o orgInfo, d1, u, s string, send func(tok string) resp) {
	t.Helper()
	a, mem, clock, cfg := buildAPIOver(t, nil, wrap)
	e = &env{harness: &harness{t: t, h: a, mem: mem}, clock: clock, cfg: cfg}
	o = e.newOrg("A", originA)
	d1 = e.contact(o, device1)
	s = e.newSession(o, d1, nil)["id"].(string)
	clock.Advance(time.Second)
	u = e.verified(o, map[string]any{"user_id": "u-1"})
	path := "/v1/widget/sessions/" + s + "/messages"
	send = func(tok string) resp {
		return e.widget(o, tok, "POST", path, map[string]any{"content": "once"}, "Idempotency-Key", "k-1")
	}
	return e, o, d1, u, s, send
}

// TestAMessageInFlightAtTheClaimAndItsRetry: the device's post of a
// message has found the session still the contact's when the claim moves
// it, and the user's retry of that message (the widget handed it to the
// user at the claim) comes while the post is still being served. Before the
// two took turns in the session, both read that the key had no answer
// before either saved one, and the message was stored twice. Now the retry
// waits and gets the post's answer.
func TestAMessageInFlightAtTheClaimAndItsRetry(t *testing.T) {
	k := &meetAtReplays{m: meeting{wait: time.Second}}
	e, o, d1, u, s, send := aMessageAtAClaim(t, func(m *kv.Memory) kv.KV { k.Memory = m; return k })
	k.m.arm(2)
	var wg sync.WaitGroup
	answers := make([]resp, 2)
	wg.Go(func() { answers[0] = send(d1) })
	for k.m.joined() == 0 { // the device's post looks for the key's answer
		time.Sleep(time.Millisecond)
	}
	claimedIDs(t, e.claim(o, u, d1))
	wg.Go(func() { answers[1] = send(u) })
	wg.Wait()
	k.m.armed.Store(false)
	if answers[0].Status != 201 || answers[1].Status != 201 || answers[0].Raw != answers[1].Raw {
		t.Errorf("answers %d %s / %d %s", answers[0].Status, answers[0].Raw, answers[1].Status, answers[1].Raw)
	}
	if msgs := messagesOf(t, e, o, s); len(msgs) != 1 {
		t.Errorf("%d messages stored, want 1", len(msgs))
	}
}

// gatedGets, once a gate is armed, stops the first get after it whose key
// has the gate's prefix, once it has read its value, until the gate opens.
type gatedGets struct {
	*kv.Memory
	mu    sync.Mutex
	gates []*getGate
}

type getGate struct {
	prefix          string
	used            bool
	reached, opened chan struct{}
}

func (g *gatedGets) arm(prefix string) *getGate {
	gt := &getGate{prefix: prefix, reached: make(chan struct{}), opened: make(chan struct{})}
	g.mu.Lock()
	g.gates = append(g.gates, gt)
	g.mu.Unlock()
	return gt
}

func (g *gatedGets) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, found, err := g.Memory.Get(ctx, key)
	var hit *getGate
	g.mu.Lock()
	for _, gt := range g.gates {
		if !gt.used && strings.HasPrefix(key, gt.prefix) {
			gt.used, hit = true, gt
			break
		}
	}
	g.mu.Unlock()
	if hit != nil {
		close(hit.reached)
		<-hit.opened
	}
	return v, found, err
}

// TestAContactsPostReadBeforeTheClaimTakesTheUsersAnswer: the device's post
// of a message read its session while it was still the contact's; the
// claim moved it, and the user's send of the same message (the widget
// handed it to the user) took the key's turn in the session first. The
// device's post waits for that turn, then finds the user's answer, kept in
// the user's scope: one message. Without the look at the session again
// after the wait (msgKey.recheck), the device's post, which had found its
// session unclaimed, looked in its own scope only and stored the message a
// second time.
func TestAContactsPostReadBeforeTheClaimTakesTheUsersAnswer(t *testing.T) {
	g := &gatedGets{}
	e, o, d1, u, s, send := aMessageAtAClaim(t, func(m *kv.Memory) kv.KV { g.Memory = m; return g })
	answers := make([]resp, 2)
	var wg sync.WaitGroup
	read := g.arm("sessions/")
	wg.Go(func() { answers[0] = send(d1) })
	<-read.reached // the device's post has read the session, the contact's
	claimedIDs(t, e.claim(o, u, d1))
	looked := g.arm("idem/")
	wg.Go(func() { answers[1] = send(u) })
	<-looked.reached // the user's post holds the key's turn, looking for its answer
	close(read.opened)
	time.Sleep(100 * time.Millisecond) // the device's post waits for the turn
	close(looked.opened)
	wg.Wait()
	if answers[0].Status != 201 || answers[1].Status != 201 || answers[0].Raw != answers[1].Raw {
		t.Errorf("answers: device %d %s / user %d %s", answers[0].Status, answers[0].Raw, answers[1].Status, answers[1].Raw)
	}
	if answers[0].Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the device's post was not a replay of the user's")
	}
	if msgs := messagesOf(t, e, o, s); len(msgs) != 1 {
		t.Errorf("%d messages stored, want 1", len(msgs))
	}
}

// TestAnErasedContactsAnswersGoWithIt: the answer of a message the contact
// posted before a claim is kept in the contact's scope only, where the
// claimer's retry finds it (contactAnswers), and the contact's erasure
// removes it: no idempotency record of the contact's request is left, while
// the claimed session and the message, now the user's, stay. Before, a copy
// of the answer kept in the claimed session's scope outlived the contact.
func TestAnErasedContactsAnswersGoWithIt(t *testing.T) {
	e := newQueuedEnv(t)
	o := e.newOrg("A", originA)
	d1 := e.contact(o, device1)
	s := e.newSession(o, d1, nil)["id"].(string)
	path := "/v1/widget/sessions/" + s + "/messages"
	first := e.widget(o, d1, "POST", path, map[string]any{"content": "before the claim"}, "Idempotency-Key", "k-1")
	if first.Status != 201 {
		t.Fatalf("%d %s", first.Status, first.Raw)
	}
	msg := first.Body["message"].(map[string]any)["id"].(string)
	u := e.verified(o, map[string]any{"user_id": "u-1"})
	claimedIDs(t, e.claim(o, u, d1))
	if r := e.widget(o, u, "POST", path, map[string]any{"content": "before the claim"}, "Idempotency-Key", "k-1"); r.Raw != first.Raw || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the user's retry: %d %s", r.Status, r.Raw)
	}
	if r := e.server(o, "DELETE", "/v1/contacts/"+e.contactID(o, d1), nil); r.Status != 202 {
		t.Fatalf("erasure: %d %s", r.Status, r.Raw)
	}
	e.drain()
	for _, k := range holding(e.mem, msg) {
		if strings.HasPrefix(k, "idem/") {
			t.Errorf("%s: an answer of the erased contact is left", k)
		}
	}
	if msgs := messagesOf(t, e.env, o, s); len(msgs) != 1 {
		t.Errorf("the claimed session has %d messages, want 1", len(msgs))
	}
}
