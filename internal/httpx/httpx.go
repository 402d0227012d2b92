// Package httpx is the small part of HTTP the API needs: a request, a
// response writer, headers and a router of "METHOD /path/{name}" patterns.
//
// It exists so that the worker does not link net/http, which costs the
// Worker's WebAssembly about 0.5 MB gzipped (its client, TLS and HTTP/2 come
// along with its types). Its names and behaviour follow net/http, so the
// handlers read the same, and package api adapts it to net/http for native
// servers and tests.
package httpx

import (
	"context"
	"io"
	"net/url"
	"strings"
)

// Status codes the API answers with.
const (
	StatusOK                    = 200
	StatusCreated               = 201
	StatusAccepted              = 202
	StatusNoContent             = 204
	StatusBadRequest            = 400
	StatusUnauthorized          = 401
	StatusForbidden             = 403
	StatusNotFound              = 404
	StatusMethodNotAllowed      = 405
	StatusConflict              = 409
	StatusRequestEntityTooLarge = 413
	StatusTooManyRequests       = 429
	StatusInternalServerError   = 500
	StatusServiceUnavailable    = 503
)

// Methods.
const (
	MethodGet     = "GET"
	MethodHead    = "HEAD"
	MethodPost    = "POST"
	MethodDelete  = "DELETE"
	MethodOptions = "OPTIONS"
)

// Header is a set of HTTP headers, keyed by canonical name, like http.Header
// (and convertible to and from it).
type Header map[string][]string

// Get returns the first value of key.
func (h Header) Get(key string) string {
	if v := h[canonicalKey(key)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of key.
func (h Header) Values(key string) []string { return h[canonicalKey(key)] }

// Set replaces the values of key.
func (h Header) Set(key, value string) { h[canonicalKey(key)] = []string{value} }

// Add appends a value to key.
func (h Header) Add(key, value string) {
	k := canonicalKey(key)
	h[k] = append(h[k], value)
}

// Del removes key.
func (h Header) Del(key string) { delete(h, canonicalKey(key)) }

// Request is an HTTP request as a handler sees it.
type Request struct {
	Method string
	URL    *url.URL
	Header Header
	// Body is nil for a request without one.
	Body io.Reader
	// ContentLength is the body's length, -1 when unknown.
	ContentLength int64
	Host          string
	RemoteAddr    string
	// Pattern is the router pattern that matched, "" before routing.
	Pattern string

	ctx     context.Context
	params  map[string]string
	rawPath string
}

// NewRequest returns a request for method and target (a URL or a path), as
// it arrived: it never fails. A target that net/url cannot parse (a
// malformed percent-escape such as "/%", "/%zz" or "/%E0%A4%A", a control
// character, a bad port) is kept raw: URL holds its parts undecoded (Path as
// sent, RawQuery as sent), and EscapedPath returns the path exactly as sent,
// so that the router, not the parser, decides what the request gets (see
// Router.Match).
func NewRequest(ctx context.Context, method, target string, body io.Reader) *Request {
	u, err := url.Parse(target)
	if err != nil {
		u = rawURL(target)
	}
	rawPath := pathOf(target)
	r := &Request{Method: method, URL: u, Header: Header{}, Body: body, ContentLength: -1, Host: u.Host, ctx: ctx, rawPath: rawPath}
	if body == nil {
		r.ContentLength = 0
	}
	return r
}

// rawURL splits a target that url.Parse refused into its parts, decoding
// nothing: "scheme://host" (if any), the path, "?query" and "#fragment".
func rawURL(target string) *url.URL {
	u := &url.URL{}
	rest, frag, _ := strings.Cut(target, "#")
	u.Fragment = frag
	rest, u.RawQuery, u.ForceQuery = strings.Cut(rest, "?")
	u.ForceQuery = u.ForceQuery && u.RawQuery == ""
	if scheme, after, ok := strings.Cut(rest, "://"); ok && scheme != "" && !strings.Contains(scheme, "/") {
		u.Scheme = scheme
		u.Host, rest = after, ""
		if i := strings.IndexByte(after, '/'); i >= 0 {
			u.Host, rest = after[:i], after[i:]
		}
	}
	u.Path = rest
	return u
}

// pathOf is the path of target as sent: after "scheme://host", before "?"
// or "#".
func pathOf(target string) string {
	if i := strings.IndexAny(target, "?#"); i >= 0 {
		target = target[:i]
	}
	if scheme, after, ok := strings.Cut(target, "://"); ok && scheme != "" && !strings.Contains(scheme, "/") {
		if i := strings.IndexByte(after, '/'); i >= 0 {
			return after[i:]
		}
		return ""
	}
	return target
}

// EscapedPath returns the request's path as it was sent, escapes included
// (malformed ones too), for routing; for a request that NewRequest did not
// make, r.URL.EscapedPath().
func (r *Request) EscapedPath() string {
	if r.rawPath != "" {
		return r.rawPath
	}
	if r.URL == nil {
		return ""
	}
	return r.URL.EscapedPath()
}

// Context returns the request's context.
func (r *Request) Context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// WithContext returns a shallow copy of r with ctx.
func (r *Request) WithContext(ctx context.Context) *Request {
	c := *r
	c.ctx = ctx
	return &c
}

// PathValue returns the path segment the pattern's {name} matched.
func (r *Request) PathValue(name string) string { return r.params[name] }

// ResponseWriter is what a handler answers through, like http.ResponseWriter.
type ResponseWriter interface {
	Header() Header
	Write([]byte) (int, error)
	WriteHeader(status int)
}

// Handler answers a request.
type Handler interface {
	Serve(ResponseWriter, *Request)
}

// HandlerFunc is a function that is a Handler.
type HandlerFunc func(ResponseWriter, *Request)

// Serve calls f.
func (f HandlerFunc) Serve(w ResponseWriter, r *Request) { f(w, r) }

// canonicalKey returns key in the canonical form of MIME headers, as
// net/textproto does: the first letter and every letter after a hyphen upper
// case, the rest lower case. A key with a byte that is not a token character
// is returned unchanged.
//
// Every request's headers arrive in lower case from the Workers runtime and
// handlers look headers up by their canonical names, so both are answered
// without a copy: a canonical key as it is, a common header's lower-case
// name from a table.
//
// Measured on the TinyGo worker (issue 18; workerd's CPU per request, 600
// requests a route): always spelling the key anew costs authenticate +5%,
// contacts +13%, the listing +5%, a message +5% (two runs of one build
// differ by up to 10%), so the table stays.
func canonicalKey(key string) string {
	canonical, upper := true, true
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c <= ' ' || c >= 0x7f {
			return key
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	if canonical {
		return key
	}
	if k, ok := commonKeys[key]; ok {
		return k
	}
	return spellCanonical(key)
}

// spellCanonical is canonicalKey's plain algorithm, for a key of token
// characters: it always makes a new string.
func spellCanonical(key string) string {
	b := []byte(key)
	upper := true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		} else if !upper && 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
	return string(b)
}

// commonKeys maps the lower-case names of the headers a request usually
// carries to their canonical form.
var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control", "Cf-Connecting-Ip",
		"Cf-Ipcountry", "Cf-Ray", "Cf-Visitor", "Connection", "Content-Length", "Content-Type", "Cookie", "Host",
		"Idempotency-Key", "If-None-Match", "Origin", "Pragma", "Referer", "Sec-Fetch-Dest", "Sec-Fetch-Mode",
		"Sec-Fetch-Site", "True-Client-Ip", "User-Agent", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip",
		"X-Request-Id", "X-Widget-Token", "Access-Control-Request-Method", "Access-Control-Request-Headers",
	} {
		m[strings.ToLower(k)] = k
	}
	return m
}()
