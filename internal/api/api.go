package api

import (
	"context"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/outbound"
	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/internal/webhook"
)

// verifiedTokens is how many user tokens an instance remembers as verified
// (token.WithVerifiedCache): a widget sends its token with every call, so
// its signature is checked once per instance, not once per request (and
// its claims decoded once). Measured on the shipped build (isolate harness,
// CPU per request, 3 interleaved runs): a message 0.66-0.76 -> 0.42-0.45 ms
// (the JS peer, which verifies every time, 0.43-0.50), a listing 0.64-0.71
// -> 0.39-0.43 (peer 0.34-0.39). At most 1,024 tokens, about 1 MB.
const verifiedTokens = 1024

// API is the worker's HTTP handler. Build it once per instance with New.
type API struct {
	cfg     config.Config
	store   *store.Store
	tokens  *token.Service
	limiter *Limiter
	log     *Logger
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	// queue is where background jobs are sent (nil: none are); jobs is the
	// Consumer of their messages, one Handler per kind (jobs.go).
	queue    queue.Producer
	jobs     *queue.Mux
	outbound outbound.Doer
	// events is where the actions announce themselves (webhook.go);
	// webhooks is the Dispatcher behind it, nil without a queue.
	events   webhook.Enqueuer
	webhooks *webhook.Dispatcher

	routes httpx.Router

	// locks keeps requests that read and write one record from running
	// side by side in this instance (hold.go).
	locks keyLocks
}

// Option configures an API.
type Option func(*options)

type options struct {
	now    func() time.Time
	logger *Logger
	engine token.Engine
	queue  queue.Producer
	fetch  outbound.Doer
	rates  RateCounter
	sleep  func(context.Context, time.Duration) error
}

// WithQueue sets where the API sends its background jobs (webhook
// deliveries, ...): the Worker's Queue binding, or a queue.Memory in tests.
// Without it no job is sent (and no webhook event is delivered). The
// messages come back through Consumer.
func WithQueue(p queue.Producer) Option { return func(o *options) { o.queue = p } }

// WithOutbound sets how the API's jobs make HTTP requests (webhook
// deliveries): the runtime's fetch in the Worker, outbound.NetHTTP natively.
// Without it a job that needs one is retried later.
func WithOutbound(d outbound.Doer) Option { return func(o *options) { o.fetch = d } }

// WithClock sets the clock of the API, its store and its tokens, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets where the API logs; it never logs secrets or tokens.
func WithLogger(l *Logger) Option { return func(o *options) { o.logger = l } }

// WithTokenEngine sets what computes the tokens' Ed25519 signatures; the
// default is crypto/ed25519 (token.GoEngine). The Worker passes WebCrypto's.
func WithTokenEngine(e token.Engine) Option { return func(o *options) { o.engine = e } }

// WithRateCounter sets what counts the rate limits; the default is a
// MemoryRateCounter with cfg's window. The Worker passes Cloudflare's Rate
// Limiting bindings (worker/cfratelimit).
func WithRateCounter(c RateCounter) Option { return func(o *options) { o.rates = c } }

// WithSleep sets how a request waits a moment of its own (a retry waiting
// for its Idempotency-Key's first request): it returns after d, or ctx's
// error when ctx is done first. The default is conc.Sleep, a Go timer; the Worker passes
// a timer of the request's own JavaScript context (worker/jscall.Sleep).
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// New builds the API over k with cfg: it parses keys and builds routes once.
func New(k kv.KV, cfg config.Config, opts ...Option) (*API, error) {
	o := options{now: time.Now, sleep: conc.Sleep}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = NewLogger(nil)
	}
	ring, err := token.ParseKeyRing(cfg.SigningKeys, token.WithEngine(o.engine))
	if err != nil {
		return nil, fmt.Errorf("SIGNING_KEYS: %w", err)
	}
	a := &API{
		cfg:    cfg,
		store:  store.New(k, store.WithClock(o.now)),
		tokens: token.NewService(ring, cfg.Issuer, token.WithClock(o.now), token.WithVerifiedCache(verifiedTokens)),
		log:    o.logger,
		now:    o.now,
		sleep:  o.sleep,

		queue:    o.queue,
		outbound: o.fetch,
	}
	if o.rates == nil {
		o.rates = NewMemoryRateCounter(cfg.RateLimits, o.now)
	}
	a.limiter = NewLimiter(o.rates)
	if cfg.AdminToken == "" {
		a.log.Warn("ADMIN_TOKEN is not set: every admin call is refused")
	}
	a.registerJobs()
	a.setupWebhooks()
	a.register()
	return a, nil
}

// route registers h for "METHOD /path".
func (a *API) route(pattern string, h func(httpx.ResponseWriter, *httpx.Request) error) {
	a.routes.Handle(pattern, httpx.HandlerFunc(func(w httpx.ResponseWriter, r *httpx.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	}))
}

func (a *API) register() {
	a.route("GET /.well-known/jwks.json", a.jwks)

	a.route("POST /v1/admin/orgs", a.admin(a.createOrg))
	a.route("GET /v1/admin/orgs/{org_id}", a.admin(a.getOrg))
	a.route("PATCH /v1/admin/orgs/{org_id}", a.admin(a.updateOrg))
	a.route("POST /v1/admin/orgs/{org_id}/api-keys", a.admin(a.createAPIKey))
	a.route("DELETE /v1/admin/orgs/{org_id}/api-keys/{key_id}", a.admin(a.deleteAPIKey))

	a.route("POST /v1/users/authenticate", a.server(a.authenticate))
	a.route("POST /v1/users/revoke", a.server(a.revoke))
	a.route("GET /v1/users/export", a.server(a.exportUser))
	a.route("DELETE /v1/users", a.server(a.deleteUser))
	a.route("GET /v1/contacts/{contact_id}/export", a.server(a.exportContact))
	a.route("DELETE /v1/contacts/{contact_id}", a.server(a.deleteContact))
	a.route("GET /v1/deletions/{id}", a.server(a.getDeletion))
	a.route("GET /v1/sessions", a.server(a.serverListSessions))
	a.route("GET /v1/sessions/{id}", a.server(a.serverGetSession))
	a.route("POST /v1/sessions/{id}/messages", a.server(a.serverPostMessage))

	a.registerWebhookRoutes()

	a.route("POST /v1/widget/contacts", a.widget(a.createContact))
	a.route("GET /v1/widget/me", a.widgetUser(a.me))
	a.route("DELETE /v1/widget/me", a.widgetUser(a.widgetForget))
	a.route("POST /v1/widget/sessions", a.widgetUser(a.createSession))
	a.route("GET /v1/widget/sessions", a.widgetUser(a.listSessions))
	a.route("GET /v1/widget/sessions/{id}", a.widgetUser(a.getSession))
	a.route("POST /v1/widget/sessions/{id}/messages", a.widgetUser(a.postMessage))
	a.route("POST /v1/widget/claim", a.widgetUser(a.claim))

	if a.cfg.DemoRoutes {
		a.route("GET /demo/config", a.demoConfig)
		a.route("POST /demo/token", a.demoToken)
		a.route("GET /v1/admin/debug/kv", a.admin(a.demoDumpKV))
	}
}

// Serve answers one request. A panic answers 500 for that request only where
// Go can recover (natively, and under Go's compiler); TinyGo cannot on
// WebAssembly, so in the worker a panic traps the instance and worker.mjs
// answers 500 for the requests it had in flight (worker/bridge).
func (a *API) Serve(w httpx.ResponseWriter, r *httpx.Request) {
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("panic", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			a.writeError(w, r, identity.ErrInternal)
		}
	}()
	setSecurityHeaders(w.Header())
	if err := limitBody(r); err != nil {
		if isWidgetPath(r.EscapedPath()) {
			allowCORS(w, r)
		}
		a.writeError(w, r, err)
		return
	}
	if isWidgetPath(r.EscapedPath()) && r.Method == httpx.MethodOptions {
		a.preflight(w, r)
		return
	}
	m := a.routes.Match(r.Method, r.EscapedPath())
	switch {
	case m.Handler != nil:
		if err := checkEncoding(m, r); err != nil {
			if isWidgetPath(m.PathPattern) {
				allowCORS(w, r)
			}
			a.writeError(w, r, err)
			return
		}
		m.Serve(w, r)
	case m.PathPattern != "":
		allow := m.Allowed
		if isWidgetPath(m.PathPattern) {
			allow = append(allow, httpx.MethodOptions)
			allowCORS(w, r) // like a bad widget token's, it tells nothing of an org
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.writeError(w, r, identity.ErrMethodNotAllowed)
	default:
		if isWidgetPath(r.EscapedPath()) {
			allowCORS(w, r) // the preflight let the page ask
		}
		a.writeError(w, r, errNoRoute)
	}
}

// errNoRoute answers a path that matches no route. The path is not
// repeated: a credential pasted into a URL must not come back in an answer.
// A literal, not identity.Errorf: a package-level call that TinyGo cannot
// evaluate at compile time runs at every start of the worker.
var errNoRoute = &identity.Error{Code: identity.CodeNotFound, Message: "No such route: see the API reference for the routes."}

// queryParams are the query parameters some route reads: the only ones an
// answer names. Any other key might be a credential pasted into a URL.
var queryParams = map[string]bool{"cursor": true, "limit": true, "after": true, "user_id": true, "email": true, "external_id": true, "verified": true}

// checkEncoding refuses a request whose route matched but whose path
// parameter or query string is not valid percent-encoding (see the package
// doc), or whose query gives one of queryParams twice, before any
// credential is looked at: such a request cannot be understood, whoever
// sends it.
func checkEncoding(m httpx.Match, r *httpx.Request) error {
	if m.BadParam != "" {
		return identity.Invalid(m.BadParam, "in the path is not valid percent-encoding.")
	}
	raw := r.URL.RawQuery
	var seen map[string]bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			return identity.Errorf(identity.CodeInvalidRequest, "The query string must separate parameters with '&', not ';'.")
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return identity.Errorf(identity.CodeInvalidRequest, "The query string is not valid percent-encoding.")
		}
		if _, err := url.QueryUnescape(v); err != nil {
			if queryParams[key] {
				return identity.Invalid(key, "in the query is not valid percent-encoding.")
			}
			return identity.Errorf(identity.CodeInvalidRequest, "The query string is not valid percent-encoding.")
		}
		if queryParams[key] {
			// Read once, as a body's keys are: another reader of the URL
			// (a proxy, a log) might take the last value where the
			// handler takes the first.
			if seen[key] {
				return identity.Invalid(key, "must appear at most once in the query.")
			}
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[key] = true
		}
	}
	return nil
}

func setSecurityHeaders(h httpx.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
}
