package widget

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/identity"
)

// Client calls the worker's /v1/widget routes for one org. Every request
// carries X-Widget-Token; requests that fail on the network, with a 5xx or
// with 429 are retried under Retry with the same Idempotency-Key.
type Client struct {
	BaseURL     string
	WidgetToken string
	Transport   Transport
	Retry       RetryPolicy
	// Now and Sleep default to time.Now and conc.Sleep; tests replace them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Unreachable, when set, is called each time a call gives up without
	// any answer of the worker; what it returns is how long the caller
	// should wait before trying again (RetryIn of the error). Answered is
	// called on every answer.
	Unreachable func() time.Duration
	Answered    func()
}

// call is one logical request, sent once or more.
type call struct {
	method string
	path   string // with its query
	body   any
	// idemKey is sent as Idempotency-Key, the same on every retry.
	idemKey string
	// bearer is the user token, "" for none.
	bearer string
	// contactToken is sent as X-Contact-Token (a claim), "" for none.
	contactToken string
}

// do sends c with retries and decodes a 2xx answer into out (when not nil).
// A non-2xx answer is an *APIError; no answer at all wraps ErrNetwork.
func (cl *Client) do(ctx context.Context, c call, out any) error {
	req := &Request{
		Method: c.method,
		URL:    cl.BaseURL + c.path,
		Header: map[string]string{"X-Widget-Token": cl.WidgetToken},
	}
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return err
		}
		req.Body = b
		req.Header["Content-Type"] = "application/json"
	}
	if c.bearer != "" {
		req.Header["Authorization"] = "Bearer " + c.bearer
	}
	if c.idemKey != "" {
		req.Header["Idempotency-Key"] = c.idemKey
	}
	if c.contactToken != "" {
		req.Header["X-Contact-Token"] = c.contactToken
	}
	policy := cl.Retry
	if policy.Attempts < 1 {
		policy = DefaultRetryPolicy
	}
	var last error
	for attempt := 1; ; attempt++ {
		resp, err := cl.Transport.Do(ctx, req)
		var wait time.Duration
		if err == nil && cl.Answered != nil {
			cl.Answered()
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			last = &networkError{err: err}
			wait = policy.backoff(attempt)
		case resp.Status >= 200 && resp.Status < 300:
			if out == nil || len(resp.Body) == 0 {
				return nil
			}
			if err := json.Unmarshal(resp.Body, out); err != nil {
				return &APIError{Status: resp.Status, Code: identity.CodeInternal, Message: "the worker's answer is not the JSON expected"}
			}
			return nil
		default:
			ae := cl.apiError(resp)
			if !ae.retryable() {
				return ae
			}
			last = ae
			wait = policy.backoff(attempt)
			if ae.RetryAfter > 0 {
				if ae.RetryAfter > policy.MaxRetryAfter {
					return ae
				}
				wait = ae.RetryAfter
			}
		}
		if attempt >= policy.Attempts {
			if ne, ok := last.(*networkError); ok && cl.Unreachable != nil {
				ne.retryIn = cl.Unreachable()
			}
			return last
		}
		if err := cl.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

func (cl *Client) apiError(resp *Response) *APIError {
	var body struct {
		Error struct {
			Code    identity.Code `json:"code"`
			Message string        `json:"message"`
		} `json:"error"`
	}
	ae := &APIError{Status: resp.Status}
	if json.Unmarshal(resp.Body, &body) == nil {
		ae.Code, ae.Message = body.Error.Code, body.Error.Message
	}
	if ae.Code == "" {
		switch {
		case resp.Status == 429:
			ae.Code = identity.CodeRateLimited
		case resp.Status >= 500:
			ae.Code = identity.CodeUnavailable
		}
	}
	if d, ok := parseRetryAfter(resp.RetryAfter, cl.now()); ok {
		ae.RetryAfter = d
	}
	return ae
}

func (cl *Client) now() time.Time {
	if cl.Now != nil {
		return cl.Now()
	}
	return time.Now()
}

func (cl *Client) sleep(ctx context.Context, d time.Duration) error {
	if cl.Sleep != nil {
		return cl.Sleep(ctx, d)
	}
	return conc.Sleep(ctx, d)
}

// IsNetwork reports whether err means the worker could not be reached (after
// retries) or kept failing with a 5xx or 429: worth trying again later.
func IsNetwork(err error) bool {
	if errors.Is(err, ErrNetwork) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.retryable()
}
