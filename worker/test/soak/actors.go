package soak

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// load runs the actors: one goroutine per principal and per org server.
// An actor starts no operation once the load has stopped, nor once it has
// sent its request budget; while the load is held (its write lock taken:
// Run, before the restart and for the erasures), not until it is released.
// Operations under way finish, retries included.
type load struct {
	cfg     Config
	stats   *stats
	c       *client
	rec     *recorder
	w       *World
	run     string
	stopped chan struct{}
	held    sync.RWMutex
	abort   context.CancelFunc
	wg      sync.WaitGroup
}

func (l *load) start(ctx context.Context, w *World) {
	opCtx, abort := context.WithCancel(ctx)
	l.abort = abort
	for i := range w.Principals {
		p := &w.Principals[i]
		l.wg.Go(func() { l.widgetUser(opCtx, p, w.Orgs[p.Org]) })
	}
	for _, org := range w.Orgs {
		l.wg.Go(func() { l.orgServer(opCtx, org) })
	}
}

// begin is called before each operation of an actor: false when it must
// start none (the load stopped, the budget is spent, ctx ended, or the
// actor's principal is erased). When true, the operation runs under the
// load's read lock and must call end when done, so that holding the load
// (its write lock) waits for every operation under way.
func (l *load) begin(ctx context.Context, p *Principal) bool {
	l.held.RLock()
	select {
	case <-l.stopped:
	default:
		if l.sent() < l.cfg.MaxRequests && ctx.Err() == nil && (p == nil || !l.rec.isErased(p.Name)) {
			return true
		}
	}
	l.held.RUnlock()
	return false
}

func (l *load) end() { l.held.RUnlock() }

// pause waits about d (between d/2 and 3d/2); false when the load stopped.
func (l *load) pause(d time.Duration) bool {
	if d > 0 {
		d = d/2 + rand.N(d+1)
	}
	select {
	case <-l.stopped:
		return false
	case <-time.After(d):
		return true
	}
}

// until waits until the deadline, or until the load has sent maxSent
// requests, or until ctx ends.
func (l *load) until(ctx context.Context, deadline time.Time, maxSent int) {
	for time.Now().Before(deadline) && l.sent() < maxSent && sleep(ctx, 20*time.Millisecond) {
	}
}

// stop lets no operation start any more and waits up to drain for those
// under way, then aborts what is left.
func (l *load) stop(drain time.Duration) {
	close(l.stopped)
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
	}
	l.abort()
	<-done
}

func (l *load) sent() int { return l.stats.sentUnderLoad() }

// trap calls trap (if not nil) about every cfg.TrapEvery until the load
// stops, and returns how many of its calls succeeded.
func (l *load) trap(ctx context.Context, trap func(context.Context) error) (n int) {
	for trap != nil && l.pause(l.cfg.TrapEvery) {
		if trap(ctx) == nil {
			n++
		}
	}
	return n
}

// widgetUser is one principal's widget: it opens sessions one after
// another, posts messages into the current one, and now and then polls it
// for replies, each operation retried with its Idempotency-Key until the
// worker answers.
func (l *load) widgetUser(ctx context.Context, p *Principal, org Org) {
	var session, lastSeen string
	left, sessions, messages := 0, 0, 0 // left: messages still to post in session
	for l.begin(ctx, p) {
		switch {
		case session == "" || left <= 0:
			if id, ok := l.openSession(ctx, p, org, sessions); ok {
				session, lastSeen = id, ""
				left = 1 + rand.N(2*l.cfg.MessagesPerSession-1)
			}
			sessions++
		case rand.N(4) == 0:
			lastSeen = l.poll(ctx, p, org, session, lastSeen)
		default:
			key := opaqueKey(l.run, p.Name, "m", messages)
			l.postMessage(ctx, MessageEntry{Key: key, Org: p.Org, SessionID: session, Author: p.Name, Role: "user",
				Content: messageContent(key, p.Mark+" says", messages)}, org, p)
			messages++
			left--
		}
		l.end()
		if !l.pause(l.cfg.Think) {
			return
		}
	}
}

func (l *load) openSession(ctx context.Context, p *Principal, org Org, n int) (id string, ok bool) {
	ref := opaqueKey(l.run, p.Name, "s", n)
	in := contract.SessionRequest{CustomData: map[string]any{"soak_ref": ref}}
	if !p.Verified && n%3 == 2 {
		in.ExternalID = sharedExternalID
	}
	// a verified user's external id is the one signed into its token
	i := l.rec.beginSession(SessionEntry{Ref: ref, Org: p.Org, Owner: p.Name, ExternalID: cmp.Or(in.ExternalID, p.ExternalID)})
	r, err := l.c.expect(201).CreateSession(ctx, in, widget(org, p, contract.IdempotencyKey(ref))...)
	out, ok := value(l.stats, r, err, in, "201 {session: {id, ...}}", func(o contract.SessionCreated) bool { return o.Session.ID != "" })
	if ok {
		l.rec.ackSession(i, out.Session.ID)
	}
	return out.Session.ID, ok
}

// poll reads the session's messages after lastSeen, as a widget waiting for
// a reply does, and returns the newest id seen.
func (l *load) poll(ctx context.Context, p *Principal, org Org, session, lastSeen string) string {
	r, err := l.c.expect(200).GetSession(ctx, session, lastSeen, widget(org, p)...)
	if err == nil && len(r.Value.Messages) > 0 {
		return r.Value.Messages[len(r.Value.Messages)-1].ID
	}
	return lastSeen
}

// orgServer is an org's own server: it replies as an agent into the org's
// sessions, picked at random among those acknowledged so far.
func (l *load) orgServer(ctx context.Context, org Org) {
	for n := 0; l.begin(ctx, nil); {
		if sessions := l.rec.sessionsOf(org.Index); len(sessions) > 0 {
			key, s := opaqueKey(l.run, serverName(org), "r", n), sessions[rand.N(len(sessions))]
			to := "to " + l.w.principal(s.Owner).Mark // the owner's mark: erased with the session
			l.postMessage(ctx, MessageEntry{Key: key, Org: org.Index, SessionID: s.ID, Author: serverName(org),
				Role: "agent", Content: messageContent(key, to, n)}, org, nil)
			n++
		}
		l.end()
		if !l.pause(2 * l.cfg.Think) {
			return
		}
	}
}

// postMessage posts e, p's widget's (or, p nil, org's server's as an
// agent), with e.Key as Idempotency-Key, retrying until the worker answers,
// and records it.
func (l *load) postMessage(ctx context.Context, e MessageEntry, org Org, p *Principal) {
	e.FirstSent = time.Now()
	i := l.rec.beginMessage(e)
	in, key := contract.MessageRequest{Content: e.Content}, contract.IdempotencyKey(e.Key)
	var r contract.Call[contract.MessageCreated]
	var err error
	if p == nil {
		in.AuthorName = "Agent " + org.Name
		r, err = l.c.expect(201).PostAgentMessage(ctx, e.SessionID, in, server(org, key)...)
	} else {
		r, err = l.c.expect(201).PostUserMessage(ctx, e.SessionID, e.Content, widget(org, p, key)...)
	}
	at := time.Now()
	out, ok := value(l.stats, r, err, in, "201 {message: {id, ...}}", func(o contract.MessageCreated) bool { return o.Message.ID != "" })
	if !ok {
		return
	}
	l.rec.ackMessage(i, out.Message.ID, at)
	if out.Message.SessionID != e.SessionID || out.Message.Content != e.Content {
		l.stats.anomalyOf(r.Response, in, "201 with the message as posted, in its session")
	}
}

// opaqueKey is the Idempotency-Key of actor's n-th operation of a kind:
// opaque, as a real client's random key is, since a key must never carry
// personal data (the erasure's KV scan looks for the actors' marks).
func opaqueKey(run, actor, kind string, n int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%s%d", run, actor, kind, n))
	return "soak-" + hex.EncodeToString(sum[:12])
}

// messageContent is unique (it starts with the key), says who (the author's
// or the session owner's mark) and is of varied length: every tenth message
// is long, too long to ride in a KV key's metadata.
func messageContent(key, who string, n int) string {
	words := []string{"hello", "order", "refund", "thanks", "where", "is", "my", "parcel", "ok", "?"}
	var b strings.Builder
	b.WriteString(key + " | " + who)
	count := 3 + rand.N(20)
	if n%10 == 9 {
		count = 300
	}
	for range count {
		b.WriteString(" " + words[rand.N(len(words))])
	}
	return b.String()
}
