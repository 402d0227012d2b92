package widget_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

const testWidgetToken = "pk_test_0123456789abcdefghijklmn"

// fakeWorker is an in-memory worker that implements the /v1/widget routes
// of the contract closely enough to test the widget core against it, with
// faults to inject: the network down, answers lost after the work was done,
// and status codes served before the real answer.
type fakeWorker struct {
	mu       sync.Mutex
	now      time.Time
	contacts map[string]*fakeContact // by device id
	tokens   map[string]fakeToken
	sessions map[string]*fakeSession
	order    []string // session ids, oldest first
	idem     map[string]fakeAnswer
	seq      int
	erased   int // DELETE /v1/widget/me served

	// Faults.
	down     bool     // every request fails on the network
	loseOn   []string // the next request whose URL ends with one of these is served, then its answer lost
	failNext []int    // statuses answered (without doing the work) before serving
	retryAft string
	// pageMessages, when not 0, is how many messages a GET of a session
	// answers at most, as the worker's one read of messages (5,000, 4 MiB).
	pageMessages int

	requests []widget.Request // every request that reached the fake
	routes   []fakeRoute
}

type fakeContact struct {
	id, name, email string
	custom          map[string]any
}

type fakeToken struct {
	kind identity.Kind
	sub  string
	exp  time.Time
	ext  string
}

type fakeSession struct {
	id, owner, ext string
	created        time.Time
	messages       []widget.Message
}

type fakeAnswer struct {
	status int
	body   []byte
}

func newFakeWorker() *fakeWorker {
	f := &fakeWorker{
		now:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		contacts: map[string]*fakeContact{},
		tokens:   map[string]fakeToken{},
		sessions: map[string]*fakeSession{},
		idem:     map[string]fakeAnswer{},
	}
	f.routes = []fakeRoute{
		{"POST", "/v1/widget/contacts", f.postContact},
		{"GET", "/v1/widget/me", f.authed(f.getMe)},
		{"DELETE", "/v1/widget/me", f.authed(f.deleteMe)},
		{"POST", "/v1/widget/sessions", f.authed(f.postSession)},
		{"GET", "/v1/widget/sessions", f.authed(f.listSessions)},
		{"GET", "/v1/widget/sessions/{id}", f.authed(f.getSession)},
		{"POST", "/v1/widget/sessions/{id}/messages", f.authed(f.postMessage)},
		{"POST", "/v1/widget/claim", f.authed(f.postClaim)},
	}
	return f
}

// The fake does without net/http, which TinyGo lacks: fakeRequest and
// fakeRecorder stand in for *http.Request and httptest.ResponseRecorder, and
// serve routes as http.ServeMux did.

// fakeRequest is the part of an *http.Request the handlers read.
type fakeRequest struct {
	Method string
	URL    *url.URL
	Header fakeHeader
	Body   io.Reader
	params map[string]string // path wildcards by name, set by serve
}

// PathValue returns the (unescaped) path segment the route's {name} matched.
func (r *fakeRequest) PathValue(name string) string { return r.params[name] }

// fakeHeader holds one value per header name, keyed canonically
// (idempotency-key and Idempotency-Key are the same header).
type fakeHeader map[string]string

func (h fakeHeader) Get(k string) string { return h[canonicalKey(k)] }
func (h fakeHeader) Set(k, v string)     { h[canonicalKey(k)] = v }

// canonicalKey spells a header name as net/http does: Content-Type.
func canonicalKey(k string) string {
	b := []byte(strings.ToLower(k))
	for i := range b {
		if (i == 0 || b[i-1] == '-') && 'a' <= b[i] && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// fakeRecorder records a handler's answer as httptest.ResponseRecorder did:
// the first status written wins, and a body without one is a 200.
type fakeRecorder struct {
	code        int
	wroteHeader bool
	header      fakeHeader
	body        bytes.Buffer
}

func newFakeRecorder() *fakeRecorder { return &fakeRecorder{code: 200, header: fakeHeader{}} }

func (w *fakeRecorder) Header() fakeHeader { return w.header }

func (w *fakeRecorder) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
}

func (w *fakeRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(200)
	return w.body.Write(p)
}

type fakeHandlerFunc func(w *fakeRecorder, r *fakeRequest)

// fakeRoute is one ServeMux pattern: a method, and a path whose {name}
// segments match any one non-empty segment.
type fakeRoute struct {
	method, path string
	handle       fakeHandlerFunc
}

// match reports whether the route's path matches the escaped path, and the
// wildcards it matched. Segments are unescaped before they are compared, as
// ServeMux does, so an id may hold an escaped slash.
func (rt fakeRoute) match(escapedPath string) (map[string]string, bool) {
	want := strings.Split(rt.path, "/")
	got := strings.Split(escapedPath, "/")
	if len(got) != len(want) {
		return nil, false
	}
	params := map[string]string{}
	for i, w := range want {
		seg, err := url.PathUnescape(got[i])
		if err != nil {
			seg = got[i]
		}
		if name, ok := strings.CutPrefix(w, "{"); ok {
			if seg == "" {
				return nil, false
			}
			params[strings.TrimSuffix(name, "}")] = seg
		} else if seg != w {
			return nil, false
		}
	}
	return params, true
}

// serve routes r as ServeMux did: the route matching its method and path
// handles it; a path no route knows is answered 404, a known path asked with
// another method 405. (ServeMux also redirected unclean paths and served HEAD
// with GET routes; the client sends neither, so here they are 404 and 405.)
func (f *fakeWorker) serve(w *fakeRecorder, r *fakeRequest) {
	known := false
	for _, rt := range f.routes {
		params, ok := rt.match(r.URL.EscapedPath())
		if !ok {
			continue
		}
		known = true
		if rt.method == r.Method {
			r.params = params
			rt.handle(w, r)
			return
		}
	}
	if known {
		writeText(w, 405, "Method Not Allowed")
		return
	}
	writeText(w, 404, "404 page not found")
}

// writeText answers like http.Error.
func writeText(w *fakeRecorder, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

var errFakeNetwork = errors.New("fake: connection refused")

// Do implements widget.Transport.
func (f *fakeWorker) Do(ctx context.Context, r *widget.Request) (*widget.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		return nil, errFakeNetwork
	}
	f.requests = append(f.requests, *r)
	if len(f.failNext) > 0 {
		st := f.failNext[0]
		f.failNext = f.failNext[1:]
		ra := f.retryAft
		f.mu.Unlock()
		return &widget.Response{Status: st, RetryAfter: ra, Body: []byte(`{"error":{"code":"unavailable","message":"try later"}}`)}, nil
	}
	lose := false
	for i, suffix := range f.loseOn {
		if strings.HasSuffix(r.URL, suffix) {
			lose = true
			f.loseOn = append(f.loseOn[:i:i], f.loseOn[i+1:]...)
			break
		}
	}
	f.mu.Unlock()

	u, err := url.ParseRequestURI(r.URL)
	if err != nil {
		panic("fake: invalid request URL " + r.URL + ": " + err.Error()) // as httptest.NewRequest did
	}
	req := &fakeRequest{Method: r.Method, URL: u, Header: fakeHeader{}, Body: bytes.NewReader(r.Body)}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	rec := newFakeRecorder()
	f.serve(rec, req)
	if lose {
		return nil, errFakeNetwork
	}
	return &widget.Response{Status: rec.code, RetryAfter: rec.Header().Get("Retry-After"), Body: rec.body.Bytes()}, nil
}

func (f *fakeWorker) set(fn func(f *fakeWorker)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// count returns how many requests matched method and a path prefix.
func (f *fakeWorker) count(method, pathPrefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r.Method == method && strings.Contains(r.URL, pathPrefix) {
			n++
		}
	}
	return n
}

// mint makes a JWT-shaped token whose payload the widget can read.
func (f *fakeWorker) mint(t fakeToken) string {
	f.seq++
	claims := map[string]any{"exp": t.exp.Unix(), "sub": t.sub, "n": f.seq}
	if t.ext != "" {
		claims["external_id"] = t.ext
	}
	payload, _ := json.Marshal(claims)
	tok := "eyJhbGciOiJFZERTQSJ9." + base64.RawURLEncoding.EncodeToString(payload) + ".sig" + strconv.Itoa(f.seq)
	f.tokens[tok] = t
	return tok
}

// verifiedToken is what POST /v1/users/authenticate would give.
func (f *fakeWorker) verifiedToken(identityKey, externalID string, ttl time.Duration) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mint(fakeToken{kind: identity.KindVerified, sub: identityKey, exp: f.now.Add(ttl), ext: externalID})
}

func (f *fakeWorker) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeWorker) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// agentReply posts an agent message, as the org's server would.
func (f *fakeWorker) agentReply(sessionID, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.sessions[sessionID]
	f.seq++
	s.messages = append(s.messages, widget.Message{ID: "m" + pad(f.seq), SessionID: s.id, Role: identity.RoleAgent, Content: content, CreatedAt: f.now})
}

// messages returns the contents of a session's messages, for assertions.
func (f *fakeWorker) messages(sessionID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	if s := f.sessions[sessionID]; s != nil {
		for _, m := range s.messages {
			out = append(out, string(m.Role)+":"+m.Content)
		}
	}
	return out
}

func (f *fakeWorker) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

func pad(n int) string { return strings.Repeat("0", 8-len(strconv.Itoa(n))) + strconv.Itoa(n) }

func writeJSON(w *fakeRecorder, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w *fakeRecorder, status int, code identity.Code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
}

func (f *fakeWorker) postContact(w *fakeRecorder, r *fakeRequest) {
	if r.Header.Get("X-Widget-Token") != testWidgetToken {
		writeErr(w, 401, identity.CodeUnauthorized, "unknown widget token")
		return
	}
	var in widget.ContactRequest
	if json.NewDecoder(r.Body).Decode(&in) != nil {
		writeErr(w, 400, identity.CodeInvalidJSON, "bad json")
		return
	}
	if !identity.ValidDeviceID(in.DeviceID) {
		writeErr(w, 400, identity.CodeInvalidDeviceID, "bad device")
		return
	}
	if in.Email != "" && !identity.IsValidEmail(in.Email) {
		writeErr(w, 400, identity.CodeInvalidEmail, "bad email")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.contacts[in.DeviceID]
	if c == nil {
		f.seq++
		c = &fakeContact{id: "c" + pad(f.seq)}
		f.contacts[in.DeviceID] = c
	}
	c.name, c.email, c.custom = in.Name, in.Email, in.CustomData
	exp := f.now.Add(time.Hour)
	tok := f.mint(fakeToken{kind: identity.KindContact, sub: in.DeviceID, exp: exp})
	writeJSON(w, 200, map[string]any{"token": tok, "expires_at": exp.Format(time.RFC3339),
		"contact": map[string]any{"id": c.id, "name": c.name, "email": c.email, "non_verified_custom_data": c.custom, "verified": false}})
}

type fakeHandler func(w *fakeRecorder, r *fakeRequest, p fakeToken)

func (f *fakeWorker) authed(h fakeHandler) fakeHandlerFunc {
	return func(w *fakeRecorder, r *fakeRequest) {
		if r.Header.Get("X-Widget-Token") != testWidgetToken {
			writeErr(w, 401, identity.CodeUnauthorized, "unknown widget token")
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		p, known := f.tokens[tok]
		now := f.now
		f.mu.Unlock()
		switch {
		case !ok || !known:
			writeErr(w, 401, identity.CodeInvalidToken, "bad token")
		case !now.Before(p.exp):
			writeErr(w, 401, identity.CodeTokenExpired, "The user token has expired.")
		default:
			h(w, r, p)
		}
	}
}

func ownerKey(p fakeToken) string { return string(p.kind) + ":" + p.sub }

// replay answers a request seen before under the same Idempotency-Key and
// caller; otherwise it runs do and remembers its answer.
func (f *fakeWorker) replay(w *fakeRecorder, r *fakeRequest, p fakeToken, do func() fakeAnswer) {
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	defer f.mu.Unlock()
	ik := ownerKey(p) + "|" + r.URL.Path + "|" + key
	if key != "" {
		if a, ok := f.idem[ik]; ok {
			w.WriteHeader(a.status)
			_, _ = w.Write(a.body)
			return
		}
	}
	a := do()
	if key != "" {
		f.idem[ik] = a
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func (f *fakeWorker) getMe(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	if p.kind == identity.KindVerified {
		writeJSON(w, 200, map[string]any{"user": map[string]any{"id": "u-" + p.sub, "user_id": p.sub, "verified": true}})
		return
	}
	f.mu.Lock()
	c := f.contacts[p.sub]
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"contact": map[string]any{"id": c.id, "name": c.name, "email": c.email, "verified": false}})
}

// deleteMe erases a contact: its sessions, its record and its tokens.
func (f *fakeWorker) deleteMe(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	if p.kind == identity.KindVerified {
		writeErr(w, 403, identity.CodeForbidden, "verified")
		return
	}
	f.mu.Lock()
	owner := ownerKey(p)
	var order []string
	for _, id := range f.order {
		if f.sessions[id].owner == owner {
			delete(f.sessions, id)
		} else {
			order = append(order, id)
		}
	}
	f.order = order
	delete(f.contacts, p.sub)
	for tok, t := range f.tokens {
		if t.kind == p.kind && t.sub == p.sub {
			delete(f.tokens, tok)
		}
	}
	f.erased++
	f.mu.Unlock()
	writeJSON(w, 202, map[string]any{"deletion": map[string]any{"id": "d1", "status": "pending"}})
}

func (f *fakeWorker) postSession(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	var in struct {
		ExternalID *string `json:"external_id"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	if p.ext != "" && in.ExternalID != nil && *in.ExternalID != p.ext {
		writeErr(w, 403, identity.CodeExternalIDMismatch, "mismatch")
		return
	}
	f.replay(w, r, p, func() fakeAnswer {
		f.seq++
		s := &fakeSession{id: "s" + pad(f.seq), owner: ownerKey(p), created: f.now}
		switch {
		case p.ext != "":
			s.ext = p.ext
		case in.ExternalID != nil:
			s.ext = *in.ExternalID
		}
		f.sessions[s.id] = s
		f.order = append(f.order, s.id)
		b, _ := json.Marshal(map[string]any{"session": f.wire(s)})
		return fakeAnswer{201, b}
	})
}

func (f *fakeWorker) wire(s *fakeSession) widget.Session {
	ws := widget.Session{ID: s.id, CreatedAt: s.created, UpdatedAt: s.created}
	if s.ext != "" {
		ext := s.ext
		ws.ExternalID = &ext
	}
	if n := len(s.messages); n > 0 {
		m := s.messages[n-1]
		ws.LastMessage = &m
	}
	return ws
}

func (f *fakeWorker) listSessions(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	ext := r.URL.Query().Get("external_id")
	if p.ext != "" && ext != "" && ext != p.ext {
		writeErr(w, 403, identity.CodeExternalIDMismatch, "mismatch")
		return
	}
	if p.ext != "" {
		ext = p.ext
	}
	f.mu.Lock()
	items := []widget.Session{}
	for i := len(f.order) - 1; i >= 0; i-- {
		s := f.sessions[f.order[i]]
		if s.owner == ownerKey(p) && (ext == "" || s.ext == ext) {
			items = append(items, f.wire(s))
		}
	}
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"items": items, "next_cursor": nil})
}

func (f *fakeWorker) visible(p fakeToken, id string) *fakeSession {
	s := f.sessions[id]
	if s == nil || s.owner != ownerKey(p) || (p.ext != "" && s.ext != p.ext) {
		return nil
	}
	return s
}

func (f *fakeWorker) getSession(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	f.mu.Lock()
	s := f.visible(p, r.PathValue("id"))
	if s == nil {
		f.mu.Unlock()
		writeErr(w, 404, identity.CodeNotFound, "Not found.")
		return
	}
	after := r.URL.Query().Get("after")
	msgs := []widget.Message{}
	for _, m := range s.messages {
		if (after == "" || m.ID > after) && (f.pageMessages == 0 || len(msgs) < f.pageMessages) {
			msgs = append(msgs, m)
		}
	}
	ws := f.wire(s)
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"session": ws, "messages": msgs})
}

func (f *fakeWorker) postMessage(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	var in struct {
		Content string `json:"content"`
	}
	if json.NewDecoder(r.Body).Decode(&in) != nil || identity.ValidateContent("content", in.Content) != nil {
		writeErr(w, 400, identity.CodeInvalidRequest, "content is wrong")
		return
	}
	f.mu.Lock()
	s := f.visible(p, r.PathValue("id"))
	f.mu.Unlock()
	if s == nil {
		writeErr(w, 404, identity.CodeNotFound, "Not found.")
		return
	}
	f.replay(w, r, p, func() fakeAnswer {
		f.seq++
		m := widget.Message{ID: "m" + pad(f.seq), SessionID: s.id, Role: identity.RoleUser, Content: in.Content, CreatedAt: f.now}
		s.messages = append(s.messages, m)
		b, _ := json.Marshal(map[string]any{"message": m})
		return fakeAnswer{201, b}
	})
}

// seqReader is a deterministic random source for tests (xorshift64*).
type seqReader struct{ n uint64 }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		if r.n == 0 {
			r.n = 0x9e3779b97f4a7c15
		}
		r.n ^= r.n >> 12
		r.n ^= r.n << 25
		r.n ^= r.n >> 27
		p[i] = byte((r.n * 2685821657736338717) >> 56)
	}
	return len(p), nil
}

// device is one simulated browser: its storage survives "reloads" (new
// Widgets); sleeps are recorded, not slept.
type device struct {
	st     *widget.MemoryStorage
	rnd    *seqReader
	sleeps []time.Duration
	// onSleep, when set, sees each wait before it is recorded.
	onSleep func(time.Duration)
	mu      sync.Mutex
}

func newDevice(seed uint64) *device {
	return &device{st: widget.NewMemoryStorage(), rnd: &seqReader{n: seed}}
}

// load is a page load on the device: a new Widget over its storage.
func (d *device) load(t testing.TB, f *fakeWorker, cfg map[string]any) *widget.Widget {
	t.Helper()
	return d.loadVia(t, f, f, cfg)
}

// loadVia is load with the page's requests sent through tr (to f, or not).
func (d *device) loadVia(t testing.TB, tr widget.Transport, f *fakeWorker, cfg map[string]any) *widget.Widget {
	t.Helper()
	if cfg == nil {
		cfg = map[string]any{}
	}
	if _, ok := cfg["token"]; !ok {
		cfg["token"] = testWidgetToken
	}
	c, err := widget.ParseConfig(cfg, "https://worker.test")
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return widget.New(c, widget.Deps{
		Transport: tr,
		Storage:   d.st,
		Random:    d.rnd,
		Now:       f.clock,
		Sleep: func(ctx context.Context, dur time.Duration) error {
			d.mu.Lock()
			on := d.onSleep
			d.sleeps = append(d.sleeps, dur)
			d.mu.Unlock()
			if on != nil {
				on(dur)
			}
			return ctx.Err()
		},
	})
}

// postClaim moves the sessions of X-Contact-Token's contact to the verified
// caller (of its external id only, when the token binds one).
func (f *fakeWorker) postClaim(w *fakeRecorder, r *fakeRequest, p fakeToken) {
	if p.kind != identity.KindVerified {
		writeErr(w, 403, identity.CodeForbidden, "a verified token is required")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.tokens[r.Header.Get("X-Contact-Token")]
	if !ok || c.kind != identity.KindContact {
		writeErr(w, 401, identity.CodeInvalidToken, "bad contact token")
		return
	}
	claimed := []widget.Session{}
	for i := len(f.order) - 1; i >= 0; i-- {
		s := f.sessions[f.order[i]]
		if s.owner == ownerKey(c) && (p.ext == "" || s.ext == p.ext) {
			s.owner = ownerKey(p)
			claimed = append(claimed, f.wire(s))
		}
	}
	writeJSON(w, 200, map[string]any{"claimed": claimed})
}
