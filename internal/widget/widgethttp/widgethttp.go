// Package widgethttp is the widget core's Transport over net/http, for native
// tests and tools. The browser build uses fetch instead (package wasm), so
// that the .wasm carries no net/http.
package widgethttp

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/chatwidget/identity/internal/widget"
)

// maxBody caps what is read of an answer.
const maxBody = 1 << 20

// Transport sends widget requests with an *http.Client.
type Transport struct {
	Client *http.Client
	// Origin, when set, is sent as the Origin header, as a browser would.
	Origin string
}

// New returns a Transport over c (http.DefaultClient when nil).
func New(c *http.Client) *Transport {
	if c == nil {
		c = http.DefaultClient
	}
	return &Transport{Client: c}
}

// Do implements widget.Transport.
func (t *Transport) Do(ctx context.Context, r *widget.Request) (*widget.Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	if t.Origin != "" {
		req.Header.Set("Origin", t.Origin)
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &widget.Response{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After"), Body: b}, nil
}
