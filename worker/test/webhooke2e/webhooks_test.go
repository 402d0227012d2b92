//go:build !js

// Package webhooke2e checks webhooks end to end: the worker under wrangler
// dev (its Queue run locally by wrangler) delivering to a receiver on
// 127.0.0.1 (worker/webhookrecv) that verifies every event with the
// Standard Webhooks Go library. The worker runs with short retry delays
// (WEBHOOK_RETRY_DELAYS) and a short secret overlap
// (WEBHOOK_SECRET_OVERLAP_SECONDS) so that retries and rotations are seen
// in seconds; the defaults (6 h 52 min of retries, 24 h of overlap) are
// package webhook's and held by its unit tests.
package webhooke2e

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/internal/webhook"
	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

const overlapSeconds = 8

// world is the orgs of a test, made with contract.BuildWorld: each org
// ("A", "B", ...) has one visitor of the same name, signed in on its page.
type world struct {
	t *testing.T
	*contract.World
}

// must is a typed call's answer, which must have status want and fit the
// contract.
func must[T any](t *testing.T, r contract.Call[T], err error, want int) contract.Call[T] {
	t.Helper()
	if err := contract.Fits(r.Response, err, want); err != nil {
		t.Fatal(err)
	}
	return r
}

func (w world) visitor(o string) *contract.Client { return w.Widget(o, w.Actors[o].Token) }

func (w world) setHook(o, url string) string {
	w.t.Helper()
	r, err := w.Server(o).PutWebhook(context.Background(), contract.WebhookRequest{URL: url})
	return must(w.t, r, err, 200).Value.Webhook.Secret
}

func (w world) newSession(o, key string) string {
	w.t.Helper()
	r, err := w.visitor(o).CreateSession(context.Background(), contract.SessionRequest{}, contract.IdempotencyKey(key))
	return must(w.t, r, err, 201).Value.Session.ID
}

// post sends o's visitor's message (or, agent, the org's) and returns its
// event id.
func (w world) post(o, sess, content, key string, agent bool) (string, *contract.Response) {
	w.t.Helper()
	ctx, idem := context.Background(), contract.IdempotencyKey(key)
	var r contract.Call[contract.MessageCreated]
	var err error
	if agent {
		r, err = w.Server(o).PostAgentMessage(ctx, sess, contract.MessageRequest{Content: content, AuthorName: "Agent"}, idem)
	} else {
		r, err = w.visitor(o).PostUserMessage(ctx, sess, content, idem)
	}
	r = must(w.t, r, err, 201)
	return webhook.EventID(w.Orgs[o].Org.ID, webhook.MessageCreated, r.Value.Message.ID), r.Response
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !ok(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitOne waits until event id was accepted at name once, and returns it.
func waitOne(t *testing.T, recv *webhookrecv.Receiver, name, what, id string, d time.Duration) webhookrecv.Delivery {
	t.Helper()
	waitFor(t, what, d, func() bool { return len(recv.Accepted(name)[id]) == 1 })
	return recv.Accepted(name)[id][0]
}

func TestWebhooksUnderWrangler(t *testing.T) {
	recv := webhookrecv.StartT(t)
	vars := contract.LoopbackLoadVars("WEBHOOK_ALLOW_LOOPBACK", "1", "WEBHOOK_RETRY_DELAYS", "1,1,1,2,2,2,3,3,3,3,3,3",
		"WEBHOOK_SECRET_OVERLAP_SECONDS", fmt.Sprint(overlapSeconds))
	s := wranglertest.StartT(t, wranglertest.Options{Log: testLog{t}, Vars: vars})
	var steps []contract.Step
	for _, o := range []string{"A", "B", "C"} {
		steps = append(steps, contract.Step{Name: o, Org: o, Contact: map[string]any{"device_id": "visitor-" + o}})
	}
	built, err := contract.BuildWorld(t.Context(), contract.Validated(s.URL), s.AdminToken, "webhooks", steps)
	if err != nil {
		t.Fatal(err)
	}
	w := world{t, built}
	secretA := w.setHook("A", recv.Endpoint("A"))
	recv.SetSecrets("A", secretA)
	for _, name := range []string{"B", "C"} {
		recv.SetSecrets(name, w.setHook(name, recv.Endpoint(name)))
	}

	// Every session and message: exactly one event id at its org's
	// receiver, verified; a replay (same Idempotency-Key) adds none.
	want := map[string]map[string]bool{"A": {}, "B": {}}
	sessions := map[string]string{}
	for _, name := range []string{"A", "B"} {
		sess := w.newSession(name, "s-"+name)
		if again := w.newSession(name, "s-"+name); again != sess {
			t.Fatalf("session replay made %s, first %s", again, sess)
		}
		sessions[name] = sess
		want[name][webhook.EventID(w.Orgs[name].Org.ID, webhook.SessionCreated, sess)] = true
		for i := range 6 {
			key, content := fmt.Sprintf("m-%s-%d", name, i), fmt.Sprintf("message %d", i)
			id, _ := w.post(name, sess, content, key, i%3 == 2)
			if _, r := w.post(name, sess, content, key, i%3 == 2); r.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("not replayed: %v", r.Header)
			}
			want[name][id] = true
		}
	}
	waitFor(t, "every event", 60*time.Second, func() bool {
		return recv.Arrived("A", maps.Keys(want["A"])) && recv.Arrived("B", maps.Keys(want["B"]))
	})
	time.Sleep(3 * time.Second) // room for a duplicate to show
	for _, name := range []string{"A", "B"} {
		got := recv.Accepted(name)
		for id, ds := range got {
			if !want[name][id] {
				t.Errorf("%s got event %s, which is none of its own (%d times)", name, id, len(ds))
			}
			if len(ds) != 1 {
				t.Errorf("%s got event %s %d times", name, id, len(ds))
			}
		}
		if len(got) != len(want[name]) {
			t.Errorf("%s got %d event ids, want %d", name, len(got), len(want[name]))
		}
		for _, d := range recv.Deliveries(name) {
			if d.Status == http.StatusUnauthorized {
				t.Errorf("%s got a delivery that does not verify: %s", name, d.VerifyErr)
			}
		}
	}

	// A receiver that answers 500 twice gets the event after, same id.
	recv.FailNext("A", 2)
	id, _ := w.post("A", sessions["A"], "after a failure", "fail-1", false)
	waitOne(t, recv, "A", "the event after two 500s", id, 60*time.Second)
	var failed []string
	for _, d := range recv.Deliveries("A") {
		if d.Status == 500 {
			failed = append(failed, d.ID)
		}
	}
	if !slices.Equal(failed, []string{id, id}) {
		t.Errorf("the attempts answered 500 carried ids %v, want two of the event's %s", failed, id)
	}

	// A receiver down for a while gets it once back, same id.
	if err := recv.Down(); err != nil {
		t.Fatal(err)
	}
	id, _ = w.post("A", sessions["A"], "while down", "down-1", false)
	time.Sleep(4 * time.Second)
	if err := recv.Up(); err != nil {
		t.Fatal(err)
	}
	waitOne(t, recv, "A", "the event after the receiver came back", id, 60*time.Second)

	// A person erased while their events wait for a receiver that is down:
	// once it is back, their deletion.completed comes, their session and
	// message never do (the erasure reaches the queue).
	if err := recv.Down(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c, err := w.Widget("A", "").CreateContact(ctx, contract.ContactRequest{DeviceID: uuid.NewString()})
	erased := w.Widget("A", must(t, c, err, 200).Value.Token)
	es, err := erased.CreateSession(ctx, contract.SessionRequest{})
	esID := must(t, es, err, 201).Value.Session.ID
	em, err := erased.PostUserMessage(ctx, esID, "erased before its delivery")
	emID := must(t, em, err, 201).Value.Message.ID
	del, err := erased.DeleteMe(ctx)
	delID := must(t, del, err, 202).Value.Deletion.ID
	time.Sleep(3 * time.Second) // attempts meet the receiver down
	if err := recv.Up(); err != nil {
		t.Fatal(err)
	}
	orgA := w.Orgs["A"].Org.ID
	waitOne(t, recv, "A", "the erasure's deletion.completed", webhook.EventID(orgA, webhook.DeletionCompleted, delID), 60*time.Second)
	time.Sleep(5 * time.Second) // longer than the retry delays: room for a dropped event to show
	for _, gone := range []string{webhook.EventID(orgA, webhook.SessionCreated, esID), webhook.EventID(orgA, webhook.MessageCreated, emID)} {
		if n := len(recv.Accepted("A")[gone]); n != 0 {
			t.Errorf("an event of the erased contact's session arrived %d times after the erasure", n)
		}
	}

	// Rotation: both secrets verify during the overlap, the new one alone after.
	r, err := w.Server("A").RotateWebhookSecret(t.Context())
	fresh := must(t, r, err, 200).Value.Secret
	if !strings.HasPrefix(fresh, "whsec_") {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	recv.SetSecrets("A", secretA, fresh)
	rotated := time.Now()
	id, _ = w.post("A", sessions["A"], "during the overlap", "rot-1", false)
	if d := waitOne(t, recv, "A", "the event during the overlap", id, 30*time.Second); time.Since(rotated) < overlapSeconds*time.Second && fmt.Sprint(d.Verified) != "[0 1]" {
		t.Errorf("during the overlap the event verified with secrets %v, want both", d.Verified)
	}
	time.Sleep(time.Until(rotated.Add(overlapSeconds*time.Second + 2*time.Second)))
	id, _ = w.post("A", sessions["A"], "after the overlap", "rot-2", false)
	if d := waitOne(t, recv, "A", "the event after the overlap", id, 30*time.Second); fmt.Sprint(d.Verified) != "[1]" {
		t.Errorf("after the overlap the event verified with secrets %v, want the new one alone", d.Verified)
	}

	// B never got anything of A's.
	for _, d := range recv.Deliveries("B") {
		if !want["B"][d.ID] {
			t.Errorf("B got %s, not one of its events", d.ID)
		}
	}

	// Messages posted at once, while the queue delivers: every one is one event.
	sess := w.newSession("C", "s")
	wantC := map[string]bool{webhook.EventID(w.Orgs["C"].Org.ID, webhook.SessionCreated, sess): true}
	// Each poster is a parallel subtest, so that a failed post stops its own
	// goroutine cleanly (t.Fatal belongs to the goroutine of its test).
	var mu sync.Mutex
	for round := range 4 {
		t.Run(fmt.Sprintf("concurrent round %d", round), func(t *testing.T) {
			for i := range 10 {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Parallel()
					id, _ := world{t, w.World}.post("C", sess, fmt.Sprintf("m %d %d", round, i), fmt.Sprintf("k-%d-%d", round, i), i%4 == 0)
					mu.Lock()
					wantC[id] = true
					mu.Unlock()
				})
			}
		})
	}
	waitFor(t, "every event of the concurrent messages", 60*time.Second, func() bool {
		return recv.Arrived("C", maps.Keys(wantC))
	})

	// A claim too large for one queue message (six sessions whose last
	// messages are 10,000 characters of three bytes) comes as several
	// sessions.claimed events that name every claimed session.
	c, err = w.Widget("C", "").CreateContact(ctx, contract.ContactRequest{DeviceID: uuid.NewString()})
	device := must(t, c, err, 200).Value.Token
	for range 6 {
		s, err := w.Widget("C", device).CreateSession(ctx, contract.SessionRequest{})
		m, err := w.Widget("C", device).PostUserMessage(ctx, must(t, s, err, 201).Value.Session.ID, strings.Repeat("中", 10000))
		must(t, m, err, 201)
	}
	u, err := w.Server("C").Authenticate(ctx, contract.AuthenticateRequest{UserID: "claimer-" + uuid.NewString()})
	cl, err := w.Widget("C", must(t, u, err, 200).Value.Token).Claim(ctx, device)
	claimed := map[string]bool{}
	for _, s := range must(t, cl, err, 200).Value.Claimed {
		claimed[webhook.EventID(w.Orgs["C"].Org.ID, webhook.SessionsClaimed, s.ID)] = true
	}
	announced := func() (n int) {
		for _, ds := range recv.Accepted("C") {
			if ds[0].Type == webhook.SessionsClaimed {
				n += len(ds[0].Data["sessions"].([]any))
			}
		}
		return n
	}
	waitFor(t, "the claim's sessions.claimed events", 60*time.Second, func() bool { return announced() == 6 })
	for id, ds := range recv.Accepted("C") {
		if ds[0].Type == webhook.SessionsClaimed && !claimed[id] {
			t.Errorf("sessions.claimed %s is named by none of the claimed sessions", id)
		}
	}

	// The largest message.created events the limits allow: a visitor's and
	// an agent's 10,000 control characters (six bytes each in JSON, carried
	// twice: the message and the session's last_message) in a session of
	// 8 KiB of custom data of U+2028 and an external id, user_id and
	// author_name of emoji. Over a queue message's 128 KB even without HTML
	// escapes, each waits in KV and comes whole, verified; it was lost.
	big := strings.Repeat("\x01", 10000)
	email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	u, err = w.Server("C").Authenticate(ctx, contract.AuthenticateRequest{UserID: "u" + strings.Repeat("😀", 255), Email: email})
	largest := w.Widget("C", must(t, u, err, 200).Value.Token)
	ls, err := largest.CreateSession(ctx, contract.SessionRequest{ExternalID: strings.Repeat("😀", 256), CustomData: map[string]any{"k": strings.Repeat("\u2028", 2728)}})
	lsID := must(t, ls, err, 201).Value.Session.ID
	lm, err := largest.PostUserMessage(ctx, lsID, big)
	visitorMsg := must(t, lm, err, 201).Value.Message.ID
	am, err := w.Server("C").PostAgentMessage(ctx, lsID, contract.MessageRequest{Content: big, AuthorName: strings.Repeat("😀", 200)})
	agentMsg := must(t, am, err, 201).Value.Message.ID
	for _, m := range []string{visitorMsg, agentMsg} {
		d := waitOne(t, recv, "C", "the largest message.created", webhook.EventID(w.Orgs["C"].Org.ID, webhook.MessageCreated, m), 60*time.Second)
		msg, _ := d.Data["message"].(map[string]any)
		sess, _ := d.Data["session"].(map[string]any)
		last, _ := sess["last_message"].(map[string]any)
		custom, _ := sess["non_verified_custom_data"].(map[string]any)
		if msg["content"] != big || last["content"] != big || last["id"] != m || custom["k"] != strings.Repeat("\u2028", 2728) {
			t.Errorf("the largest message.created of %s came cut or changed: message %d characters, last_message %d", m, len(fmt.Sprint(msg["content"])), len(fmt.Sprint(last["content"])))
		}
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); strings.Contains(s, "QUEUE") || strings.Contains(s, "level=") || strings.Contains(s, "rror") {
		l.t.Log(s)
	}
	return len(p), nil
}
