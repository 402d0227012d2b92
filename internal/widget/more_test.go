package widget_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

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

func TestSleepContext(t *testing.T) {
	if err := widget.SleepContext(context.Background(), time.Millisecond); err != nil {
		t.Error(err)
	}
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if err := widget.SleepContext(c, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if err := widget.SleepContext(c, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("zero wait on a canceled context: %v", err)
	}
}

// What the widget keeps in storage may be damaged or edited: it starts over
// instead of failing.
func TestCorruptedStorage(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(31)
	w := d.load(t, f, nil)
	id := newChat(t, w, "hello")
	d.st.Set(widget.StorageKey(testWidgetToken, "contact"), "{not json")
	d.st.Set(widget.StorageKey(testWidgetToken, "outbox"), "[{broken")
	w = d.load(t, f, nil)
	if got := sessionIDs(t, w); got != id {
		t.Errorf("a damaged contact token: sessions %q (the device id still names the device)", got)
	}
	if p := w.Pending(); len(p) != 0 {
		t.Errorf("a damaged outbox: %+v", p)
	}
	// A contact token stored for another device id is not used.
	d.st.Set(widget.StorageKey(testWidgetToken, "device"), "garbage")
	w = d.load(t, f, nil)
	if got := sessionIDs(t, w); got != "" {
		t.Errorf("a replaced device id still sees %q", got)
	}
}

func TestTokensWithoutAReadableExpiry(t *testing.T) {
	f := newFakeWorker()
	for _, tok := range []string{"a.b.c", "a.!!!.c", "a.e30.c", "a." + "eyJleHAiOiJzb29uIn0" + ".c"} {
		f.set(func(f *fakeWorker) {
			f.tokens[tok] = fakeToken{kind: identity.KindVerified, sub: "u", exp: f.now.Add(time.Hour)}
		})
		w := newDevice(32).load(t, f, map[string]any{"user": map[string]any{"token": tok}})
		if _, err := w.Sessions(ctx); err != nil {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}

func TestSubmitFormWhenTheWorkerRefusesTheEmail(t *testing.T) {
	tr := widget.TransportFunc(func(context.Context, *widget.Request) (*widget.Response, error) {
		return &widget.Response{Status: 400, Body: []byte(`{"error":{"code":"invalid_email","message":"email is not a valid email address."}}`)}, nil
	})
	cfg, _ := widget.ParseConfig(map[string]any{"token": testWidgetToken, "collectUserData": true}, "https://w.test")
	w := widget.New(cfg, widget.Deps{Transport: tr, Random: &seqReader{}})
	_, err := w.SubmitForm(ctx, "Ann", "ann@example.com")
	var fe *widget.FormError
	if !errors.As(err, &fe) || fe.Field != "email" || !strings.Contains(fe.Error(), "valid email") {
		t.Errorf("err = %v", err)
	}
	if !w.Status().NeedsForm {
		t.Error("the form counts as filled")
	}
	down := widget.TransportFunc(func(context.Context, *widget.Request) (*widget.Response, error) { return nil, errors.New("offline") })
	w = widget.New(cfg, widget.Deps{Transport: down, Random: &seqReader{}, Sleep: func(context.Context, time.Duration) error { return nil }})
	if _, err := w.SubmitForm(ctx, "Ann", "ann@example.com"); !errors.Is(err, widget.ErrNetwork) {
		t.Errorf("offline: %v", err)
	}
}

func TestFailedMessagesSayWhy(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(33).load(t, f, map[string]any{"externalId": "ws-1", "user": map[string]any{"token": f.verifiedToken("u", "ws-2", time.Hour)}})
	key, _ := w.NewChatKey()
	r, err := w.Send(ctx, widget.Draft{ChatKey: key, Content: "x"})
	if err != nil || r.Error != "mismatch" || r.Pending {
		t.Errorf("external id mismatch: %+v %v", r, err)
	}
}

func TestConfigTypeNames(t *testing.T) {
	for v, want := range map[any]string{
		"s": "a string", true: "a boolean", 1.5: "a number", struct{}{}: "an unsupported value",
	} {
		_, err := parse(map[string]any{"token": v})
		if v == "s" {
			continue // a string token fails on its shape
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("token %v: %v, want %q", v, err, want)
		}
	}
	_, err := parse(map[string]any{"token": testWidgetToken, "externalId": []any{}, "user": map[string]any{"token": map[string]any{}}, "getToken": widget.TokenFunc(nil)})
	for _, want := range []string{"externalId must be a string, got an array", "user.token must be a string, got an object", "getToken must be a function"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not say %q", err, want)
		}
	}
}

func TestAvatarURLJoinsTheCustomData(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(34)
	w := d.load(t, f, map[string]any{"user": map[string]any{"data": map[string]any{
		"avatarUrl": "https://example.com/a.png", "customData": map[string]any{"avatar_url": "mine"}}}})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.contacts {
		if c.custom["avatar_url"] != "mine" {
			t.Errorf("the page's own avatar_url was replaced: %v", c.custom)
		}
	}
	w = newDevice(35).load(t, f, map[string]any{"user": map[string]any{"data": map[string]any{"avatarUrl": "https://example.com/b.png"}}})
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range f.contacts {
		found = found || c.custom["avatar_url"] == "https://example.com/b.png"
	}
	if !found {
		t.Error("avatarUrl was not sent")
	}
}
