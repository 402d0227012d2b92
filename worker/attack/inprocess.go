package attack

import (
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/chatwidget/identity/internal/api"
	"github.com/chatwidget/identity/internal/config"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/token"
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
	t := Target{URL: srv.URL, AdminToken: cfg.AdminToken, SigningKeys: spec, Snapshot: mem.Snapshot}
	return t, srv.Close, nil
}
