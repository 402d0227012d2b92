package attack

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/httpx"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/worker/test/contract"
)

// InProcessAdminToken is the ADMIN_TOKEN of NewInProcess's worker.
const InProcessAdminToken = "attack-inprocess-admin-token-0123456789"

// NewInProcess serves internal/api over a fresh kv.Memory on a loopback
// httptest server, with a fresh signing key and the default rate limits per
// hour instead of per minute, and returns the target to attack (Snapshot
// reads the whole store) and a func that stops it. wrap, when not nil, wraps
// the handler (for tests that break it on purpose).
func NewInProcess(wrap func(h http.Handler, mem *kv.Memory) http.Handler) (Target, func(), error) {
	spec, err := token.GenerateKeySpec("attack-1")
	if err != nil {
		return Target{}, nil, err
	}
	// The default limits, counted over an hour: no budget is renewed
	// during a run.
	limits := config.DefaultRateLimits
	limits.Window = time.Hour
	cfg := config.Config{
		AdminToken:      InProcessAdminToken,
		SigningKeys:     spec,
		Issuer:          "attack-inprocess",
		ContactTokenTTL: config.DefaultContactTokenTTL,
		RateLimits:      limits,
	}
	mem := kv.NewMemory()
	a, err := api.New(mem, cfg)
	if err != nil {
		return Target{}, nil, err
	}
	var h http.Handler = a
	if wrap != nil {
		h = wrap(h, mem)
	}
	srv := httptest.NewServer(h)
	client := *contract.DefaultHTTP
	client.Transport = rawTransport{a: a, next: http.DefaultTransport}
	t := Target{URL: srv.URL, AdminToken: cfg.AdminToken, SigningKeys: spec, Snapshot: mem.Snapshot, Client: &client}
	return t, srv.Close, nil
}

// rawTransport serves a request whose path net/url refuses (the client
// sends those with URL.Opaque) in process, as the worker does: net/http's
// server would refuse it with a plain-text 400 of its own before the API
// saw it, and the worker, which the cases are about, has no such layer.
// Every other request goes over the loopback server.
type rawTransport struct {
	a    *api.API
	next http.RoundTripper
}

func (t rawTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Opaque == "" {
		return t.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	r := httpx.NewRequest(req.Context(), req.Method, "http://"+req.URL.Host+req.URL.RequestURI(), bytes.NewReader(body))
	r.Header = httpx.Header(req.Header.Clone())
	r.ContentLength = int64(len(body))
	w := httpx.NewRecorder()
	t.a.Serve(w, r)
	return &http.Response{
		Status: http.StatusText(w.StatusOrOK()), StatusCode: w.StatusOrOK(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header(w.HeaderMap), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())),
		ContentLength: int64(w.Body.Len()), Request: req,
	}, nil
}
