//go:build !nonethttp

package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// NetHTTP is a Doer over net/http, for native servers and tests (the worker,
// built with -tags nonethttp, uses the runtime's fetch instead).
type NetHTTP struct {
	// Client sends the requests; nil: a client of its own.
	Client *http.Client
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// Do sends r and reads the status of the answer.
func (n NetHTTP) Do(ctx context.Context, r Request) (Response, error) {
	c := n.Client
	if c == nil {
		c = noRedirects
	}
	ctx, cancel := context.WithTimeoutCause(ctx, TimeoutOf(r), ErrTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, MethodOf(r), r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Response{}, fmt.Errorf("outbound: %w", err)
	}
	for _, h := range r.Header {
		req.Header.Add(h[0], h[1])
	}
	res, err := c.Do(req)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrTimeout) {
			return Response{}, fmt.Errorf("%w: %v", ErrTimeout, err)
		}
		return Response{}, fmt.Errorf("outbound: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	return Response{Status: res.StatusCode}, nil
}
