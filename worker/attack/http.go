package attack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
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
	// Client sends the requests; nil is a client with a 60 s timeout that
	// never follows redirects.
	Client *http.Client
	// Parallel bounds the concurrent requests of one observation; 0 is 8.
	Parallel int
	// Log, when set, gets one line per case as it runs.
	Log io.Writer
}

// Request is one request of a case. Header values are set as given (an
// empty value is sent empty; use Del to send none).
type Request struct {
	Method string
	Path   string // with its query
	Header http.Header
	Body   []byte // nil: no body
	// Echo lists strings besides the request's credentials that the answer
	// must not contain (an injected kid, say).
	Echo []string
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Err is a transport error (no answer); Status is then 0.
	Err error
}

// errorBody is the contract's error shape.
type errorBody struct {
	Error *struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
	} `json:"error"`
}

// code returns the error code of the body, "" when it has none.
func (r *Response) code() string {
	var e errorBody
	if json.Unmarshal(r.Body, &e) != nil || e.Error == nil || e.Error.Code == nil {
		return ""
	}
	return *e.Error.Code
}

func (r *Response) decode(v any) error {
	if r.Err != nil {
		return r.Err
	}
	return json.Unmarshal(r.Body, v)
}

// describe is "status code" (or the transport error) for messages; never the body.
func (r *Response) describe() string {
	if r.Err != nil {
		return "no answer (" + r.Err.Error() + ")"
	}
	if c := r.code(); c != "" {
		return fmt.Sprintf("%d %s", r.Status, c)
	}
	return fmt.Sprintf("%d", r.Status)
}

func defaultClient() *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		// The API never redirects; a redirect is an answer to check, not follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// client sends requests to one worker.
type client struct {
	base string
	hc   *http.Client
}

func (c *client) send(ctx context.Context, req Request) *Response {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, c.base+req.Path, body)
	if err != nil {
		// A path net/url refuses (a malformed escape): sent as it is, in
		// the request line, with the URL's Opaque.
		path, query, _ := strings.Cut(req.Path, "?")
		if hr, err = http.NewRequestWithContext(ctx, req.Method, c.base+"/", body); err != nil {
			return &Response{Err: err}
		}
		hr.URL.Opaque, hr.URL.RawQuery = path, query
	}
	for k, vs := range req.Header {
		hr.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if req.Body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(hr)
	if err != nil {
		return &Response{Err: scrubURLError(err)}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return &Response{Status: res.StatusCode, Header: res.Header, Err: err}
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// scrubURLError drops the URL from a transport error (it may hold a cursor).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// call sends a JSON request made of parts: method, path, a body (nil, a
// string sent as is, or a value marshalled to JSON) and header pairs.
func (c *client) call(ctx context.Context, method, path string, body any, header ...string) *Response {
	req := Request{Method: method, Path: path, Header: http.Header{}}
	switch b := body.(type) {
	case nil:
	case string:
		req.Body = []byte(b)
	case []byte:
		req.Body = b
	default:
		js, err := json.Marshal(b)
		if err != nil {
			return &Response{Err: err}
		}
		req.Body = js
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.send(ctx, req)
}

// expect returns an error unless r has status want; what names the call.
func expect(r *Response, want int, what string) error {
	if r.Err != nil {
		return fmt.Errorf("%s: %w", what, r.Err)
	}
	if r.Status != want {
		return fmt.Errorf("%s: got %s, want %d", what, r.describe(), want)
	}
	return nil
}

// hdr builds a header from pairs.
func hdr(pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h[http.CanonicalHeaderKey(pairs[i])] = []string{pairs[i+1]}
	}
	return h
}
