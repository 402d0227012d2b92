//go:build !nonethttp

package api

import (
	"net/http"

	"github.com/chatwidget/identity/internal/httpx"
)

// ServeHTTP makes the API a net/http handler, for native servers and tests.
// The worker is built with the tag nonethttp, which leaves this file (and
// net/http) out: it serves through Serve.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &httpx.Request{
		Method:        r.Method,
		URL:           r.URL,
		Header:        httpx.Header(r.Header),
		ContentLength: r.ContentLength,
		Host:          r.Host,
		RemoteAddr:    r.RemoteAddr,
	}
	if r.Body != nil && r.Body != http.NoBody {
		req.Body = r.Body
	}
	a.Serve(netResponse{w}, req.WithContext(r.Context()))
}

type netResponse struct{ w http.ResponseWriter }

func (n netResponse) Header() httpx.Header        { return httpx.Header(n.w.Header()) }
func (n netResponse) Write(b []byte) (int, error) { return n.w.Write(b) }
func (n netResponse) WriteHeader(status int)      { n.w.WriteHeader(status) }
