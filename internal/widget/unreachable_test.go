package widget_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/widget"
)

// A worker that refuses the page's origin answers 403 without CORS headers
// (and refuses the preflight), which the page sees as a network error, as
// it sees a network that is down. The widget tells the site's developer
// once, naming the page's origin and the apiUrl, and the panel's retries
// come less and less often, up to MaxPanelRetry, until the worker answers.
func TestAnUnreachableWorkerIsLoggedOnceAndRetriedLessAndLessOften(t *testing.T) {
	f := newFakeWorker()
	var mu sync.Mutex
	var logged []string
	down := true
	tr := widget.TransportFunc(func(ctx context.Context, r *widget.Request) (*widget.Response, error) {
		mu.Lock()
		d := down
		mu.Unlock()
		if d {
			return nil, errors.New("TypeError: Failed to fetch")
		}
		return f.Do(ctx, r)
	})
	c, err := widget.ParseConfig(map[string]any{"token": testWidgetToken, "apiUrl": "https://chat.example"}, "")
	if err != nil {
		t.Fatal(err)
	}
	w := widget.New(c, widget.Deps{
		Transport: tr, Random: &seqReader{n: 40}, Now: f.clock, Origin: "https://shop.example",
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() },
		Log: func(m string) {
			mu.Lock()
			logged = append(logged, m)
			mu.Unlock()
		},
	})
	var waits []time.Duration
	for range 7 {
		_, err := w.Start(ctx)
		if !errors.Is(err, widget.ErrNetwork) {
			t.Fatalf("Start while unreachable: %v", err)
		}
		waits = append(waits, widget.RetryIn(err))
	}
	want := []time.Duration{3 * time.Second, 6 * time.Second, 12 * time.Second, 24 * time.Second, 48 * time.Second, time.Minute, time.Minute}
	if len(waits) != len(want) {
		t.Fatalf("waits %v", waits)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Errorf("waits %v, want %v", waits, want)
			break
		}
	}
	if len(logged) != 1 {
		t.Fatalf("logged %q, want one line", logged)
	}
	for _, s := range []string{"ChatWidget", "https://shop.example", "https://chat.example", "allowed_origins", "cannot be reached", "refused"} {
		if !strings.Contains(logged[0], s) {
			t.Errorf("the line %q does not say %q", logged[0], s)
		}
	}

	// Once the worker answers, the next run starts again at PanelRetry,
	// and the developer was told already.
	mu.Lock()
	down = false
	mu.Unlock()
	if _, err := w.Start(ctx); err != nil {
		t.Fatalf("Start once the worker answers: %v", err)
	}
	mu.Lock()
	down = true
	mu.Unlock()
	if _, err := w.Sessions(ctx); widget.RetryIn(err) != widget.PanelRetry {
		t.Errorf("after an answer: %v, retry in %v, want %v", err, widget.RetryIn(err), widget.PanelRetry)
	}
	if len(logged) != 1 {
		t.Errorf("logged %q, want one line", logged)
	}
}

// A getToken that fails (its error, an empty answer) is logged for the
// site's developer, naming getToken and why, the same line once in a row;
// the widget stays usable: the next request asks getToken again.
func TestAFailingGetTokenIsLoggedAndAskedAgain(t *testing.T) {
	f := newFakeWorker()
	var logged []string
	answers := []func() (string, error){
		func() (string, error) { return "", errors.New("no session on the page's server") },
		func() (string, error) { return "", errors.New("no session on the page's server") },
		func() (string, error) { return "  ", nil },
		func() (string, error) { return f.verifiedToken("u:back", "", time.Hour), nil },
	}
	calls := 0
	get := widget.TokenFunc(func(context.Context) (string, error) {
		a := answers[min(calls, len(answers)-1)]
		calls++
		return a()
	})
	c, err := widget.ParseConfig(map[string]any{"token": testWidgetToken, "getToken": get}, "https://worker.test")
	if err != nil {
		t.Fatal(err)
	}
	w := widget.New(c, widget.Deps{Transport: f, Random: &seqReader{n: 47}, Now: f.clock, Log: func(m string) { logged = append(logged, m) }})
	for range 3 {
		if _, err := w.Start(ctx); !errors.Is(err, widget.ErrNoUserToken) || !errors.Is(err, widget.ErrGetToken) {
			t.Fatalf("Start with a failing getToken: %v", err)
		}
	}
	if len(logged) != 2 {
		t.Fatalf("logged %q, want two lines (the same failure twice in a row is one)", logged)
	}
	for i, want := range []string{"no session on the page's server", "empty"} {
		if !strings.HasPrefix(logged[i], "ChatWidget: getToken") || !strings.Contains(logged[i], want) {
			t.Errorf("line %d is %q, want it to name getToken and say %q", i, logged[i], want)
		}
	}
	if _, err := w.Start(ctx); err != nil || calls != 4 {
		t.Errorf("once getToken answers: %v, asked %d times, want 4", err, calls)
	}
}

// Unlisted is what the list of sessions shows as sending besides the
// sessions listed: the first pending message of each chat not among them.
func TestUnlistedIsTheFirstPendingMessageOfEachChatNotListed(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(48)
	w := d.load(t, f, nil)
	listed := newChat(t, w, "listed")
	other := newChat(t, w, "other")
	f.set(func(f *fakeWorker) { f.down = true })
	newKey, _ := w.NewChatKey()
	for _, dr := range []widget.Draft{
		{SessionID: listed, Content: "to the listed one"},
		{SessionID: other, Content: "first to the other"},
		{SessionID: other, Content: "second to the other"},
		{ChatKey: newKey, Content: "first of a new chat"},
		{ChatKey: newKey, Content: "second of a new chat"},
	} {
		if r, err := w.Send(ctx, dr); err != nil || !r.Pending {
			t.Fatalf("Send while down: %+v %v", r, err)
		}
	}
	var got []string
	for _, p := range w.Unlisted([]string{listed}) {
		got = append(got, p.Content)
	}
	if strings.Join(got, "|") != "first to the other|first of a new chat" {
		t.Errorf("unlisted %q", got)
	}
}
