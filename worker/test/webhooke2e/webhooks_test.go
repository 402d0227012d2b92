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
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/webhook"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

const overlapSeconds = 8

type client struct {
	t    *testing.T
	base string
}

type answer struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (c client) call(method, path string, body any, headers ...string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &a.Body)
	return a
}

type org struct {
	ID, PK, SK, Contact, Session string
}

func (c client) newOrg(s *wranglertest.Server, name string) org {
	c.t.Helper()
	r := c.call("POST", "/v1/admin/orgs", map[string]any{"name": name, "allowed_origins": []string{}}, "Authorization", "Bearer "+s.AdminToken)
	if r.Status != 201 {
		c.t.Fatalf("create org: %d %s", r.Status, r.Raw)
	}
	o := org{ID: r.Body["org"].(map[string]any)["id"].(string), PK: r.Body["org"].(map[string]any)["widget_token"].(string), SK: r.Body["api_key"].(map[string]any)["secret"].(string)}
	r = c.call("POST", "/v1/widget/contacts", map[string]any{"device_id": "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}, "X-Widget-Token", o.PK)
	if r.Status != 200 {
		c.t.Fatalf("contact: %d %s", r.Status, r.Raw)
	}
	o.Contact = r.Body["token"].(string)
	return o
}

func (c client) setHook(o org, url string) string {
	c.t.Helper()
	r := c.call("PUT", "/v1/webhook", map[string]any{"url": url}, "Authorization", "Bearer "+o.SK)
	if r.Status != 200 {
		c.t.Fatalf("PUT /v1/webhook: %d %s", r.Status, r.Raw)
	}
	return r.Body["webhook"].(map[string]any)["secret"].(string)
}

func (c client) newSession(o org, key string) string {
	c.t.Helper()
	r := c.call("POST", "/v1/widget/sessions", map[string]any{}, "X-Widget-Token", o.PK, "Authorization", "Bearer "+o.Contact, "Idempotency-Key", key)
	if r.Status != 201 {
		c.t.Fatalf("session: %d %s", r.Status, r.Raw)
	}
	return r.Body["session"].(map[string]any)["id"].(string)
}

// post sends a visitor's message (or, agent, the org's) and returns its id.
func (c client) post(o org, sess, content, key string, agent bool) (string, answer) {
	c.t.Helper()
	var r answer
	if agent {
		r = c.call("POST", "/v1/sessions/"+sess+"/messages", map[string]any{"content": content, "author_name": "Agent"}, "Authorization", "Bearer "+o.SK, "Idempotency-Key", key)
	} else {
		r = c.call("POST", "/v1/widget/sessions/"+sess+"/messages", map[string]any{"content": content}, "X-Widget-Token", o.PK, "Authorization", "Bearer "+o.Contact, "Idempotency-Key", key)
	}
	if r.Status != 201 {
		c.t.Fatalf("message: %d %s", r.Status, r.Raw)
	}
	return r.Body["message"].(map[string]any)["id"].(string), r
}

// waitFor polls until ok or the deadline.
func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func accepted(recv *webhookrecv.Receiver, name string) map[string]int {
	out := map[string]int{}
	for _, d := range recv.Accepted(name) {
		out[d.ID]++
	}
	return out
}

func TestWebhooksUnderWrangler(t *testing.T) {
	recv, err := webhookrecv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	s := wranglertest.StartT(t, wranglertest.Options{Vars: map[string]string{
		"WEBHOOK_ALLOW_LOOPBACK":         "1",
		"WEBHOOK_RETRY_DELAYS":           "1,1,1,2,2,2,3,3,3,3,3,3",
		"WEBHOOK_SECRET_OVERLAP_SECONDS": fmt.Sprint(overlapSeconds),
		"RATE_LIMIT_MESSAGES_PER_IP":     "0",
		"RATE_LIMIT_CONTACTS_PER_IP":     "0",
	}})
	c := client{t: t, base: s.URL}
	a, b := c.newOrg(s, "A"), c.newOrg(s, "B")
	secretA := c.setHook(a, recv.Endpoint("A"))
	secretB := c.setHook(b, recv.Endpoint("B"))
	recv.SetSecrets("A", secretA)
	recv.SetSecrets("B", secretB)

	// Every session and message: exactly one event id at its org's
	// receiver, verified; a replay (same Idempotency-Key) adds none.
	want := map[string]map[string]bool{"A": {}, "B": {}}
	for _, o := range []struct {
		name string
		org  org
	}{{"A", a}, {"B", b}} {
		sess := c.newSession(o.org, "s-"+o.name)
		if again := c.newSession(o.org, "s-"+o.name); again != sess {
			t.Fatalf("session replay made %s, first %s", again, sess)
		}
		o.org.Session = sess
		want[o.name][webhook.EventID(o.org.ID, webhook.SessionCreated, sess)] = true
		for i := range 6 {
			key := fmt.Sprintf("m-%s-%d", o.name, i)
			id, _ := c.post(o.org, sess, fmt.Sprintf("message %d", i), key, i%3 == 2)
			if _, r := c.post(o.org, sess, fmt.Sprintf("message %d", i), key, i%3 == 2); r.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("not replayed: %v", r.Header)
			}
			want[o.name][webhook.EventID(o.org.ID, webhook.MessageCreated, id)] = true
		}
		if o.name == "A" {
			a = o.org
		}
	}
	complete := func(name string) bool {
		got := accepted(recv, name)
		for id := range want[name] {
			if got[id] == 0 {
				return false
			}
		}
		return true
	}
	waitFor(t, "every event", 60*time.Second, func() bool { return complete("A") && complete("B") })
	time.Sleep(3 * time.Second) // room for a duplicate to show
	for _, name := range []string{"A", "B"} {
		got := accepted(recv, name)
		for id, n := range got {
			if !want[name][id] {
				t.Errorf("%s got event %s, which is none of its own (%d times)", name, id, n)
			}
			if n != 1 {
				t.Errorf("%s got event %s %d times", name, id, n)
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
	msg, _ := c.post(a, a.Session, "after a failure", "fail-1", false)
	id := webhook.EventID(a.ID, webhook.MessageCreated, msg)
	waitFor(t, "the event after two 500s", 60*time.Second, func() bool { return accepted(recv, "A")[id] == 1 })
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
	msg, _ = c.post(a, a.Session, "while down", "down-1", false)
	id = webhook.EventID(a.ID, webhook.MessageCreated, msg)
	time.Sleep(4 * time.Second)
	if err := recv.Up(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the event after the receiver came back", 60*time.Second, func() bool { return accepted(recv, "A")[id] == 1 })

	// Rotation: both secrets verify during the overlap, the new one alone after.
	r := c.call("POST", "/v1/webhook/rotate-secret", nil, "Authorization", "Bearer "+a.SK)
	fresh, _ := r.Body["secret"].(string)
	if r.Status != 200 || !strings.HasPrefix(fresh, "whsec_") {
		t.Fatalf("rotate: %d %s", r.Status, r.Raw)
	}
	recv.SetSecrets("A", secretA, fresh)
	rotated := time.Now()
	msg, _ = c.post(a, a.Session, "during the overlap", "rot-1", false)
	id = webhook.EventID(a.ID, webhook.MessageCreated, msg)
	waitFor(t, "the event during the overlap", 30*time.Second, func() bool { return accepted(recv, "A")[id] == 1 })
	if d := find(recv.Accepted("A"), id); time.Since(rotated) < overlapSeconds*time.Second && fmt.Sprint(d.Verified) != "[0 1]" {
		t.Errorf("during the overlap the event verified with secrets %v, want both", d.Verified)
	}
	time.Sleep(time.Until(rotated.Add(overlapSeconds*time.Second + 2*time.Second)))
	msg, _ = c.post(a, a.Session, "after the overlap", "rot-2", false)
	id = webhook.EventID(a.ID, webhook.MessageCreated, msg)
	waitFor(t, "the event after the overlap", 30*time.Second, func() bool { return accepted(recv, "A")[id] == 1 })
	if d := find(recv.Accepted("A"), id); fmt.Sprint(d.Verified) != "[1]" {
		t.Errorf("after the overlap the event verified with secrets %v, want the new one alone", d.Verified)
	}

	// B never got anything of A's.
	for _, d := range recv.Deliveries("B") {
		if !want["B"][d.ID] {
			t.Errorf("B got %s, not one of its events", d.ID)
		}
	}
}

func find(ds []webhookrecv.Delivery, id string) webhookrecv.Delivery {
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	return webhookrecv.Delivery{}
}

// Messages posted at once, while the queue delivers: every one is one event.
func TestWebhooksUnderConcurrentLoad(t *testing.T) {
	recv, err := webhookrecv.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	s := wranglertest.StartT(t, wranglertest.Options{Log: testLog{t}, Vars: map[string]string{
		"WEBHOOK_ALLOW_LOOPBACK":     "1",
		"WEBHOOK_RETRY_DELAYS":       "1,1,1,2,2,2,3,3,3",
		"RATE_LIMIT_MESSAGES_PER_IP": "0",
		"RATE_LIMIT_CONTACTS_PER_IP": "0",
	}})
	c := client{t: t, base: s.URL}
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
				want[webhook.EventID(a.ID, webhook.MessageCreated, id)] = true
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	waitFor(t, "every event", 60*time.Second, func() bool {
		got := accepted(recv, "A")
		for id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	if s := strings.TrimSpace(string(p)); strings.Contains(s, "QUEUE") || strings.Contains(s, "level=") || strings.Contains(s, "rror") {
		l.t.Log(s)
	}
	return len(p), nil
}
