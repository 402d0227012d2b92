package widget

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Deps are what the widget needs from its host: the browser build passes
// fetch, localStorage and crypto.getRandomValues.
type Deps struct {
	Transport Transport
	// Storage keeps the device id, contact token and outbox; nil keeps them
	// in memory for this page only.
	Storage Storage
	// Random is the source of device ids and Idempotency-Keys.
	Random io.Reader
	// Retry defaults to DefaultRetryPolicy.
	Retry RetryPolicy
	// Now and Sleep default to time.Now and conc.Sleep.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// TokenTimeout is how long getToken may take; DefaultTokenTimeout when 0.
	TokenTimeout time.Duration
	// Log, when set, writes a line for the site's developer (the browser's
	// console): what the visitor cannot fix, such as a worker that cannot be
	// reached or a getToken that failed.
	Log func(msg string)
	// Origin is the page's origin (location.origin), for those lines.
	Origin string
}

// The panel's wait before it tries again when the worker cannot be reached:
// PanelRetry after the first call in a row that got no answer, doubled with
// each one after it, up to MaxPanelRetry.
const (
	PanelRetry    = 3 * time.Second
	MaxPanelRetry = 60 * time.Second
)

// DefaultTokenTimeout is how long the page's getToken may take: one that
// never answers (its request to the site's server hangs) is a refusal then,
// not a widget stuck on it, and the next request asks again.
const DefaultTokenTimeout = 15 * time.Second

// Widget is the widget of one page for one config: who is chatting, their
// sessions and messages, and the outbox. Its methods are safe for
// concurrent use.
type Widget struct {
	cfg    *Config
	st     Storage
	rnd    io.Reader
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	client *Client
	outbox *outbox
	// tokenTimeout bounds each call of getToken.
	tokenTimeout time.Duration

	mu        sync.Mutex // guards the fields below
	mode      Mode
	userToken string         // verified mode
	getToken  TokenFunc      // verified mode
	userData  *UserData      // userData mode
	prefill   Profile        // collectUserData mode
	contact   *storedContact // contact modes, as stored
	pushed    bool           // userData mode: the page's data was sent this page load
	done      map[string]SendResult
	// visit counts the visitors of this page: Logout (and Forget) starts
	// the next one, whose contact has the same owner (ownerOf) as the one
	// before, so a send in flight then must not go on with its credential.
	visit int

	log    func(msg string)
	origin string
	netMu  sync.Mutex // guards the three below
	// unreachable counts the calls in a row that got no answer (the
	// network, or a worker that refused this page's origin, which the
	// browser hides behind a network error); warned: the site's developer
	// was told, once.
	unreachable int
	warned      bool
	told        string // the last line of tell

	authMu   sync.Mutex  // one token renewal at a time
	sendMu   sync.Mutex  // one outbox flush at a time
	draining atomic.Bool // a Drain runs
}

// New returns the widget for a validated config.
func New(cfg *Config, d Deps) *Widget {
	st := d.Storage
	if st == nil {
		st = NewMemoryStorage()
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	tt := d.TokenTimeout
	if tt <= 0 {
		tt = DefaultTokenTimeout
	}
	w := &Widget{
		cfg:          cfg,
		st:           st,
		rnd:          d.Random,
		now:          now,
		sleep:        d.Sleep,
		tokenTimeout: tt,
		client: &Client{
			BaseURL:     cfg.APIURL,
			WidgetToken: cfg.Token,
			Transport:   d.Transport,
			Retry:       d.Retry,
			Now:         now,
			Sleep:       d.Sleep,
		},
		outbox:    &outbox{st: st, key: StorageKey(cfg.Token, keyOutbox)},
		mode:      cfg.Mode(),
		userToken: cfg.UserToken,
		getToken:  cfg.GetToken,
		userData:  cfg.UserData,
		prefill:   cfg.Prefill,
		done:      map[string]SendResult{},
		log:       d.Log,
		origin:    d.Origin,
	}
	w.client.Unreachable, w.client.Answered = w.gaveUp, w.answered
	return w
}

// gaveUp counts a call that got no answer of the worker and returns how long
// to wait before the next try. The first one tells the site's developer,
// once per widget: the browser does not let the page tell a network that is
// down from a worker that refused its origin (403 origin_not_allowed, sent
// without CORS headers, and a refused preflight, read as network errors).
func (w *Widget) gaveUp() time.Duration {
	w.netMu.Lock()
	w.unreachable++
	wait, first := PanelRetry, !w.warned
	for i := 1; i < w.unreachable && wait < MaxPanelRetry; i++ {
		wait *= 2
	}
	w.warned = true
	w.netMu.Unlock()
	if first {
		origin := w.origin
		if origin == "" {
			origin = "this page's origin"
		}
		w.tell("ChatWidget: the chat service at " + w.cfg.APIURL + " cannot be reached from this page (" + origin +
			"): the network is down, or the worker refused this page's origin. If the page is online, check that " +
			origin + " is among the org's allowed_origins. The widget keeps trying, less and less often.")
	}
	return min(wait, MaxPanelRetry)
}

// answered ends a run of calls that got no answer.
func (w *Widget) answered() {
	w.netMu.Lock()
	w.unreachable = 0
	w.netMu.Unlock()
}

// tell writes msg for the site's developer, the same line once in a row
// (a getToken that fails is asked again at every request).
func (w *Widget) tell(msg string) {
	w.netMu.Lock()
	same := w.told == msg
	w.told = msg
	w.netMu.Unlock()
	if w.log != nil && !same {
		w.log(msg)
	}
}

// Status is what the UI needs to know to draw the panel.
type Status struct {
	Mode Mode `json:"mode"`
	// NeedsForm: show the name/email form before any chat.
	NeedsForm bool `json:"needsForm"`
	// Prefill fills that form.
	Prefill Profile `json:"prefill"`
	// Person is who is chatting, when known (name and email may be "").
	Person *Profile `json:"person,omitempty"`
	// Pending counts the messages not yet acknowledged by the worker.
	Pending int `json:"pending"`
}

// Status returns the current status without any network call.
func (w *Widget) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := Status{Mode: w.mode, Prefill: w.prefill, Pending: len(w.pendingOf(w.ownerLocked()))}
	switch w.mode {
	case ModeCollectUserData:
		c := w.loadContactLocked()
		s.NeedsForm = c == nil || c.Email == ""
		if c != nil && c.Email != "" {
			s.Person = &Profile{Name: c.Name, Email: c.Email}
		}
	case ModeUserData:
		s.Person = &Profile{Name: w.userData.Name, Email: w.userData.Email}
	}
	return s
}

// Start makes sure the widget has a credential (a contact token, or a
// verified token), unless the form must be filled first, and returns the
// status.
func (w *Widget) Start(ctx context.Context) (Status, error) {
	st := w.Status()
	if st.NeedsForm {
		return st, nil
	}
	if _, err := w.bearer(ctx, ""); err != nil {
		return st, err
	}
	return w.Status(), nil
}

// Logout forgets everything of the current visitor on this browser: the
// contact token, the device id (the next visitor gets a new one and none of
// this device's chats), unsent messages, and the verified token, user data
// and prefill of the config. Until the page calls ChatWidget.init again, the
// widget is anonymous (or asks name and email if collectUserData is set).
func (w *Widget) Logout() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.outbox.mu.Lock()
	ForgetDevice(w.st, w.cfg.Token)
	w.outbox.mu.Unlock()
	w.contact = nil
	w.userToken, w.getToken, w.userData, w.prefill, w.pushed = "", nil, nil, Profile{}, false
	w.done = map[string]SendResult{}
	w.visit++
	w.mode = ModeAnonymous
	if w.cfg.CollectUserData {
		w.mode = ModeCollectUserData
	}
}

// newKey returns a fresh Idempotency-Key.
func (w *Widget) newKey() (string, error) {
	return NewUUIDv4(w.rnd)
}
