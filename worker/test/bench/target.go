//go:build !js

package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// Target is one running worker the bench talks to: ours (the Go worker) or
// the JavaScript peer, each under its own `wrangler dev`.
type Target struct {
	Name string // "ours", "peer", "ours+limits"
	Peer bool   // the JavaScript peer
	Srv  *wranglertest.Server

	client *contract.Client    // no validation: it would be timed too
	org    contract.OrgCreated // as the Go worker's admin API made it (the peer is seeded with it)
	users  []principal         // one per client: the caller of the session routes
	// makers create sessions in the POST /v1/widget/sessions row, so that the
	// listed principals keep the same number of sessions.
	makers []principal
	jwks   []byte
}

// principal is a widget caller: its token of Config.Principal's kind and the
// sessions it owns.
type principal struct {
	token    string
	sessions []string
}

// benchVars are the vars of every worker the bench starts: both workers'
// rate limits off, so that a load of one client address and few principals
// is never refused; Config.ProfileRateLimits profiles ours with them on
// (Cloudflare's Rate Limiting bindings: no KV call, see worker/cfratelimit).
var benchVars = map[string]string{
	"RATE_LIMIT_CONTACTS_PER_DEVICE": "0",
	"RATE_LIMIT_CONTACTS_PER_IP":     "0",
	"RATE_LIMIT_MESSAGES_PER_DEVICE": "0",
	"RATE_LIMIT_MESSAGES_PER_IP":     "0",
}

// A worker is one of the two the bench runs: the directory of its
// wrangler.toml under the repo root ("" for the root's own), where its app
// is in that directory, the app's entry module, and a static file that
// wrangler is waited on through, so that the worker's first request is the
// bench's.
type worker struct {
	name, dir, app, entry, ready string
}

// workers are ours and the peer.
var workers = [2]worker{
	{name: "ours", app: "build", entry: "./worker.mjs", ready: "/widget.js"},
	{name: "peer", dir: "worker/test/bench/peer", entry: "./worker.js", ready: "/bench-ready.txt"},
}

// options start w under wrangler dev, from appDir when set (an instrumented
// copy).
func (w worker) options(root, appDir string, cfg Config) wranglertest.Options {
	if appDir == "" && w.dir != "" {
		appDir = filepath.Join(root, w.dir)
	}
	return wranglertest.Options{AppDir: appDir, Vars: benchVars, ReadyPath: w.ready, Log: cfg.WranglerLog}
}

// start starts w as the target name, with connections for clients.
func (w worker) start(ctx context.Context, name string, opts wranglertest.Options, clients int) (*Target, error) {
	s, err := wranglertest.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := contract.New(s.URL, nil)
	c.HTTP = newClient(clients)
	return &Target{Name: name, Peer: w == workers[1], Srv: s, client: c}, nil
}

func newClient(clients int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 4 * clients, MaxIdleConnsPerHost: 2 * clients, IdleConnTimeout: 90 * time.Second, DisableCompression: true}}
}

// Stop stops the target's wrangler.
func (t *Target) Stop() {
	if t == nil || t.Srv == nil {
		return
	}
	t.client.HTTP.CloseIdleConnections()
	t.Srv.Stop()
}

// check returns the error of a request that failed or did not answer want.
func (t *Target) check(r *contract.Response, err error, want int) error {
	if err := contract.Fits(r, err, want); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	return nil
}

// CreateOrg makes an org through the Go worker's admin API.
func (t *Target) CreateOrg(ctx context.Context, name string, origins []string) (contract.OrgCreated, error) {
	r, err := t.client.CreateOrg(ctx, contract.CreateOrgRequest{Name: name, AllowedOrigins: origins}, contract.Bearer(t.Srv.AdminToken))
	return r.Value, t.check(r.Response, err, http.StatusCreated)
}

// tokens are the tokens of the target's principals: users', then makers'.
func (t *Target) tokens() (out []string) {
	for _, u := range append(slices.Clone(t.users), t.makers...) {
		out = append(out, u.token)
	}
	return out
}

// Issuer is the iss of the target's tokens.
func (t *Target) Issuer() string { return t.Srv.Vars["TOKEN_ISSUER"] }

// benchOrigin is the page origin the load's widget calls carry, as a
// browser's would; the bench org allows it.
const benchOrigin = "https://shop.bench.example"

// Route is one measured route (Name is its method and path): how the c-th
// client sends its seq-th request through the contract client, timed, and
// checks the answer's status and body.
type Route struct {
	Name  string
	Extra bool // measured beside the four routes of the goal
	want  int
	send  func(ctx context.Context, t *Target, c, seq int) (r *contract.Response, d time.Duration, err error)
}

// route is a Route whose answer must have status want and a body ok holds.
func route[T any](name string, want int, call func(ctx context.Context, t *Target, c, seq int) (contract.Call[T], error),
	ok func(t *Target, c int, out T) bool) Route {
	return Route{Name: name, want: want, send: func(ctx context.Context, t *Target, c, seq int) (*contract.Response, time.Duration, error) {
		t0 := time.Now()
		r, err := call(ctx, t, c, seq)
		d := time.Since(t0)
		switch {
		case err != nil:
			return r.Response, d, err
		case r.Status != want:
			return r.Response, d, fmt.Errorf("status %d, want %d: %.200s", r.Status, want, bytes.TrimSpace(r.Body))
		case !ok(t, c, r.Value):
			return r.Response, d, fmt.Errorf("unexpected answer %.200s", bytes.TrimSpace(r.Body))
		}
		return r.Response, d, nil
	}}
}

// Routes are the routes the bench measures, in table order.
var Routes = []Route{
	route("POST /v1/users/authenticate", http.StatusOK,
		func(ctx context.Context, t *Target, c, seq int) (contract.Call[contract.Authenticated], error) {
			return t.client.Authenticate(ctx, contract.AuthenticateRequest{UserID: fmt.Sprintf("bench-user-%d", c), Email: fmt.Sprintf("user%d@bench.example", c),
				Name: fmt.Sprintf("Bench User %d", c), CustomData: map[string]any{"plan": "pro", "seats": seq % 50}}, contract.Bearer(t.org.APIKey.Secret))
		},
		func(t *Target, c int, out contract.Authenticated) bool {
			return out.Token != "" && isTrue(out.User.Verified) && out.User.UserID != nil && *out.User.UserID == "bench-user-"+strconv.Itoa(c)
		}),
	// A new device every time: a first visit (one get that misses, one put).
	route("POST /v1/widget/contacts", http.StatusOK,
		func(ctx context.Context, t *Target, c, seq int) (contract.Call[contract.ContactSignedIn], error) {
			return t.client.CreateContact(ctx, contract.ContactRequest{DeviceID: uuid.NewString(), Name: fmt.Sprintf("Visitor %d", seq),
				Email: fmt.Sprintf("visitor%d@bench.example", c)}, t.widget("")...)
		},
		func(t *Target, c int, out contract.ContactSignedIn) bool {
			return out.Token != "" && out.Contact.ID != "" && !isTrue(out.Contact.Verified)
		}),
	route("GET /v1/widget/sessions", http.StatusOK,
		func(ctx context.Context, t *Target, c, seq int) (contract.Call[contract.SessionList], error) {
			return t.client.ListSessions(ctx, "", contract.Page{}, t.widget(t.users[c].token)...)
		},
		func(t *Target, c int, out contract.SessionList) bool {
			return len(out.Items) == len(t.users[c].sessions)
		}),
	// With an Idempotency-Key, as the widget sends every message (its
	// outbox): a fresh one each time, so never a replay.
	route("POST /v1/widget/sessions/{id}/messages", http.StatusCreated,
		func(ctx context.Context, t *Target, c, seq int) (contract.Call[contract.MessageCreated], error) {
			u := t.users[c]
			return t.client.PostUserMessage(ctx, u.sessions[seq%len(u.sessions)], fmt.Sprintf("Hello from the bench, message %d of client %d.", seq, c),
				append(t.widget(u.token), contract.IdempotencyKey(uuid.NewString()))...)
		},
		func(t *Target, c int, out contract.MessageCreated) bool {
			return out.Message.ID != "" && out.Message.Role == "user"
		}),
	extra(route("POST /v1/widget/sessions", http.StatusCreated,
		func(ctx context.Context, t *Target, c, seq int) (contract.Call[contract.SessionCreated], error) {
			return t.client.CreateSession(ctx, contract.SessionRequest{CustomData: map[string]any{"page": "/pricing"}}, t.widget(t.makers[c].token)...)
		},
		func(t *Target, c int, out contract.SessionCreated) bool { return out.Session.ID != "" })),
	// No KV, no crypto: what any request costs in the runtime around the
	// handler (for ours, the JS↔Go bridge).
	extra(route("GET /.well-known/jwks.json", http.StatusOK,
		func(ctx context.Context, t *Target, c, seq int) (contract.Call[contract.JWKS], error) {
			return t.client.GetJWKS(ctx)
		},
		func(t *Target, c int, out contract.JWKS) bool { return len(out.Keys) > 0 && out.Keys[0].Kid != "" })),
}

func extra(rt Route) Route { rt.Extra = true; return rt }

func isTrue(b *bool) bool { return b != nil && *b }

// widget is a widget's options on the bench org's page, with Bearer token
// when set.
func (t *Target) widget(token string) []contract.Option {
	opts := []contract.Option{contract.WidgetToken(t.org.Org.WidgetToken), contract.Origin(benchOrigin)}
	if token != "" {
		opts = append(opts, contract.Bearer(token))
	}
	return opts
}

// Setup gives the target its org and, for each of clients, a principal of
// kind ("verified" or "contact") owning sessions sessions, and one more
// principal that creates sessions. The Go worker makes the org through its
// admin API; the peer is seeded with the same org (from, which must then be
// set) under the keys store.CreateOrg writes.
func (t *Target) Setup(ctx context.Context, from *contract.OrgCreated, clients, sessions int, kind string) error {
	switch {
	case t.Peer && from == nil:
		return errors.New("the peer needs the org of the Go worker")
	case t.Peer:
		r, err := t.client.Do(ctx, "POST", "/bench/seed", *from, contract.Bearer(t.Srv.AdminToken))
		if err := t.check(r, err, http.StatusCreated); err != nil {
			return err
		}
		t.org = *from
	default:
		org, err := t.CreateOrg(ctx, "bench", []string{benchOrigin})
		if err != nil {
			return err
		}
		t.org = org
	}
	r, err := t.client.GetJWKS(ctx)
	if err := t.check(r.Response, err, http.StatusOK); err != nil {
		return err
	}
	t.jwks = r.Body
	t.users, t.makers = make([]principal, clients), make([]principal, clients)
	for c := range clients {
		if t.users[c], err = t.newPrincipal(ctx, fmt.Sprintf("bench-user-%d", c), kind); err != nil {
			return err
		}
		if t.makers[c], err = t.newPrincipal(ctx, fmt.Sprintf("bench-maker-%d", c), kind); err != nil {
			return err
		}
		for range sessions {
			r, err := t.client.CreateSession(ctx, contract.SessionRequest{}, t.widget(t.users[c].token)...)
			if err := t.check(r.Response, err, http.StatusCreated); err != nil {
				return err
			}
			t.users[c].sessions = append(t.users[c].sessions, r.Value.Session.ID)
		}
	}
	return nil
}

// newPrincipal makes a device with a contact token, or a verified user with
// a verified token, and checks the token against the target's JWKS.
func (t *Target) newPrincipal(ctx context.Context, userID, kind string) (principal, error) {
	var token string
	var r *contract.Response
	var err error
	switch kind {
	case "verified":
		var a contract.Call[contract.Authenticated]
		a, err = t.client.Authenticate(ctx, contract.AuthenticateRequest{UserID: userID, Name: userID}, contract.Bearer(t.org.APIKey.Secret))
		r, token = a.Response, a.Value.Token
	case "contact":
		var a contract.Call[contract.ContactSignedIn]
		a, err = t.client.CreateContact(ctx, contract.ContactRequest{DeviceID: uuid.NewString(), Name: userID}, t.widget("")...)
		r, token = a.Response, a.Value.Token
	default:
		return principal{}, fmt.Errorf("principal kind %q: want verified or contact", kind)
	}
	if err := t.check(r, err, http.StatusOK); err != nil {
		return principal{}, err
	}
	claims, err := contract.VerifyToken(token, t.jwks, t.Issuer(), t.org.Org.ID)
	if err != nil {
		return principal{}, fmt.Errorf("%s: a %s token does not verify against its JWKS: %w", t.Name, kind, err)
	}
	if claims["kind"] != kind {
		return principal{}, fmt.Errorf("%s: token kind %v, want %s", t.Name, claims["kind"], kind)
	}
	return principal{token: token}, nil
}

var mainLine = regexp.MustCompile(`(?m)^main\s*=\s*"[^"]*"`)

// instrumented writes into dir a copy of w and of its wrangler.toml, whose
// entry is instrument.mjs around w's.
func (w worker) instrumented(root, dir string) error {
	toml := filepath.Join(root, w.dir, "wrangler.toml")
	b, err := os.ReadFile(toml)
	if err != nil {
		return err
	}
	if !mainLine.Match(b) {
		return fmt.Errorf("%s has no main = \"...\" line", toml)
	}
	b = mainLine.ReplaceAll(b, []byte(`main = "`+path.Join(w.app, "bench-entry.mjs")+`"`))
	if err := wranglertest.CopyTree(filepath.Join(root, w.dir, w.app), filepath.Join(dir, w.app), true); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, w.app, "bench-entry.mjs"), bytes.ReplaceAll(instrumentJS, []byte("__BENCH_APP__"), []byte(w.entry)), 0o644)
}
