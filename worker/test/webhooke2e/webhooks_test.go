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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/webhook"
	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

const overlapSeconds = 8

type client struct {
	t *testing.T
	*contract.Client
}

// must is a typed call's answer, which must have status want.
func must[T any](t *testing.T, r contract.Call[T], err error, want int) contract.Call[T] {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != want {
		t.Fatalf("%s: %d %s", r.What(), r.Status, r.Body)
	}
	return r
}

type org struct {
	ID, PK, SK, Contact, Session string
}

func (c client) newOrg(s *wranglertest.Server, name string) org {
	c.t.Helper()
	ctx := context.Background()
	r, err := c.CreateOrg(ctx, contract.CreateOrgRequest{Name: name, AllowedOrigins: []string{}}, contract.Bearer(s.AdminToken))
	created := must(c.t, r, err, 201).Value
	o := org{ID: created.Org.ID, PK: created.Org.WidgetToken, SK: created.APIKey.Secret}
	ct, err := c.CreateContact(ctx, contract.ContactRequest{DeviceID: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}, contract.WidgetToken(o.PK))
	o.Contact = must(c.t, ct, err, 200).Value.Token
	return o
}

func (c client) setHook(o org, url string) string {
	c.t.Helper()
	r, err := c.PutWebhook(context.Background(), contract.WebhookRequest{URL: url}, contract.Bearer(o.SK))
	return must(c.t, r, err, 200).Value.Webhook.Secret
}

func (c client) newSession(o org, key string) string {
	c.t.Helper()
	r, err := c.CreateSession(context.Background(), contract.SessionRequest{}, contract.WidgetToken(o.PK), contract.Bearer(o.Contact), contract.IdempotencyKey(key))
	return must(c.t, r, err, 201).Value.Session.ID
}

// post sends a visitor's message (or, agent, the org's) and returns its
// event id.
func (c client) post(o org, sess, content, key string, agent bool) (string, *contract.Response) {
	c.t.Helper()
	ctx, idem := context.Background(), contract.IdempotencyKey(key)
	var r contract.Call[contract.MessageCreated]
	var err error
	if agent {
		r, err = c.PostAgentMessage(ctx, sess, contract.MessageRequest{Content: content, AuthorName: "Agent"}, contract.Bearer(o.SK), idem)
	} else {
		r, err = c.PostUserMessage(ctx, sess, content, contract.WidgetToken(o.PK), contract.Bearer(o.Contact), idem)
	}
	r = must(c.t, r, err, 201)
	return webhook.EventID(o.ID, webhook.MessageCreated, r.Value.Message.ID), r.Response
}

// waitFor polls until ok or the deadline.
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
	s := wranglertest.StartT(t, wranglertest.Options{Vars: contract.LoopbackLoadVars("WEBHOOK_ALLOW_LOOPBACK", "1",
		"WEBHOOK_RETRY_DELAYS", "1,1,1,2,2,2,3,3,3,3,3,3", "WEBHOOK_SECRET_OVERLAP_SECONDS", fmt.Sprint(overlapSeconds))})
	c := client{t, contract.New(s.URL, nil)}
	a, b := c.newOrg(s, "A"), c.newOrg(s, "B")
	secretA := c.setHook(a, recv.Endpoint("A"))
	recv.SetSecrets("A", secretA)
	recv.SetSecrets("B", c.setHook(b, recv.Endpoint("B")))

	// Every session and message: exactly one event id at its org's
	// receiver, verified; a replay (same Idempotency-Key) adds none.
	want := map[string]map[string]bool{"A": {}, "B": {}}
	for name, o := range map[string]*org{"A": &a, "B": &b} {
		o.Session = c.newSession(*o, "s-"+name)
		if again := c.newSession(*o, "s-"+name); again != o.Session {
			t.Fatalf("session replay made %s, first %s", again, o.Session)
		}
		want[name][webhook.EventID(o.ID, webhook.SessionCreated, o.Session)] = true
		for i := range 6 {
			key, content := fmt.Sprintf("m-%s-%d", name, i), fmt.Sprintf("message %d", i)
			id, _ := c.post(*o, o.Session, content, key, i%3 == 2)
			if _, r := c.post(*o, o.Session, content, key, i%3 == 2); r.Header.Get("Idempotent-Replayed") != "true" {
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
	id, _ := c.post(a, a.Session, "after a failure", "fail-1", false)
	waitOne(t, recv, "A", "the event after two 500s", id, 60*time.Second)
	var failed int
	for _, d := range recv.Deliveries("A") {
		if d.Status == 500 {
			failed++
			if d.ID != id {
				t.Errorf("a failed attempt carried id %s, the event is %s", d.ID, id)
			}
		}
	}
	if failed != 2 {
		t.Errorf("%d attempts answered 500, want 2", failed)
	}

	// A receiver down for a while gets it once back, same id.
	if err := recv.Down(); err != nil {
		t.Fatal(err)
	}
	id, _ = c.post(a, a.Session, "while down", "down-1", false)
	time.Sleep(4 * time.Second)
	if err := recv.Up(); err != nil {
		t.Fatal(err)
	}
	waitOne(t, recv, "A", "the event after the receiver came back", id, 60*time.Second)

	// Rotation: both secrets verify during the overlap, the new one alone after.
	r, err := c.RotateWebhookSecret(context.Background(), contract.Bearer(a.SK))
	fresh := must(t, r, err, 200).Value.Secret
	if !strings.HasPrefix(fresh, "whsec_") {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	recv.SetSecrets("A", secretA, fresh)
	rotated := time.Now()
	id, _ = c.post(a, a.Session, "during the overlap", "rot-1", false)
	if d := waitOne(t, recv, "A", "the event during the overlap", id, 30*time.Second); time.Since(rotated) < overlapSeconds*time.Second && fmt.Sprint(d.Verified) != "[0 1]" {
		t.Errorf("during the overlap the event verified with secrets %v, want both", d.Verified)
	}
	time.Sleep(time.Until(rotated.Add(overlapSeconds*time.Second + 2*time.Second)))
	id, _ = c.post(a, a.Session, "after the overlap", "rot-2", false)
	if d := waitOne(t, recv, "A", "the event after the overlap", id, 30*time.Second); fmt.Sprint(d.Verified) != "[1]" {
		t.Errorf("after the overlap the event verified with secrets %v, want the new one alone", d.Verified)
	}

	// B never got anything of A's.
	for _, d := range recv.Deliveries("B") {
		if !want["B"][d.ID] {
			t.Errorf("B got %s, not one of its events", d.ID)
		}
	}
}

// Messages posted at once, while the queue delivers: every one is one event.
func TestWebhooksUnderConcurrentLoad(t *testing.T) {
	recv := webhookrecv.StartT(t)
	s := wranglertest.StartT(t, wranglertest.Options{Log: testLog{t},
		Vars: contract.LoopbackLoadVars("WEBHOOK_ALLOW_LOOPBACK", "1", "WEBHOOK_RETRY_DELAYS", "1,1,1,2,2,2,3,3,3")})
	c := client{t, contract.New(s.URL, nil)}
	a := c.newOrg(s, "A")
	recv.SetSecrets("A", c.setHook(a, recv.Endpoint("A")))
	sess := c.newSession(a, "s")
	want := map[string]bool{webhook.EventID(a.ID, webhook.SessionCreated, sess): true}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for round := range 4 {
		for i := range 10 {
			wg.Go(func() {
				id, _ := c.post(a, sess, fmt.Sprintf("m %d %d", round, i), fmt.Sprintf("k-%d-%d", round, i), i%4 == 0)
				mu.Lock()
				want[id] = true
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	waitFor(t, "every event", 60*time.Second, func() bool { return recv.Arrived("A", maps.Keys(want)) })
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); strings.Contains(s, "QUEUE") || strings.Contains(s, "level=") || strings.Contains(s, "rror") {
		l.t.Log(s)
	}
	return len(p), nil
}
