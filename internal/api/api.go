package api

import (
	"fmt"
	"github.com/chatwidget/identity/internal/httpx"
	"runtime/debug"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/token"
)

// API is the worker's HTTP handler. Build it once per instance with New.
type API struct {
	cfg     config.Config
	store   *store.Store
	tokens  *token.Service
	limiter *Limiter
	log     *Logger
	now     func() time.Time

	routes httpx.Router
}

// Option configures an API.
type Option func(*options)

type options struct {
	now    func() time.Time
	logger *Logger
	engine token.Engine
	rates  RateCounter
}

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

// New builds the API over k with cfg: it parses keys and builds routes once.
func New(k kv.KV, cfg config.Config, opts ...Option) (*API, error) {
	o := options{now: time.Now}
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
		tokens: token.NewService(ring, cfg.Issuer, token.WithClock(o.now)),
		log:    o.logger,
		now:    o.now,
	}
	if o.rates == nil {
		o.rates = NewMemoryRateCounter(cfg.RateLimits, o.now)
	}
	a.limiter = NewLimiter(o.rates)
	if cfg.AdminToken == "" {
		a.log.Warn("ADMIN_TOKEN is not set: every admin call is refused")
	}
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
	a.route("POST /v1/admin/orgs/{org_id}/api-keys", a.admin(a.createAPIKey))
	a.route("DELETE /v1/admin/orgs/{org_id}/api-keys/{key_id}", a.admin(a.deleteAPIKey))

	a.route("POST /v1/users/authenticate", a.server(a.authenticate))
	a.route("POST /v1/users/revoke", a.server(a.revoke))
	a.route("GET /v1/sessions", a.server(a.serverListSessions))
	a.route("GET /v1/sessions/{id}", a.server(a.serverGetSession))
	a.route("POST /v1/sessions/{id}/messages", a.server(a.serverPostMessage))

	a.route("POST /v1/widget/contacts", a.widget(a.createContact))
	a.route("GET /v1/widget/me", a.widgetUser(a.me))
	a.route("POST /v1/widget/sessions", a.widgetUser(a.createSession))
	a.route("GET /v1/widget/sessions", a.widgetUser(a.listSessions))
	a.route("GET /v1/widget/sessions/{id}", a.widgetUser(a.getSession))
	a.route("POST /v1/widget/sessions/{id}/messages", a.widgetUser(a.postMessage))

	if a.cfg.DemoRoutes {
		a.route("GET /demo/config", a.demoConfig)
		a.route("POST /demo/token", a.demoToken)
	}
}

// Serve answers one request. A panic answers 500 for that request only.
func (a *API) Serve(w httpx.ResponseWriter, r *httpx.Request) {
	defer func() {
		if v := recover(); v != nil {
			a.log.Error("panic", "method", r.Method, "route", r.Pattern, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			a.writeError(w, r, identity.ErrInternal)
		}
	}()
	setSecurityHeaders(w.Header())
	if err := limitBody(r); err != nil {
		if isWidgetPath(r.URL.Path) {
			allowCORS(w, r)
		}
		a.writeError(w, r, err)
		return
	}
	if isWidgetPath(r.URL.Path) && r.Method == httpx.MethodOptions {
		a.preflight(w, r)
		return
	}
	m := a.routes.Match(r.Method, r.URL.EscapedPath())
	switch {
	case m.Handler != nil:
		m.Serve(w, r)
	case m.PathPattern != "":
		allow := m.Allowed
		if isWidgetPath(m.PathPattern) {
			allow = append(allow, httpx.MethodOptions)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.writeError(w, r, identity.ErrMethodNotAllowed)
	default:
		// The path is not repeated: a credential pasted into a URL must not
		// come back in an answer.
		a.writeError(w, r, identity.Errorf(identity.CodeNotFound, "No such route: see the API reference for the routes."))
	}
}

func setSecurityHeaders(h httpx.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
}
