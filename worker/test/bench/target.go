//go:build !js

package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// Target is one running worker the bench talks to: ours (the Go worker) or
// the JavaScript peer, each under its own `wrangler dev`.
type Target struct {
	Name string // "ours", "peer", "ours+limits"
	Peer bool   // the JavaScript peer
	Srv  *wranglertest.Server

	client *contract.Client // no validation: it would be timed too
	org    Org
	users  []principal // one per client: the caller of the session routes
	// makers create sessions in the POST /v1/widget/sessions row, so that the
	// listed principals keep the same number of sessions.
	makers []principal
	jwks   []byte
}

// Org is an org as the Go worker's admin API made it, with its first api key.
// It marshals as the contract's org (the peer is seeded with it).
type Org struct {
	contract.Org
	APIKeyID string `json:"-"`
	APIKey   string `json:"-"`
}

// principal is a widget caller: a device, its contact and verified tokens,
// and the sessions it owns.
type principal struct {
	device   string
	userID   string
	token    string // the token of Config.Principal's kind
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

// peerDir is the JavaScript peer: worker/test/bench/peer.
func peerDir(root string) string { return filepath.Join(root, "worker", "test", "bench", "peer") }

// peerReadyPath is the peer's one static asset.
const peerReadyPath = "/bench-ready.txt"

// oursReadyPath is a static asset of our build, so that waiting for wrangler
// does not send the worker its first request; "" when there is none.
func oursReadyPath(buildDir string) string {
	for _, f := range []string{"widget.js", "index.html", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(buildDir, "public", f)); err == nil {
			return "/" + f
		}
	}
	return ""
}

func startTarget(ctx context.Context, name string, peer bool, opts wranglertest.Options, clients int) (*Target, error) {
	s, err := wranglertest.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := contract.New(s.URL, nil)
	c.HTTP = newClient(clients)
	return &Target{Name: name, Peer: peer, Srv: s, client: c}, nil
}

func newClient(clients int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        4 * clients,
			MaxIdleConnsPerHost: 2 * clients,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// Stop stops the target's wrangler.
func (t *Target) Stop() {
	if t == nil || t.Srv == nil {
		return
	}
	t.client.HTTP.CloseIdleConnections()
	t.Srv.Stop()
}

// do sends one request and reads the whole answer.
func (t *Target) do(ctx context.Context, method, path string, hdr map[string]string, body []byte) (int, []byte, http.Header, error) {
	var b any
	if body != nil {
		b = contract.Raw(body)
	}
	r, err := t.client.Do(ctx, method, path, b, contract.HeaderMap(hdr))
	if err != nil {
		return 0, nil, nil, err
	}
	return r.Status, r.Body, r.Header, nil
}

// check returns the error of a request that failed or did not answer want.
func (t *Target) check(r *contract.Response, err error, want int) error {
	switch {
	case r == nil:
		return fmt.Errorf("%s: %w", t.Name, err)
	case err != nil:
		return fmt.Errorf("%s: %s: %w: %s", t.Name, r.What(), err, truncate(r.Body, 300))
	case r.Status != want:
		return fmt.Errorf("%s: %s: status %d, want %d: %s", t.Name, r.What(), r.Status, want, truncate(r.Body, 300))
	}
	return nil
}

// CreateOrg makes an org through the Go worker's admin API.
func (t *Target) CreateOrg(ctx context.Context, name string, origins []string) (Org, error) {
	if t.Peer {
		return Org{}, fmt.Errorf("%s: the peer has no admin API: seed it", t.Name)
	}
	r, err := t.client.CreateOrg(ctx, contract.CreateOrgRequest{Name: name, AllowedOrigins: origins}, contract.Bearer(t.Srv.AdminToken))
	if err := t.check(r.Response, err, http.StatusCreated); err != nil {
		return Org{}, err
	}
	return Org{Org: r.Value.Org, APIKeyID: r.Value.APIKey.ID, APIKey: r.Value.APIKey.Secret}, nil
}

// Seed stores org in the peer's KV under the keys store.CreateOrg writes.
func (t *Target) Seed(ctx context.Context, org Org) error {
	if !t.Peer {
		return fmt.Errorf("%s: only the peer is seeded", t.Name)
	}
	r, err := t.client.Do(ctx, "POST", "/bench/seed", map[string]any{"org": org, "api_key": map[string]string{"id": org.APIKeyID, "secret": org.APIKey}},
		contract.Bearer(t.Srv.AdminToken))
	return t.check(r, err, http.StatusCreated)
}

// Issuer is the iss of the target's tokens.
func (t *Target) Issuer() string { return t.Srv.Vars["TOKEN_ISSUER"] }

// JWKS fetches the target's public keys.
func (t *Target) JWKS(ctx context.Context) ([]byte, error) {
	r, err := t.client.GetJWKS(ctx)
	if err := t.check(r.Response, err, http.StatusOK); err != nil {
		return nil, err
	}
	return r.Body, nil
}

func truncate(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

var mainLine = regexp.MustCompile(`(?m)^main\s*=\s*"[^"]*"`)

// instrumented writes into dir a copy of the worker in from (into dir/sub)
// and of its wrangler.toml, whose entry is instrument.mjs around app.
func instrumented(from, dir, sub, toml, app string) error {
	b, err := os.ReadFile(toml)
	if err != nil {
		return err
	}
	if !mainLine.Match(b) {
		return fmt.Errorf("%s has no main = \"...\" line", toml)
	}
	b = mainLine.ReplaceAll(b, []byte(`main = "`+path.Join(sub, "bench-entry.mjs")+`"`))
	if err := wranglertest.CopyTree(from, filepath.Join(dir, sub), true); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "wrangler.toml"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, sub, "bench-entry.mjs"), bytes.ReplaceAll(instrumentJS, []byte("__BENCH_APP__"), []byte(app)), 0o644)
}
