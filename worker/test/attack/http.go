package attack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/chatwidget/identity/worker/test/contract"
)

// Target is a running worker to attack.
type Target struct {
	// URL is the worker's base URL, e.g. "http://127.0.0.1:8787".
	URL string
	// AdminToken is the worker's ADMIN_TOKEN: the runner makes its orgs with it.
	AdminToken string
	// SigningKeys is the worker's SIGNING_KEYS ("kid:base64url-seed", comma or
	// space separated; the first entry signs). Optional: without it the cases
	// that need a genuine signature on chosen claims are skipped.
	SigningKeys string
	// Snapshot, when set, returns a view of the store itself that changes
	// whenever anything is written: every key and value (kv.Memory.Snapshot
	// in process), or every value blob written (PersistSnapshot under
	// wrangler dev). It is compared before and after every case.
	Snapshot func() map[string]string
	// ObserveAPIEveryCase: observe the state through the API (listings,
	// sessions, /me, keys, preflights) after every case, not only after each
	// class and after a case whose Snapshot changed. Without a Snapshot the
	// API is always observed after every case.
	ObserveAPIEveryCase bool
	// Client sends the requests; nil is contract.DefaultHTTP (a 60 s
	// timeout, never following redirects).
	Client *http.Client
	// Log, when set, gets one line per case as it runs.
	Log io.Writer
}

// Request is one request of a case. Header values are set as given (an
// empty value is sent empty; use Del to send none).
type Request struct {
	Method string
	Path   string // with its query
	Header http.Header
	Body   string // "": no body
	// Echo lists strings besides the request's credentials that the answer
	// must not contain (an injected kid, say).
	Echo []string
}

// Response is an answer, as the contract client reads it (AnswerErr: how
// it does not fit the OpenAPI document).
type Response = contract.Response

// code returns the error code of the body, "" when it is not the contract's
// error shape (whatever the status).
func code(r *Response) string {
	e, err := contract.ParseError(r.Status, r.Body)
	if err != nil {
		return ""
	}
	return e.Code
}

// describe is "status code" (or the transport error) for messages; never the body.
func describe(r *Response, err error) string {
	if err != nil {
		return "no answer (" + err.Error() + ")"
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s", r.Status, code(r)))
}

// send sends req through the contract client; the error is a transport
// error (no answer).
func (r *runner) send(ctx context.Context, req Request) (*Response, error) {
	var body any
	if req.Body != "" {
		body = contract.Raw(req.Body)
	}
	return r.c.Do(ctx, req.Method, req.Path, body, contract.Headers(req.Header))
}
