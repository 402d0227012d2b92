package widget_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

var ctx = context.Background()

// newChat sends the first message of a new chat and returns its session id.
func newChat(t *testing.T, w *widget.Widget, content string) string {
	t.Helper()
	key, err := w.NewChatKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.Send(ctx, widget.Draft{ChatKey: key, Content: content})
	if err != nil || r.Pending || r.Message == nil || r.SessionID == "" {
		t.Fatalf("Send: %+v %v", r, err)
	}
	return r.SessionID
}

func sessionIDs(t *testing.T, w *widget.Widget) string {
	t.Helper()
	ss, err := w.Sessions(ctx)
	if err != nil {
		t.Fatalf("Sessions: %v", err)
	}
	var ids []string
	for _, s := range ss {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, ",")
}

func TestAnonymousChatSurvivesAReloadOnItsDeviceOnly(t *testing.T) {
	f := newFakeWorker()
	phone, laptop := newDevice(1), newDevice(2)
	w := phone.load(t, f, nil)
	if st, err := w.Start(ctx); err != nil || st.Mode != widget.ModeAnonymous || st.NeedsForm {
		t.Fatalf("Start: %+v %v", st, err)
	}
	id := newChat(t, w, "hello")
	if got := f.messages(id); fmt.Sprint(got) != "[user:hello]" {
		t.Errorf("stored %v", got)
	}

	reloaded := phone.load(t, f, nil)
	if got := sessionIDs(t, reloaded); got != id {
		t.Errorf("after a reload: %q, want %q", got, id)
	}
	if n := f.count("POST", "/contacts"); n != 1 {
		t.Errorf("%d contact requests; the stored contact token should have been reused", n)
	}
	if got := sessionIDs(t, laptop.load(t, f, nil)); got != "" {
		t.Errorf("the other device sees %q", got)
	}
	if len(f.contacts) != 2 {
		t.Errorf("%d contacts, want one per device", len(f.contacts))
	}
}

func TestCollectUserDataForm(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(3)
	w := d.load(t, f, map[string]any{"collectUserData": true, "prefillUserData": map[string]any{"name": "Ann"}})
	st, err := w.Start(ctx)
	if err != nil || !st.NeedsForm || st.Prefill.Name != "Ann" || st.Mode != widget.ModeCollectUserData {
		t.Fatalf("Start: %+v %v", st, err)
	}
	if _, err := w.Sessions(ctx); !errors.Is(err, widget.ErrNeedsUserData) {
		t.Errorf("Sessions before the form: %v", err)
	}
	key, _ := w.NewChatKey()
	if _, err := w.Send(ctx, widget.Draft{ChatKey: key, Content: "hi"}); !errors.Is(err, widget.ErrNeedsUserData) {
		t.Errorf("Send before the form: %v", err)
	}
	_, err = w.SubmitForm(ctx, "Ann", "ann@nowhere")
	var fe *widget.FormError
	if !errors.As(err, &fe) || fe.Field != "email" {
		t.Fatalf("bad email: %v", err)
	}
	if len(f.requests) != 0 {
		t.Errorf("a bad form reached the worker: %d requests", len(f.requests))
	}
	st, err = w.SubmitForm(ctx, "Ann", "Ann@Example.com")
	if err != nil || st.NeedsForm || st.Person == nil || st.Person.Email != "Ann@Example.com" {
		t.Fatalf("good form: %+v %v", st, err)
	}
	for _, c := range f.contacts {
		if c.name != "Ann" || c.email != "Ann@Example.com" {
			t.Errorf("contact %+v", c)
		}
	}
	newChat(t, w, "hi")
	if st := d.load(t, f, map[string]any{"collectUserData": true}).Status(); st.NeedsForm {
		t.Error("the form is asked again after a reload")
	}
}

func TestTwoDevicesClaimingOneEmailSeeTheirOwnChats(t *testing.T) {
	f := newFakeWorker()
	a, b := newDevice(4), newDevice(5)
	cfg := func() map[string]any { return map[string]any{"collectUserData": true} }
	wa, wb := a.load(t, f, cfg()), b.load(t, f, cfg())
	for _, w := range []*widget.Widget{wa, wb} {
		if _, err := w.SubmitForm(ctx, "Same", "same@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	ida, idb := newChat(t, wa, "from a"), newChat(t, wb, "from b")
	if got := sessionIDs(t, wa); got != ida {
		t.Errorf("device a sees %q", got)
	}
	if got := sessionIDs(t, wb); got != idb {
		t.Errorf("device b sees %q", got)
	}
}

func TestUserDataIsSentAsNonVerifiedOnEveryPageLoad(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(6)
	cfg := func(name string) map[string]any {
		return map[string]any{"user": map[string]any{"data": map[string]any{
			"name": name, "email": "bo@example.com", "avatarUrl": "https://example.com/bo.png",
			"customData": map[string]any{"plan": "pro"},
		}}}
	}
	w := d.load(t, f, cfg("Bo"))
	st, err := w.Start(ctx)
	if err != nil || st.Mode != widget.ModeUserData || st.Person.Name != "Bo" {
		t.Fatalf("Start: %+v %v", st, err)
	}
	newChat(t, w, "hi")
	if n := f.count("POST", "/contacts"); n != 1 {
		t.Errorf("%d contact posts in one page load", n)
	}
	for _, c := range f.contacts {
		if c.email != "bo@example.com" || c.custom["plan"] != "pro" || c.custom["avatar_url"] != "https://example.com/bo.png" {
			t.Errorf("contact %+v", c)
		}
	}
	w = d.load(t, f, cfg("Bob"))
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.count("POST", "/contacts"); n != 2 {
		t.Errorf("%d contact posts after a reload, want 2", n)
	}
	for _, c := range f.contacts {
		if c.name != "Bob" {
			t.Errorf("the new name was not sent: %+v", c)
		}
	}
	if len(f.contacts) != 1 {
		t.Errorf("%d contacts: the device changed", len(f.contacts))
	}
}

func TestVerifiedUserSeesTheirChatsOnEveryDeviceAndNotTheAnonymousOnes(t *testing.T) {
	f := newFakeWorker()
	a, b := newDevice(7), newDevice(8)
	anon := newChat(t, a.load(t, f, nil), "anonymous before login")

	tok := f.verifiedToken("user-1", "", time.Hour)
	cfg := func() map[string]any { return map[string]any{"user": map[string]any{"token": tok}} }
	wa := a.load(t, f, cfg())
	st, err := wa.Start(ctx)
	if err != nil || st.Mode != widget.ModeVerified {
		t.Fatalf("Start: %+v %v", st, err)
	}
	if got := sessionIDs(t, wa); got != "" {
		t.Errorf("the verified user sees the device's anonymous chats: %q (anonymous %s)", got, anon)
	}
	id := newChat(t, wa, "verified hello")
	if got := sessionIDs(t, b.load(t, f, cfg())); got != id {
		t.Errorf("the other device sees %q, want %q", got, id)
	}
	if n := f.count("POST", "/contacts"); n != 1 {
		t.Errorf("verified mode posted contacts: %d", n)
	}
}

func TestExternalIDsKeepWorkspacesApart(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(9)
	w1 := d.load(t, f, map[string]any{"externalId": "ws-1"})
	id1 := newChat(t, w1, "in ws-1")
	w2 := d.load(t, f, map[string]any{"externalId": "ws-2"})
	id2 := newChat(t, w2, "in ws-2")
	if got := sessionIDs(t, w1); got != id1 {
		t.Errorf("ws-1 lists %q", got)
	}
	if got := sessionIDs(t, w2); got != id2 {
		t.Errorf("ws-2 lists %q", got)
	}
	if got := sessionIDs(t, d.load(t, f, nil)); got != id2+","+id1 {
		t.Errorf("no external id lists %q", got)
	}
}

func TestContactTokenIsRenewedWithTheSameDevice(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(10)
	w := d.load(t, f, nil)
	id := newChat(t, w, "one")

	// Expired by the clock: renewed before the request.
	f.advance(2 * time.Hour)
	if got := sessionIDs(t, w); got != id {
		t.Errorf("after renewal: %q", got)
	}
	if n := f.count("POST", "/contacts"); n != 2 {
		t.Errorf("%d contact posts, want 2", n)
	}

	// Refused by the worker (say, its keys were rotated): renewed on 401.
	f.set(func(f *fakeWorker) { clear(f.tokens) })
	if got := sessionIDs(t, w); got != id {
		t.Errorf("after a 401: %q", got)
	}
	if n := f.count("POST", "/contacts"); n != 3 {
		t.Errorf("%d contact posts, want 3", n)
	}
	if len(f.contacts) != 1 {
		t.Errorf("renewal made a new contact: %d", len(f.contacts))
	}
}

func TestGetTokenOnExpiry(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(11)
	var asked int
	get := widget.TokenFunc(func(context.Context) (string, error) {
		asked++
		return f.verifiedToken("user-2", "", time.Hour), nil
	})
	old := f.verifiedToken("user-2", "", time.Hour)
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": old}, "getToken": get})
	id := newChat(t, w, "hi")

	// The worker says token_expired though the token's exp looks fine.
	f.set(func(f *fakeWorker) {
		p := f.tokens[old]
		p.exp = f.now
		f.tokens[old] = p
	})
	if got := sessionIDs(t, w); got != id || asked != 1 {
		t.Errorf("sessions %q, getToken asked %d times", got, asked)
	}
	// Expired by the clock: getToken is asked before the request.
	f.advance(2 * time.Hour)
	if got := sessionIDs(t, w); got != id || asked != 2 {
		t.Errorf("sessions %q, getToken asked %d times", got, asked)
	}
	if n := f.count("GET", "/v1/widget/sessions"); n != 3 {
		t.Errorf("%d listings, want 3 (one refused, two good)", n)
	}

	// getToken alone: asked for the first token.
	asked = 0
	w = newDevice(12).load(t, f, map[string]any{"getToken": get})
	if got := sessionIDs(t, w); got != id || asked != 1 {
		t.Errorf("getToken alone: %q, asked %d", got, asked)
	}
}

func TestExpiredVerifiedTokenWithoutGetToken(t *testing.T) {
	f := newFakeWorker()
	tok := f.verifiedToken("user-3", "", time.Minute)
	w := newDevice(13).load(t, f, map[string]any{"user": map[string]any{"token": tok}})
	f.advance(time.Hour)
	_, err := w.Sessions(ctx)
	if !errors.Is(err, identity.ErrTokenExpired) {
		t.Errorf("err = %v, want token_expired", err)
	}
	if n := f.count("GET", "/sessions"); n != 1 {
		t.Errorf("%d listings, want 1", n)
	}
}

func TestGetTokenFailure(t *testing.T) {
	f := newFakeWorker()
	boom := errors.New("login server down")
	w := newDevice(14).load(t, f, map[string]any{"getToken": widget.TokenFunc(func(context.Context) (string, error) { return "", boom })})
	if _, err := w.Start(ctx); !errors.Is(err, boom) || !errors.Is(err, widget.ErrNoUserToken) {
		t.Errorf("err = %v", err)
	}
}

// A getToken that never answers (the site's server hangs) is a refusal
// after TokenTimeout, not a widget stuck for the rest of the page: every
// request waited behind it before, and none asked getToken again.
func TestGetTokenThatNeverAnswers(t *testing.T) {
	f := newFakeWorker()
	var calls atomic.Int32
	get := widget.TokenFunc(func(ctx context.Context) (string, error) {
		if calls.Add(1) == 1 {
			<-ctx.Done() // the page's Promise never settles
			return "", ctx.Err()
		}
		return f.verifiedToken("u:slow", "", time.Hour), nil
	})
	c, err := widget.ParseConfig(map[string]any{"token": testWidgetToken, "getToken": get}, "https://worker.test")
	if err != nil {
		t.Fatal(err)
	}
	w := widget.New(c, widget.Deps{Transport: f, Random: &seqReader{n: 15}, Now: f.clock, TokenTimeout: 50 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := w.Start(ctx); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, widget.ErrNoUserToken) || !strings.Contains(err.Error(), "getToken did not answer") {
			t.Errorf("Start: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start still waits for getToken after 5 s")
	}
	if _, err := w.Sessions(ctx); err != nil || calls.Load() != 2 {
		t.Errorf("the next request: %v, getToken asked %d times, want 2", err, calls.Load())
	}
}

func TestLogoutLeavesTheNextVisitorNothing(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(15)
	w := d.load(t, f, map[string]any{"collectUserData": true, "prefillUserData": map[string]any{"email": "ann@example.com"}})
	if _, err := w.SubmitForm(ctx, "Ann", "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	newChat(t, w, "private")
	device1, _ := d.st.Get(widget.StorageKey(testWidgetToken, "device"))
	f.set(func(f *fakeWorker) { f.down = true })
	key, _ := w.NewChatKey()
	if r, _ := w.Send(ctx, widget.Draft{ChatKey: key, Content: "unsent"}); !r.Pending {
		t.Fatalf("not pending: %+v", r)
	}
	f.set(func(f *fakeWorker) { f.down = false })

	w.Logout()
	if keys := d.st.Keys(); len(keys) != 0 {
		t.Errorf("storage keeps %q", keys)
	}
	st := w.Status()
	if !st.NeedsForm || st.Prefill != (widget.Profile{}) || st.Pending != 0 {
		t.Errorf("after logout: %+v", st)
	}
	if _, err := w.SubmitForm(ctx, "Next", "next@example.com"); err != nil {
		t.Fatal(err)
	}
	if got := sessionIDs(t, w); got != "" {
		t.Errorf("the next visitor sees %q", got)
	}
	device2, _ := d.st.Get(widget.StorageKey(testWidgetToken, "device"))
	if device2 == device1 || device2 == "" {
		t.Errorf("device id kept: %q", device2)
	}
	if got := sessionIDs(t, d.load(t, f, map[string]any{"collectUserData": true})); got != "" {
		t.Errorf("after a reload the next visitor sees %q", got)
	}
	if f.sessionCount() != 1 {
		t.Errorf("%d sessions: the unsent message of the first visitor was sent", f.sessionCount())
	}
}

func TestLogoutOfAVerifiedUser(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(16)
	tok := f.verifiedToken("user-4", "", time.Hour)
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": tok}})
	newChat(t, w, "verified")
	w.Logout()
	if st := w.Status(); st.Mode != widget.ModeAnonymous {
		t.Errorf("mode after logout %q", st.Mode)
	}
	if got := sessionIDs(t, w); got != "" {
		t.Errorf("after logout: %q", got)
	}
	for _, r := range f.requests[len(f.requests)-1:] {
		if r.Header["Authorization"] == "Bearer "+tok {
			t.Error("the verified token was used after logout")
		}
	}
}

// The issue 6 scenario: a message typed while the worker is unreachable is
// kept, survives a reload, and is sent once when the worker is back.
func TestUnsentMessageSurvivesANetworkFailureAndAReload(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(17)
	w := d.load(t, f, nil)
	id := newChat(t, w, "first")

	f.set(func(f *fakeWorker) { f.down = true })
	r, err := w.Send(ctx, widget.Draft{SessionID: id, Content: "while down"})
	if err != nil || !r.Pending || r.Message != nil || r.SessionID != id {
		t.Fatalf("Send while down: %+v %v", r, err)
	}
	if len(d.sleeps) != 3 {
		t.Errorf("retries while down: %v", d.sleeps)
	}
	// Sync while down: nothing is lost, nothing is an error.
	res, err := w.Sync(ctx, id, "")
	if err != nil || len(res.Flush.Pending) != 1 || len(res.Messages) != 0 {
		t.Errorf("Sync while down: %+v %v", res, err)
	}

	reloaded := d.load(t, f, nil)
	if p := reloaded.Pending(); len(p) != 1 || p[0].Content != "while down" || p[0].Key != r.Key {
		t.Fatalf("after a reload the outbox is %+v", p)
	}
	if st := reloaded.Status(); st.Pending != 1 {
		t.Errorf("status %+v", st)
	}

	f.set(func(f *fakeWorker) { f.down = false })
	res, err = reloaded.Sync(ctx, id, "")
	if err != nil || len(res.Flush.Sent) != 1 || res.Flush.Sent[0].Key != r.Key || len(res.Flush.Pending) != 0 {
		t.Fatalf("Sync when back: %+v %v", res, err)
	}
	if got := fmt.Sprint(f.messages(id)); got != "[user:first user:while down]" {
		t.Errorf("stored %s", got)
	}
	if len(res.Messages) != 2 {
		t.Errorf("Sync read %d messages", len(res.Messages))
	}
	// Flushing again sends nothing more.
	if rep := reloaded.Flush(ctx); len(rep.Sent) != 0 || len(rep.Pending) != 0 {
		t.Errorf("second flush %+v", rep)
	}
	if got := len(f.messages(id)); got != 2 {
		t.Errorf("%d messages", got)
	}
}

// The worker stored the message but its answer was lost: the retry carries
// the same Idempotency-Key and the worker answers with the first message.
func TestLostAnswersMakeNoDuplicates(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(18).load(t, f, nil)
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeWorker) { f.loseOn = []string{"/sessions", "/messages"} })
	key, _ := w.NewChatKey()
	r, err := w.Send(ctx, widget.Draft{ChatKey: key, Content: "once"})
	if err != nil || r.Pending || r.Message == nil {
		t.Fatalf("Send: %+v %v", r, err)
	}
	if f.sessionCount() != 1 {
		t.Errorf("%d sessions", f.sessionCount())
	}
	if got := fmt.Sprint(f.messages(r.SessionID)); got != "[user:once]" {
		t.Errorf("stored %s", got)
	}
	if n := f.count("POST", "/messages"); n != 2 {
		t.Errorf("%d message posts, want 2 (one lost, one replayed)", n)
	}
	if n := f.count("POST", "/v1/widget/sessions"); n != 4 {
		t.Errorf("%d session and message posts, want 4", n)
	}
}

// Several messages typed into a new chat while the worker is down go into one
// session, in order.
func TestNewChatWhileDown(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(19)
	w := d.load(t, f, nil)
	if _, err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.set(func(f *fakeWorker) { f.down = true })
	key, _ := w.NewChatKey()
	for _, c := range []string{"a", "b", "c"} {
		r, err := w.Send(ctx, widget.Draft{ChatKey: key, Content: c})
		if err != nil || !r.Pending || r.SessionID != "" || r.ChatKey != key {
			t.Fatalf("Send %s: %+v %v", c, r, err)
		}
	}
	f.set(func(f *fakeWorker) { f.down = false; f.failNext = []int{503} })
	rep := d.load(t, f, nil).Flush(ctx)
	if len(rep.Sent) != 3 || len(rep.Pending) != 0 {
		t.Fatalf("flush %+v", rep)
	}
	id := rep.Sent[0].SessionID
	if f.sessionCount() != 1 || fmt.Sprint(f.messages(id)) != "[user:a user:b user:c]" {
		t.Errorf("sessions %d, messages %v", f.sessionCount(), f.messages(id))
	}
	for _, s := range rep.Sent {
		if s.SessionID != id || s.ChatKey != key {
			t.Errorf("sent %+v", s)
		}
	}
}

// A message left unsent goes out only with the credential of who typed it,
// into their workspace: a page that switches users by calling init again,
// without logout, must not send Alice's message as Bob's (a verified
// message of his), as the device's contact's, or into another workspace.
func TestUnsentMessagesGoOnlyWithWhoTypedThem(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(20)
	bound := func(key, ext string) map[string]any {
		return map[string]any{"user": map[string]any{"token": f.verifiedToken(key, ext, time.Hour)}}
	}
	verified := func(key string) map[string]any { return bound(key, "") }
	unsent := func(w *widget.Widget, content string) {
		t.Helper()
		if _, err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		f.set(func(f *fakeWorker) { f.down = true })
		key, _ := w.NewChatKey()
		if r, err := w.Send(ctx, widget.Draft{ChatKey: key, Content: content}); err != nil || !r.Pending {
			t.Fatalf("Send %q: %+v %v", content, r, err)
		}
		f.set(func(f *fakeWorker) { f.down = false })
	}
	unsent(d.load(t, f, verified("u:alice")), "alice's")
	unsent(d.load(t, f, bound("u:alice", "acme")), "alice's, in acme")
	unsent(d.load(t, f, map[string]any{"externalId": "ws-a"}), "the contact's, in ws-a")

	for _, cfg := range []map[string]any{verified("u:bob"), nil, {"externalId": "ws-b"}, bound("u:alice", "globex")} {
		w := d.load(t, f, cfg)
		if _, err := w.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if p, st := w.Pending(), w.Status(); len(p) != 0 || st.Pending != 0 {
			t.Errorf("%v is shown %+v as its unsent messages (status %d)", cfg, p, st.Pending)
		}
		if rep := w.Flush(ctx); len(rep.Sent)+len(rep.Failed) != 0 {
			t.Errorf("%v sent %+v", cfg, rep)
		}
	}
	if n := f.sessionCount(); n != 0 {
		t.Fatalf("%d sessions were created by others' unsent messages", n)
	}

	// Each is sent when who typed it comes back.
	for _, c := range []struct {
		cfg     map[string]any
		content string
	}{{verified("u:alice"), "alice's"}, {bound("u:alice", "acme"), "alice's, in acme"}, {map[string]any{"externalId": "ws-a"}, "the contact's, in ws-a"}} {
		w := d.load(t, f, c.cfg)
		rep := w.Flush(ctx)
		if len(rep.Sent) != 1 || rep.Sent[0].Message == nil || rep.Sent[0].Message.Content != c.content {
			t.Fatalf("%v flushed %+v", c.cfg, rep)
		}
		ss, err := w.Sessions(ctx)
		if err != nil || len(ss) != 1 || ss[0].ID != rep.Sent[0].SessionID {
			t.Errorf("%v lists %+v, %v; want the session of its message", c.cfg, ss, err)
		}
	}
}

// A getToken that answers for another user (the site's session changed
// meanwhile) gives the widget that user's token; what the previous user left
// unsent must not go out with it, whether their token expired by the clock
// or was refused by the worker.
func TestUnsentMessagesWaitWhenGetTokenAnswersForAnotherUser(t *testing.T) {
	for _, refused := range []bool{false, true} {
		f := newFakeWorker()
		d := newDevice(21)
		bob := f.verifiedToken("u:bob", "", 5*time.Hour)
		get := widget.TokenFunc(func(context.Context) (string, error) { return bob, nil })
		alice := f.verifiedToken("u:alice", "", time.Hour)
		w := d.load(t, f, map[string]any{"user": map[string]any{"token": alice}, "getToken": get})
		id := newChat(t, w, "alice's first")
		f.set(func(f *fakeWorker) { f.down = true })
		key, _ := w.NewChatKey()
		for _, dr := range []widget.Draft{{ChatKey: key, Content: "alice's new chat"}, {SessionID: id, Content: "alice's reply"}} {
			if r, err := w.Send(ctx, dr); err != nil || !r.Pending {
				t.Fatalf("Send %q: %+v %v", dr.Content, r, err)
			}
		}
		f.set(func(f *fakeWorker) { f.down = false })
		if refused { // the worker says token_expired though its exp looks fine
			f.set(func(f *fakeWorker) {
				p := f.tokens[alice]
				p.exp = f.now
				f.tokens[alice] = p
			})
		} else {
			f.advance(2 * time.Hour)
		}
		if rep := w.Flush(ctx); len(rep.Sent)+len(rep.Failed) != 0 {
			t.Errorf("refused %v: flushed %+v with bob's token", refused, rep)
		}
		if n := f.sessionCount(); n != 1 {
			t.Errorf("refused %v: %d sessions, want alice's one", refused, n)
		}
		if got := f.messages(id); len(got) != 1 {
			t.Errorf("refused %v: alice's session holds %q", refused, got)
		}
		// Bob's own message goes out; alice's wait for her.
		bk, _ := w.NewChatKey()
		if r, err := w.Send(ctx, widget.Draft{ChatKey: bk, Content: "bob's"}); err != nil || r.Message == nil {
			t.Errorf("refused %v: bob's Send %+v %v", refused, r, err)
		}
		w = d.load(t, f, map[string]any{"user": map[string]any{"token": f.verifiedToken("u:alice", "", time.Hour)}})
		if rep := w.Flush(ctx); len(rep.Sent) != 2 {
			t.Errorf("refused %v: alice back flushed %+v, want her 2", refused, rep)
		}
	}
}

func TestPermanentFailuresAreDroppedAndReported(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(20).load(t, f, nil)
	id := newChat(t, w, "one")
	f.set(func(f *fakeWorker) { delete(f.sessions, id) })
	r, err := w.Send(ctx, widget.Draft{SessionID: id, Content: "to a gone session"})
	if err != nil || r.Pending || r.Error == "" || r.Message != nil {
		t.Errorf("Send: %+v %v", r, err)
	}
	if p := w.Pending(); len(p) != 0 {
		t.Errorf("outbox %+v", p)
	}
}

func TestSendValidatesContent(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(21).load(t, f, nil)
	for _, d := range []widget.Draft{
		{SessionID: "s1", Content: "   "},
		{SessionID: "s1", Content: strings.Repeat("x", 10001)},
		{Content: "no target"},
		{ChatKey: "bad\nkey", Content: "x"},
	} {
		if _, err := w.Send(ctx, d); err == nil {
			t.Errorf("Send(%+v) accepted", d)
		}
	}
	if len(f.requests) != 0 || len(w.Pending()) != 0 {
		t.Errorf("requests %d, outbox %d", len(f.requests), len(w.Pending()))
	}
}

func TestSyncShowsAgentRepliesAfterTheLastMessage(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(22).load(t, f, nil)
	id := newChat(t, w, "question")
	sm, err := w.Session(ctx, id, "")
	if err != nil || len(sm.Messages) != 1 {
		t.Fatalf("Session: %+v %v", sm, err)
	}
	last := sm.Messages[0].ID
	res, err := w.Sync(ctx, id, last)
	if err != nil || len(res.Messages) != 0 {
		t.Errorf("nothing new: %+v %v", res, err)
	}
	f.agentReply(id, "answer")
	res, err = w.Sync(ctx, id, last)
	if err != nil || len(res.Messages) != 1 || res.Messages[0].Role != identity.RoleAgent || res.Messages[0].Content != "answer" {
		t.Errorf("agent reply: %+v %v", res, err)
	}
	if _, err := w.Sync(ctx, "s-unknown", ""); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
}

func TestConcurrentSendsAreEachStoredOnce(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(23).load(t, f, nil)
	id := newChat(t, w, "start")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%5 == 0 {
				w.Sync(ctx, id, "")
				return
			}
			r, err := w.Send(ctx, widget.Draft{SessionID: id, Content: fmt.Sprint("m", i)})
			if err != nil || r.Message == nil {
				t.Errorf("Send %d: %+v %v", i, r, err)
			}
		}()
	}
	wg.Wait()
	if got := len(f.messages(id)); got != 17 {
		t.Errorf("%d messages, want 17", got)
	}
}

func Example() {
	// A page load in anonymous mode; the browser build passes fetch,
	// localStorage and crypto.getRandomValues instead of these fakes.
	f := newFakeWorker()
	cfg, err := widget.ParseConfig(map[string]any{"token": testWidgetToken}, "https://worker.test")
	if err != nil {
		fmt.Println(err)
		return
	}
	w := widget.New(cfg, widget.Deps{Transport: f, Random: &seqReader{}, Now: f.clock})
	st, _ := w.Start(context.Background())
	key, _ := w.NewChatKey()
	r, _ := w.Send(context.Background(), widget.Draft{ChatKey: key, Content: "Hello!"})
	fmt.Println(st.Mode, r.Message.Role, r.Message.Content)
	// Output: anonymous user Hello!
}

func TestSendWithTheUIsKey(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(24).load(t, f, nil)
	id := newChat(t, w, "start")
	key, _ := w.NewKey()
	r, err := w.Send(ctx, widget.Draft{SessionID: id, Content: "keyed", Key: key})
	if err != nil || r.Key != key || r.Message == nil {
		t.Fatalf("Send: %+v %v", r, err)
	}
	if _, err := w.Send(ctx, widget.Draft{SessionID: id, Content: "x", Key: "bad\x00key"}); err == nil {
		t.Error("a bad key was accepted")
	}
}

func TestForgetErasesTheDevicesChats(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(31)
	w := d.load(t, f, nil)
	newChat(t, w, "mine")
	device1, _ := d.st.Get(widget.StorageKey(testWidgetToken, "device"))

	// The worker cannot be reached: nothing is forgotten, to try again.
	f.set(func(f *fakeWorker) { f.down = true })
	if err := w.Forget(ctx); err == nil {
		t.Fatal("Forget succeeded with the worker down")
	}
	if _, ok := d.st.Get(widget.StorageKey(testWidgetToken, "device")); !ok {
		t.Fatal("a failed Forget forgot the device")
	}
	f.set(func(f *fakeWorker) { f.down = false })

	if err := w.Forget(ctx); err != nil {
		t.Fatal(err)
	}
	if f.erased != 1 || len(f.sessions) != 0 {
		t.Errorf("erased %d, sessions left %d", f.erased, len(f.sessions))
	}
	if keys := d.st.Keys(); len(keys) != 0 {
		t.Errorf("storage keeps %q", keys)
	}
	if got := sessionIDs(t, w); got != "" {
		t.Errorf("after forget: %q", got)
	}
	if device2, _ := d.st.Get(widget.StorageKey(testWidgetToken, "device")); device2 == device1 {
		t.Error("the same device id after forget")
	}
}

func TestForgetOfAVerifiedUserErasesOnlyTheDevice(t *testing.T) {
	f := newFakeWorker()
	d := newDevice(32)
	tok := f.verifiedToken("user-9", "", time.Hour)
	w := d.load(t, f, map[string]any{"user": map[string]any{"token": tok}})
	newChat(t, w, "verified")
	if err := w.Forget(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.requests {
		if r.Method == "DELETE" && r.Header["Authorization"] == "Bearer "+tok {
			t.Error("DELETE /v1/widget/me with the verified token")
		}
	}
	if len(f.sessions) != 1 {
		t.Errorf("the verified user's chats: %d", len(f.sessions))
	}
	if st := w.Status(); st.Mode != widget.ModeAnonymous {
		t.Errorf("mode after forget %q", st.Mode)
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
	if err != nil || r.Error != "The chat is not available on this page." || r.Pending {
		t.Errorf("external id mismatch: %+v %v", r, err)
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

// TestSessionReadsPastOneAnswer: the worker answers a GET of a session with
// at most 5,000 messages (and 4 MiB), oldest first. The panel showed the
// first answer and polled after its last, one answer each 2 s, and a
// message the visitor sent meanwhile became the newest the page had, so
// that the messages between were never shown. Now Session and Sync ask
// again after the last message until they have the session's last one.
func TestSessionReadsPastOneAnswer(t *testing.T) {
	f := newFakeWorker()
	w := newDevice(24).load(t, f, nil)
	id := newChat(t, w, "m0")
	for i := 1; i < 10; i++ {
		f.agentReply(id, fmt.Sprint("m", i))
	}
	f.pageMessages = 3
	sm, err := w.Session(ctx, id, "")
	if err != nil || len(sm.Messages) != 10 || sm.Messages[9].Content != "m9" || sm.Session.LastMessage.ID != sm.Messages[9].ID {
		t.Fatalf("Session: %d messages, %v", len(sm.Messages), err)
	}
	for i, m := range sm.Messages {
		if m.Content != fmt.Sprint("m", i) {
			t.Fatalf("message %d is %q", i, m.Content)
		}
	}
	res, err := w.Sync(ctx, id, sm.Messages[1].ID)
	if err != nil || len(res.Messages) != 8 || res.Messages[7].Content != "m9" {
		t.Errorf("Sync after m1: %d messages, %v", len(res.Messages), err)
	}
	f.pageMessages = 0
	if sm, err := w.Session(ctx, id, sm.Messages[9].ID); err != nil || len(sm.Messages) != 0 {
		t.Errorf("after the last: %+v %v", sm, err)
	}
}
