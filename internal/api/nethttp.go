//go:build !nonethttp

package api

import (
	"net/http"
	"strings"

	"github.com/chatwidget/identity/internal/httpx"
)

// ServeHTTP makes the API a net/http handler, for native servers and tests.
// The worker is built with the tag nonethttp, which leaves this file (and
// net/http) out: it serves through Serve.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &httpx.Request{
		Method:        r.Method,
		URL:           r.URL,
		Header:        fetchHeader(r.Header),
		ContentLength: r.ContentLength,
		Host:          r.Host,
		RemoteAddr:    r.RemoteAddr,
	}
	if r.Body != nil && r.Body != http.NoBody {
		req.Body = r.Body
	}
	a.Serve(netResponse{w}, req.WithContext(r.Context()))
}

// fetchHeader gives the API the request's header as a Worker gets it: the
// Fetch API's Headers join the values of a header sent more than once with
// ", " into one. Given net/http's list, the API would read the first value
// only: two Authorization headers, the admin token first, would let the
// vendor's call through here and be refused (401) in the Worker.
func fetchHeader(h http.Header) httpx.Header {
	var out http.Header
	for k, v := range h {
		if len(v) > 1 {
			if out == nil {
				out = h.Clone()
			}
			out[k] = []string{strings.Join(v, ", ")}
		}
	}
	if out == nil {
		return httpx.Header(h)
	}
	return httpx.Header(out)
}

type netResponse struct{ w http.ResponseWriter }

func (n netResponse) Header() httpx.Header        { return httpx.Header(n.w.Header()) }
func (n netResponse) Write(b []byte) (int, error) { return n.w.Write(b) }
func (n netResponse) WriteHeader(status int)      { n.w.WriteHeader(status) }
