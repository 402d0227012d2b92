package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// gate says whether an actor may start another operation: not once the load
// has stopped, nor once the load has sent its request budget; while the load
// is held (its write lock taken: run.go, before the restart), not until it
// is released. Operations under way when it is taken finish, retries
// included.
type gate struct {
	stopped <-chan struct{}
	held    *sync.RWMutex
	stats   *stats
	max     int
}

func (g gate) open() bool {
	g.held.RLock()
	g.held.RUnlock()
	select {
	case <-g.stopped:
		return false
	default:
	}
	return g.stats.sentUnderLoad() < g.max
}

// pause waits about d (between d/2 and 3d/2); false when the load stopped.
func (g gate) pause(d time.Duration) bool {
	if d > 0 {
		d = d/2 + rand.N(d+1)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-g.stopped:
		return false
	case <-t.C:
		return g.open()
	}
}

// widgetUser is one principal's widget: it opens sessions one after another,
// posts messages into the current one, and now and then polls it for
// replies, each operation retried with its Idempotency-Key until the worker
// answers.
type widgetUser struct {
	p    *Principal
	org  Org
	c    *client
	rec  *recorder
	cfg  Config
	run  string
	gate gate
}

func (u *widgetUser) loop(ctx context.Context) {
	var (
		session  string
		left     int // messages still to post in session
		lastSeen string
		sessions int
		messages int
	)
	for u.gate.open() && ctx.Err() == nil {
		switch {
		case session == "" || left <= 0:
			id, ok := u.openSession(ctx, sessions)
			sessions++
			if ok {
				session, lastSeen = id, ""
				left = 1 + rand.N(2*u.cfg.MessagesPerSession-1)
			}
		case rand.N(4) == 0:
			lastSeen = u.poll(ctx, session, lastSeen)
		default:
			u.post(ctx, session, messages)
			messages++
			left--
		}
		if !u.gate.pause(u.cfg.Think) {
			return
		}
	}
}

func (u *widgetUser) openSession(ctx context.Context, n int) (id string, ok bool) {
	ref := fmt.Sprintf("soak-%s-%s-s%d", u.run, u.p.Name, n)
	in := map[string]any{"custom_data": map[string]string{"soak_ref": ref}}
	ext := u.p.ExternalID
	if !u.p.Verified && n%3 == 2 {
		ext = sharedExternalID
		in["external_id"] = ext
	}
	body, _ := json.Marshal(in)
	i := u.rec.beginSession(SessionEntry{Ref: ref, Org: u.p.Org, Owner: u.p.Name, ExternalID: ext})
	h := widgetHeader(u.org, u.p)
	h["Idempotency-Key"] = ref
	res, err := u.c.do(ctx, request{method: "POST", path: "/v1/widget/sessions", body: body, header: h, expect: []int{201}})
	if err != nil {
		return "", false
	}
	var out contract.SessionCreated
	if json.Unmarshal(res.body, &out) != nil || out.Session.ID == "" {
		u.c.stats.anomaly("POST", "/v1/widget/sessions", body, res.status, res.body, "201 {session: {id, ...}}")
		return "", false
	}
	u.rec.ackSession(i, out.Session.ID)
	return out.Session.ID, true
}

func (u *widgetUser) post(ctx context.Context, session string, n int) {
	key := fmt.Sprintf("soak-%s-%s-m%d", u.run, u.p.Name, n)
	postMessage(ctx, u.c, u.rec, MessageEntry{Key: key, Org: u.p.Org, SessionID: session, Author: u.p.Name, Role: "user",
		Content: messageContent(key, n)},
		"/v1/widget/sessions/"+session+"/messages", widgetHeader(u.org, u.p), nil)
}

// poll reads the session's messages after lastSeen, as a widget waiting for
// a reply does, and returns the newest id seen.
func (u *widgetUser) poll(ctx context.Context, session, lastSeen string) string {
	path := "/v1/widget/sessions/" + session
	if lastSeen != "" {
		path += "?after=" + lastSeen
	}
	res, err := u.c.do(ctx, request{method: "GET", path: path, header: widgetHeader(u.org, u.p), expect: []int{200}})
	if err != nil {
		return lastSeen
	}
	var out contract.SessionDetail
	if json.Unmarshal(res.body, &out) == nil && len(out.Messages) > 0 {
		return out.Messages[len(out.Messages)-1].ID
	}
	return lastSeen
}

// orgServer is an org's own server: it replies as an agent into the org's
// sessions, picked at random among those acknowledged so far.
type orgServer struct {
	org  Org
	c    *client
	rec  *recorder
	cfg  Config
	run  string
	gate gate
}

func (s *orgServer) loop(ctx context.Context) {
	for n := 0; s.gate.open() && ctx.Err() == nil; {
		if ids := s.rec.sessionsOf(s.org.Index); len(ids) > 0 {
			session := ids[rand.N(len(ids))]
			key := fmt.Sprintf("soak-%s-%s/server-r%d", s.run, s.org.Name, n)
			body := map[string]any{"author_name": "Agent " + s.org.Name}
			postMessage(ctx, s.c, s.rec, MessageEntry{Key: key, Org: s.org.Index, SessionID: session,
				Author: s.org.Name + "/server", Role: "agent", Content: messageContent(key, n)},
				"/v1/sessions/"+session+"/messages", serverHeader(s.org), body)
			n++
		}
		if !s.gate.pause(2 * s.cfg.Think) {
			return
		}
	}
}

// postMessage posts e.Content (plus extra fields) to path with e.Key as
// Idempotency-Key, retrying until the worker answers, and records it.
func postMessage(ctx context.Context, c *client, rec *recorder, e MessageEntry, path string, header map[string]string, extra map[string]any) {
	in := map[string]any{"content": e.Content}
	for k, v := range extra {
		in[k] = v
	}
	body, _ := json.Marshal(in)
	h := make(map[string]string, len(header)+1)
	for k, v := range header {
		h[k] = v
	}
	h["Idempotency-Key"] = e.Key
	e.FirstSent = time.Now()
	i := rec.beginMessage(e)
	res, err := c.do(ctx, request{method: "POST", path: path, body: body, header: h, expect: []int{201}})
	if err != nil {
		return
	}
	at := time.Now()
	var out contract.MessageCreated
	if json.Unmarshal(res.body, &out) != nil || out.Message.ID == "" {
		c.stats.anomaly("POST", path, body, res.status, res.body, "201 {message: {id, ...}}")
		return
	}
	rec.ackMessage(i, out.Message.ID, at)
	if out.Message.SessionID != e.SessionID || out.Message.Content != e.Content {
		c.stats.anomaly("POST", path, body, res.status, res.body, "201 with the message as posted, in its session")
	}
}

// messageContent is unique (it starts with the key) and of varied length:
// every tenth message is long, too long to ride in a KV key's metadata.
func messageContent(key string, n int) string {
	words := []string{"hello", "order", "refund", "thanks", "where", "is", "my", "parcel", "ok", "?"}
	var b strings.Builder
	b.WriteString(key)
	b.WriteString(" |")
	count := 3 + rand.N(20)
	if n%10 == 9 {
		count = 300
	}
	for range count {
		b.WriteByte(' ')
		b.WriteString(words[rand.N(len(words))])
	}
	return b.String()
}
