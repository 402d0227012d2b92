package contract

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// Client calls the worker at Base as one party: its options go on every
// request. It is safe for concurrent use; With makes a copy.
type Client struct {
	Base      string       // e.g. http://127.0.0.1:8787, no trailing slash
	HTTP      *http.Client // nil: DefaultHTTP
	Validator *Validator   // nil: no validation
	opts      []Option
}

// DefaultHTTP is the transport of clients without their own: the API never
// redirects, so a redirect is returned as the answer (a bug worth seeing).
var DefaultHTTP = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// New returns a client of the worker at base, validating against v when v is
// not nil.
func New(base string, v *Validator, opts ...Option) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), Validator: v, opts: opts}
}

// Validated is New validating against the repository's document (Load),
// which is compiled once; a document that does not load panics: it is the
// repository's own, embedded, so that is a bug of the build.
func Validated(base string, opts ...Option) *Client { return New(base, document(), opts...) }

var document = sync.OnceValue(func() *Validator {
	v, err := Load()
	if err != nil {
		panic(err)
	}
	return v
})

// With returns a copy of c with more options, applied after c's.
func (c *Client) With(opts ...Option) *Client {
	n := *c
	n.opts = slices.Concat(c.opts, opts)
	return &n
}

// Option changes one request's headers.
type Option func(http.Header)

// Header sets a header.
func Header(k, v string) Option { return func(h http.Header) { h.Set(k, v) } }

// Headers sets every value of every header of h, as given (an empty value is
// sent empty).
func Headers(h http.Header) Option {
	return func(dst http.Header) {
		for k, vs := range h {
			dst[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
		}
	}
}

// Bearer sends Authorization: Bearer token: the admin token, an api key or a
// user token.
func Bearer(token string) Option { return Header("Authorization", "Bearer "+token) }

// WidgetToken sends X-Widget-Token; ContactToken X-Contact-Token (claiming).
func WidgetToken(token string) Option  { return Header("X-Widget-Token", token) }
func ContactToken(token string) Option { return Header("X-Contact-Token", token) }

// Origin sends Origin, as a browser on that page does.
func Origin(origin string) Option { return Header("Origin", origin) }

// IdempotencyKey sends Idempotency-Key.
func IdempotencyKey(key string) Option { return Header("Idempotency-Key", key) }

// Raw is a request body sent exactly as given.
type Raw []byte

// Stream is a request body of unknown length, sent chunked; it is not
// validated.
type Stream struct{ R io.Reader }

// Response is one answer.
type Response struct {
	Method, Path string // as sent
	Status       int
	Header       http.Header
	Body         []byte

	// Error is the parsed error body of a 4xx or 5xx answer, nil when the
	// answer is not one or its body is not the contract's shape (ErrorErr).
	Error    *Error
	ErrorErr error

	// RequestErr: the request does not fit the document. AnswerErr: the
	// answer does not fit the document (or the request's route is not in
	// it). Both nil when the client has no Validator.
	RequestErr, AnswerErr error
}

// What names the request, for messages: "POST /v1/widget/sessions".
func (r *Response) What() string { return r.Method + " " + r.Path }

// Decode decodes the JSON body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("%s: decoding %d answer as %T: %w", r.What(), r.Status, v, err)
	}
	return nil
}

// Error is the contract's error: {"error": {"code", "message"}}.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// ParseError reads body in the contract's error shape: an object "error"
// with the strings "code" and "message", both present.
func ParseError(status int, body []byte) (*Error, error) {
	var env struct {
		Error *struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("error body is not JSON: %w", err)
	}
	if env.Error == nil || env.Error.Code == nil || env.Error.Message == nil {
		return nil, errors.New(`error body is not {"error":{"code","message"}}`)
	}
	return &Error{Status: status, Code: *env.Error.Code, Message: *env.Error.Message}, nil
}

// Do sends one request. body is nil (none), Raw, Stream, or a value
// marshalled to JSON (with Content-Type: application/json unless an option
// sets another). The error is only for a request that could not be sent or
// an answer that could not be read; any status is a *Response.
func (c *Client) Do(ctx context.Context, method, path string, body any, opts ...Option) (*Response, error) {
	var payload []byte
	stream := false
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case Raw:
		payload = b
	case Stream:
		stream = true
		rd = io.NopCloser(b.R) // hides the length: chunked
	default:
		js, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("%s %s: marshal request body: %w", method, path, err)
		}
		payload = js
	}
	if !stream && body != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		// A path net/url refuses (a malformed escape, as the attack suite
		// sends): sent as it is, in the request line, through the URL's
		// Opaque.
		p, query, _ := strings.Cut(path, "?")
		if req, err = http.NewRequestWithContext(ctx, method, c.Base+"/", rd); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.URL.Opaque, req.URL.RawQuery = p, query
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range slices.Concat(c.opts, opts) {
		o(req.Header)
	}
	r := &Response{Method: method, Path: path}
	var checked *openapi3filter.RequestValidationInput
	if c.Validator != nil {
		checked, r.RequestErr = c.Validator.request(ctx, req, payload, !stream)
	}
	res, err := cmp.Or(c.HTTP, DefaultHTTP).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", method, scrubURL(err))
	}
	defer res.Body.Close()
	r.Body, err = io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("%s: reading the %d answer: %w", method, res.StatusCode, err)
	}
	r.Status, r.Header = res.StatusCode, res.Header
	if r.Status >= 400 {
		r.Error, r.ErrorErr = ParseError(r.Status, r.Body)
	}
	if c.Validator != nil {
		r.AnswerErr = c.Validator.answer(ctx, req, checked, res, r.Body)
	}
	return r, nil
}

// maxAnswer bounds the body read of one answer.
const maxAnswer = 8 << 20

// scrubURL drops the URL from a transport error: its path or query may hold
// a credential a test pasted there, which must not reach a log.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// Call is a typed route's answer: Value is decoded from a success status's
// body; Response is the whole answer, whatever its status.
type Call[T any] struct {
	*Response
	Value T
}

// call sends one request of a typed route and decodes a 2xx body into T.
func call[T any](ctx context.Context, c *Client, method, path string, body any, opts []Option) (Call[T], error) {
	r, err := c.Do(ctx, method, path, body, opts...)
	if err != nil {
		return Call[T]{}, err
	}
	out := Call[T]{Response: r}
	if r.Status >= 200 && r.Status < 300 && len(r.Body) > 0 {
		if err := r.Decode(&out.Value); err != nil {
			return out, err
		}
	}
	return out, nil
}

// Resp is a typed route's answer as a plain *Response, for tables of
// requests to different routes.
func Resp[T any](c Call[T], err error) (*Response, error) { return c.Response, err }
