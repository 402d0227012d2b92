//go:build !tinygo

package widget_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
	"github.com/chatwidget/identity/internal/widget/widgethttp"
)

// scripted is a Transport that answers from a script and records requests.
type scripted struct {
	mu      sync.Mutex
	answers []func() (*widget.Response, error)
	reqs    []*widget.Request
}

func (s *scripted) Do(_ context.Context, r *widget.Request) (*widget.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r)
	if len(s.answers) == 0 {
		return &widget.Response{Status: 201, Body: []byte(`{"session":{"id":"s1"}}`)}, nil
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a()
}

func status(code int, retryAfter string) func() (*widget.Response, error) {
	return func() (*widget.Response, error) {
		return &widget.Response{Status: code, RetryAfter: retryAfter, Body: []byte(`{"error":{"code":"x_code","message":"x message"}}`)}, nil
	}
}

func netErr() (*widget.Response, error) { return nil, errors.New("connection refused") }

func newClient(tr widget.Transport, sleeps *[]time.Duration) *widget.Client {
	return &widget.Client{
		BaseURL:     "https://worker.test",
		WidgetToken: testWidgetToken,
		Transport:   tr,
		Now:         func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Sleep: func(ctx context.Context, d time.Duration) error {
			*sleeps = append(*sleeps, d)
			return nil
		},
	}
}

func TestClientRetriesWithTheSameIdempotencyKey(t *testing.T) {
	tr := &scripted{answers: []func() (*widget.Response, error){netErr, status(503, ""), status(429, "3"), status(502, "")}}
	var sleeps []time.Duration
	_, err := newClient(tr, &sleeps).CreateSession(context.Background(), "tok", "key-1", "ws")
	if err == nil {
		t.Fatal("4 failures in 4 attempts gave no error")
	}
	if len(tr.reqs) != 4 {
		t.Fatalf("%d attempts, want 4", len(tr.reqs))
	}
	for _, r := range tr.reqs {
		if r.Header["Idempotency-Key"] != "key-1" || r.Header["X-Widget-Token"] != testWidgetToken || r.Header["Authorization"] != "Bearer tok" {
			t.Errorf("headers of a retry: %v", r.Header)
		}
		if r.Method != "POST" || r.URL != "https://worker.test/v1/widget/sessions" || string(r.Body) != `{"external_id":"ws"}` {
			t.Errorf("request %s %s %s", r.Method, r.URL, r.Body)
		}
	}
	if want := []time.Duration{500 * time.Millisecond, time.Second, 3 * time.Second}; fmt.Sprint(sleeps) != fmt.Sprint(want) {
		t.Errorf("waits %v, want %v (backoff, backoff, Retry-After)", sleeps, want)
	}
	var ae *widget.APIError
	if !errors.As(err, &ae) || ae.Status != 502 || !widget.IsNetwork(err) {
		t.Errorf("last error %v", err)
	}

	tr = &scripted{answers: []func() (*widget.Response, error){netErr, status(500, "")}}
	sleeps = nil
	s, err := newClient(tr, &sleeps).CreateSession(context.Background(), "tok", "key-2", "")
	if err != nil || s.ID != "s1" || len(tr.reqs) != 3 {
		t.Errorf("success on the third attempt: %v %v %d", s, err, len(tr.reqs))
	}
}

func TestClientNetworkErrorAfterRetries(t *testing.T) {
	tr := &scripted{answers: []func() (*widget.Response, error){netErr, netErr, netErr, netErr}}
	var sleeps []time.Duration
	_, err := newClient(tr, &sleeps).ListSessions(context.Background(), "tok", "", "", 0)
	if !errors.Is(err, widget.ErrNetwork) || !widget.IsNetwork(err) {
		t.Errorf("err = %v, want ErrNetwork", err)
	}
	if len(sleeps) != 3 || sleeps[2] != 2*time.Second {
		t.Errorf("waits %v", sleeps)
	}
}

func TestClientDoesNotRetryClientErrors(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 413} {
		tr := &scripted{answers: []func() (*widget.Response, error){status(code, "")}}
		var sleeps []time.Duration
		_, err := newClient(tr, &sleeps).PostMessage(context.Background(), "tok", "s1", "k", "hi")
		var ae *widget.APIError
		if !errors.As(err, &ae) || ae.Status != code || ae.Code != "x_code" || ae.Message != "x message" {
			t.Errorf("%d: err = %v", code, err)
		}
		if len(tr.reqs) != 1 || widget.IsNetwork(err) {
			t.Errorf("%d: %d attempts", code, len(tr.reqs))
		}
	}
}

func TestClientGivesUpOnALongRetryAfter(t *testing.T) {
	tr := &scripted{answers: []func() (*widget.Response, error){status(429, "120")}}
	var sleeps []time.Duration
	_, err := newClient(tr, &sleeps).GetSession(context.Background(), "tok", "s1", "")
	var ae *widget.APIError
	if !errors.As(err, &ae) || ae.RetryAfter != 2*time.Minute || len(tr.reqs) != 1 || len(sleeps) != 0 {
		t.Errorf("err=%v attempts=%d sleeps=%v", err, len(tr.reqs), sleeps)
	}
	// An HTTP-date Retry-After.
	tr = &scripted{answers: []func() (*widget.Response, error){status(503, "Thu, 01 Jan 2026 00:00:04 GMT")}}
	sleeps = nil
	if _, err := newClient(tr, &sleeps).GetSession(context.Background(), "tok", "s1", ""); err != nil {
		t.Fatal(err)
	}
	if len(sleeps) != 1 || sleeps[0] != 4*time.Second {
		t.Errorf("waits %v, want [4s]", sleeps)
	}
}

func TestClientStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tr := widget.TransportFunc(func(context.Context, *widget.Request) (*widget.Response, error) {
		cancel()
		return nil, errors.New("aborted")
	})
	var sleeps []time.Duration
	_, err := newClient(tr, &sleeps).Me(ctx, "tok")
	if !errors.Is(err, context.Canceled) || len(sleeps) != 0 {
		t.Errorf("err=%v sleeps=%v", err, sleeps)
	}
}

func TestClientErrorsMatchIdentitySentinels(t *testing.T) {
	tr := &scripted{answers: []func() (*widget.Response, error){func() (*widget.Response, error) {
		return &widget.Response{Status: 401, Body: []byte(`{"error":{"code":"token_expired","message":"The user token has expired."}}`)}, nil
	}}}
	var sleeps []time.Duration
	_, err := newClient(tr, &sleeps).Me(context.Background(), "tok")
	if !errors.Is(err, identity.ErrTokenExpired) || errors.Is(err, identity.ErrInvalidToken) {
		t.Errorf("err = %v", err)
	}
	// A body that is not the contract's error still gives a status and a code.
	tr = &scripted{answers: []func() (*widget.Response, error){func() (*widget.Response, error) {
		return &widget.Response{Status: 418, Body: []byte(`<html>teapot</html>`)}, nil
	}}}
	_, err = newClient(tr, &sleeps).Me(context.Background(), "tok")
	if err == nil || err.Error() != "http_418" {
		t.Errorf("err = %v", err)
	}
}

func TestClientQueryEscaping(t *testing.T) {
	tr := &scripted{answers: []func() (*widget.Response, error){
		func() (*widget.Response, error) {
			return &widget.Response{Status: 200, Body: []byte(`{"items":[]}`)}, nil
		},
		func() (*widget.Response, error) {
			return &widget.Response{Status: 200, Body: []byte(`{"messages":[]}`)}, nil
		},
	}}
	var sleeps []time.Duration
	cl := newClient(tr, &sleeps)
	cl.ListSessions(context.Background(), "tok", "w s&x", "c1", 50)
	cl.GetSession(context.Background(), "tok", "a/b", "m 1")
	if got := tr.reqs[0].URL; got != "https://worker.test/v1/widget/sessions?cursor=c1&external_id=w+s%26x&limit=50" {
		t.Errorf("list URL %s", got)
	}
	if got := tr.reqs[1].URL; got != "https://worker.test/v1/widget/sessions/a%2Fb?after=m+1" {
		t.Errorf("get URL %s", got)
	}
}

// The net/http transport against an httptest server: headers, bodies,
// Retry-After and the Origin a browser would send.
func TestWidgetHTTPTransport(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("js/wasm has no loopback network for httptest.NewServer")
	}
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			return
		}
		if r.Header.Get("Origin") != "http://host.test" || r.Header.Get("Idempotency-Key") != "k1" ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-Widget-Token") != testWidgetToken {
			http.Error(w, "bad headers", 400)
			return
		}
		w.WriteHeader(201)
		fmt.Fprint(w, `{"message":{"id":"m1","role":"user","content":"hi"}}`)
	}))
	defer srv.Close()
	tr := widgethttp.New(srv.Client())
	tr.Origin = "http://host.test"
	var sleeps []time.Duration
	cl := newClient(tr, &sleeps)
	cl.BaseURL = srv.URL
	m, err := cl.PostMessage(context.Background(), "tok", "s1", "k1", "hi")
	if err != nil || m.ID != "m1" || m.Role != identity.RoleUser {
		t.Fatalf("PostMessage: %+v %v", m, err)
	}
	if len(sleeps) != 1 || sleeps[0] != time.Second {
		t.Errorf("waits %v", sleeps)
	}
	srv.Close()
	_, err = cl.PostMessage(context.Background(), "tok", "s1", "k1", "hi")
	if !errors.Is(err, widget.ErrNetwork) {
		t.Errorf("closed server: %v", err)
	}
	if !strings.Contains(err.Error(), "cannot be reached") {
		t.Errorf("message %q", err)
	}
}

// A Retry-After of 2^31 s or more (which a 32-bit int, the core's under
// TinyGo, cannot hold) or past what a Duration holds is a long wait, given
// up on, never no wait or a short one.
func TestClientGivesUpOnARetryAfterBeyond32Bits(t *testing.T) {
	for _, v := range []string{"3000000000", "100000000000", "99999999999999999999999"} {
		tr := &scripted{answers: []func() (*widget.Response, error){status(429, v)}}
		var sleeps []time.Duration
		_, err := newClient(tr, &sleeps).GetSession(context.Background(), "tok", "s1", "")
		var ae *widget.APIError
		if !errors.As(err, &ae) || ae.RetryAfter < 3000000000*time.Second || len(tr.reqs) != 1 || len(sleeps) != 0 {
			t.Errorf("Retry-After %s: err=%v retryAfter=%v attempts=%d sleeps=%v", v, err, ae, len(tr.reqs), sleeps)
		}
	}
}

func TestMe(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(30)
	w := d.load(t, f, nil)
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var contact widget.ContactAnswer
	cl := &widget.Client{BaseURL: "https://worker.test", WidgetToken: testWidgetToken, Transport: f}
	ans, err := cl.CreateContact(ctx, widget.ContactRequest{DeviceID: "00000000-0000-4000-8000-000000000001", Name: "Me"})
	if err != nil {
		t.Fatal(err)
	}
	contact = *ans
	p, err := cl.Me(ctx, contact.Token)
	if err != nil || p.Verified || p.Name != "Me" || p.ID != contact.Contact.ID {
		t.Errorf("contact me: %+v %v", p, err)
	}
	p, err = cl.Me(ctx, f.verifiedToken("user-9", "", time.Hour))
	if err != nil || !p.Verified || p.UserID != "user-9" {
		t.Errorf("user me: %+v %v", p, err)
	}
	if _, err := cl.Me(ctx, "nope"); !errors.Is(err, identity.ErrInvalidToken) {
		t.Errorf("bad token: %v", err)
	}
	if _, err := cl.CreateContact(ctx, widget.ContactRequest{DeviceID: "not-a-uuid"}); !errors.Is(err, identity.ErrInvalidDeviceID) {
		t.Errorf("bad device: %v", err)
	}
}
