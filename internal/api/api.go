package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
	log     *slog.Logger
	now     func() time.Time

	routes  *http.ServeMux      // method and path patterns
	paths   *http.ServeMux      // the same paths without methods, to tell 405 from 404
	methods map[string][]string // path pattern → its methods, for Allow
}

// Option configures an API.
type Option func(*options)

type options struct {
	now    func() time.Time
	logger *slog.Logger
}

// WithClock sets the clock of the API, its store and its tokens, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets where the API logs; it never logs secrets or tokens.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// New builds the API over k with cfg: it parses keys and builds routes once.
func New(k kv.KV, cfg config.Config, opts ...Option) (*API, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ring, err := token.ParseKeyRing(cfg.SigningKeys)
	if err != nil {
		return nil, fmt.Errorf("SIGNING_KEYS: %w", err)
	}
	a := &API{
		cfg:     cfg,
		store:   store.New(k, store.WithClock(o.now)),
		tokens:  token.NewService(ring, cfg.Issuer, token.WithClock(o.now)),
		log:     o.logger,
		now:     o.now,
		routes:  http.NewServeMux(),
		paths:   http.NewServeMux(),
		methods: map[string][]string{},
	}
	a.limiter = NewLimiter(k, cfg.RateLimits, o.now)
	if cfg.AdminToken == "" {
		a.log.Warn("ADMIN_TOKEN is not set: every admin call is refused")
	}
	a.register()
	return a, nil
}

// route registers h for "METHOD /path".
func (a *API) route(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	a.routes.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
	method, path, _ := strings.Cut(pattern, " ")
	a.methods[path] = append(a.methods[path], method)
	if _, p := a.paths.Handler(&http.Request{Method: "GET", URL: mustURL(path), Host: "x"}); p != path {
		a.paths.HandleFunc(path, func(http.ResponseWriter, *http.Request) {})
	}
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
	a.route("GET /v1/widget/me", a.widget(a.user(a.me)))
	a.route("POST /v1/widget/sessions", a.widget(a.user(a.createSession)))
	a.route("GET /v1/widget/sessions", a.widget(a.user(a.listSessions)))
	a.route("GET /v1/widget/sessions/{id}", a.widget(a.user(a.getSession)))
	a.route("POST /v1/widget/sessions/{id}/messages", a.widget(a.user(a.postMessage)))

	if a.cfg.DemoRoutes {
		a.route("GET /demo/config", a.demoConfig)
		a.route("POST /demo/token", a.demoToken)
	}
}

// ServeHTTP answers one request. A panic answers 500 for that request only.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
	if isWidgetPath(r.URL.Path) {
		if r.Method == http.MethodOptions {
			a.preflight(w, r)
			return
		}
	}
	if _, pattern := a.routes.Handler(r); pattern != "" {
		a.routes.ServeHTTP(w, r)
		return
	}
	if _, pattern := a.paths.Handler(r); pattern != "" {
		allow := a.methods[pattern]
		if isWidgetPath(pattern) {
			allow = append(allow[:len(allow):len(allow)], http.MethodOptions)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.writeError(w, r, identity.ErrMethodNotAllowed)
		return
	}
	// The path is not repeated: a credential pasted into a URL must not come
	// back in an answer.
	a.writeError(w, r, identity.Errorf(identity.CodeNotFound, "No such route: see the API reference for the routes."))
}

func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
}
