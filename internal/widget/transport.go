package widget

import "context"

// Transport sends one HTTP request: fetch in the browser, net/http in tests
// (package widgethttp). It returns an error only when no HTTP answer came
// (network down, CORS refusal, aborted); any status is a Response.
type Transport interface {
	Do(ctx context.Context, req *Request) (*Response, error)
}

// Request is an HTTP request of the widget.
type Request struct {
	Method string
	URL    string
	// Header holds canonical header names (X-Widget-Token, Authorization,
	// Content-Type, Idempotency-Key).
	Header map[string]string
	Body   []byte
}

// Response is an HTTP answer.
type Response struct {
	Status int
	// RetryAfter is the Retry-After header, "" when none.
	RetryAfter string
	Body       []byte
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(ctx context.Context, req *Request) (*Response, error)

// Do implements Transport.
func (f TransportFunc) Do(ctx context.Context, req *Request) (*Response, error) { return f(ctx, req) }
