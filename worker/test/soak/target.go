package soak

import (
	"context"
	"fmt"
	"net"
	"net/url"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/chatwidget/identity/worker/test/webhookrecv"
)

// WranglerVars are the vars of the worker a soak runs on under wrangler dev,
// and the pairs of more: no per-address rate limits, http:// loopback
// webhook URLs allowed (the receiver of Target.Webhooks), and webhook
// retries within the soak's wait for the events, not after 30 s.
func WranglerVars(more ...string) map[string]string {
	return contract.LoopbackLoadVars(append([]string{"WEBHOOK_ALLOW_LOOPBACK", "1", "WEBHOOK_RETRY_DELAYS", "1,2,3,5,8,13"}, more...)...)
}

// Target is the worker under test.
type Target struct {
	// URL is the worker's base URL; it must be a loopback address.
	URL string
	// AdminToken is the worker's ADMIN_TOKEN.
	AdminToken string
	// Restart, when set, stops the worker and starts it again on the same
	// address and data; it returns once the worker answers again. Nil: the
	// run has no restart.
	Restart func(ctx context.Context) error
	// Name says what the target is in the report, e.g. "wrangler dev".
	Name string
	// Webhooks, when set, is a receiver on this machine that the orgs'
	// webhooks point at, and the run checks their events (webhooks.go);
	// the worker must accept http:// loopback URLs (WEBHOOK_ALLOW_LOOPBACK=1).
	Webhooks *webhookrecv.Receiver
	// Trap, when set, makes the worker's instance trap (the trap build's
	// POST /__test/trap: `make test-worker`); the run calls it every
	// Config.TrapEvery under load. Its 500s, and those of the requests in
	// flight with it, are retried as any 5xx: nothing may be lost.
	Trap func(ctx context.Context) error
}

// checkLoopback refuses a URL that is not http(s) on a loopback address:
// the soak sends thousands of requests and must never reach a deployment.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target URL %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target URL %q: scheme must be http or https", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target URL %q: the soak only runs against a loopback address (127.0.0.1, ::1, localhost)", raw)
	}
	return nil
}
