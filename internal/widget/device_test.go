package widget_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/widget"
)

func TestNewUUIDv4(t *testing.T) {
	seen := map[string]bool{}
	r := &seqReader{}
	for range 1000 {
		id, err := widget.NewUUIDv4(r)
		if err != nil {
			t.Fatal(err)
		}
		if !identity.ValidDeviceID(id) {
			t.Fatalf("%q is not a canonical UUID v4", id)
		}
		seen[id] = true
	}
	if len(seen) != 1000 {
		t.Errorf("%d distinct ids of 1000", len(seen))
	}
	id, _ := widget.NewUUIDv4(bytes.NewReader(make([]byte, 16)))
	if id != "00000000-0000-4000-8000-000000000000" {
		t.Errorf("zero bytes give %q", id)
	}
	if _, err := widget.NewUUIDv4(bytes.NewReader(make([]byte, 3))); err == nil {
		t.Error("a short random source gave no error")
	}
}

func TestDeviceIDIsKeptPerWidgetToken(t *testing.T) {
	st := widget.NewMemoryStorage()
	r := &seqReader{}
	a, replaced, err := widget.DeviceID(st, "pk_a", r)
	if err != nil || !replaced {
		t.Fatalf("first id: %v %v", replaced, err)
	}
	again, replaced, _ := widget.DeviceID(st, "pk_a", r)
	if again != a || replaced {
		t.Errorf("second call gave %q (replaced %v), want %q", again, replaced, a)
	}
	b, _, _ := widget.DeviceID(st, "pk_b", r)
	if b == a {
		t.Error("two widget tokens share a device id")
	}
	if v, _ := st.Get("chatwidget:pk_a:device"); v != a {
		t.Errorf("stored under the namespaced key: %q", v)
	}
}

func TestDeviceIDReplacesACorruptedOne(t *testing.T) {
	for _, bad := range []string{"", "garbage", "6F9619FF-8B86-4011-B42D-00C04FC964FF", "6f9619ff-8b86-1011-b42d-00c04fc964ff", "6f9619ff-8b86-4011-742d-00c04fc964ff"} {
		st := widget.NewMemoryStorage()
		st.Set("chatwidget:pk_a:device", bad)
		id, replaced, err := widget.DeviceID(st, "pk_a", &seqReader{})
		if err != nil || !replaced || id == bad || !identity.ValidDeviceID(id) {
			t.Errorf("stored %q: got %q replaced=%v err=%v", bad, id, replaced, err)
		}
		if v, _ := st.Get("chatwidget:pk_a:device"); v != id {
			t.Errorf("stored %q: the new id was not kept", bad)
		}
	}
}

func TestDeviceIDRandomFailure(t *testing.T) {
	_, _, err := widget.DeviceID(widget.NewMemoryStorage(), "pk_a", bytes.NewReader(nil))
	if err == nil {
		t.Error("no error without randomness")
	}
}

func TestForgetDevice(t *testing.T) {
	st := widget.NewMemoryStorage()
	widget.DeviceID(st, "pk_a", &seqReader{})
	widget.DeviceID(st, "pk_b", &seqReader{})
	st.Set("chatwidget:pk_a:contact", "{}")
	st.Set("chatwidget:pk_a:outbox", "[]")
	// The claim prompt's marks name the verified users who used the browser.
	st.Set("chatwidget:pk_a:claim-asked:e:alice@example.com", "1")
	st.Set("chatwidget:pk_a:claim-asked:u:bob", "1")
	st.Set("chatwidget:pk_ab:claim-asked:u:bob", "1") // another org's widget token
	st.Set("host-page-key", "x")
	widget.ForgetDevice(st, "pk_a")
	for _, k := range st.Keys() {
		if k != "chatwidget:pk_b:device" && k != "chatwidget:pk_ab:claim-asked:u:bob" && k != "host-page-key" {
			t.Errorf("key %q survived", k)
		}
	}
	if len(st.Keys()) != 3 {
		t.Errorf("keys left: %q", st.Keys())
	}
}

func TestValidateForm(t *testing.T) {
	p, err := widget.ValidateForm("  Ann ", " ann@example.com ")
	if err != nil || p != (widget.Profile{Name: "Ann", Email: "ann@example.com"}) {
		t.Errorf("good form: %+v %v", p, err)
	}
	for _, c := range []struct{ name, email, field string }{
		{"", "ann@example.com", "name"},
		{"   ", "ann@example.com", "name"},
		{"\u200b\u202e", "ann@example.com", "name"}, // shows nothing
		{string(make([]byte, 201)), "ann@example.com", "name"},
		{"Ann", "", "email"},
		{"Ann", "ann", "email"},
		{"Ann", "ann@example", "email"},
		{"Ann", "ann@exa mple.com", "email"},
		{"Ann", "Ann <ann@example.com>", "email"},
	} {
		_, err := widget.ValidateForm(c.name, c.email)
		var fe *widget.FormError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, widget.ErrInvalidForm) || fe.Message == "" {
			t.Errorf("ValidateForm(%q, %q) = %v, want a FormError on %s", c.name, c.email, err, c.field)
		}
	}
}

func ExampleValidateForm() {
	_, err := widget.ValidateForm("Ann", "ann@example")
	var fe *widget.FormError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field+":", fe.Message)
	}
	// Output: email: Please enter a valid email address, such as name@example.com.
}

func ExampleDeviceID() {
	st := widget.NewMemoryStorage()
	st.Set("chatwidget:pk_demo:device", "not-a-uuid")
	id, replaced, _ := widget.DeviceID(st, "pk_demo", bytes.NewReader(bytes.Repeat([]byte{0xab}, 16)))
	fmt.Println(id, replaced)
	// Output: abababab-abab-4bab-abab-abababababab true
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

// ForgetAll, ChatWidget.logout() before any init, forgets the widget's keys
// of every org, and nothing else of the site's.
func TestForgetAllForgetsEveryOrgsWidgetOnly(t *testing.T) {
	st := widget.NewMemoryStorage()
	for _, k := range []string{"chatwidget:pk_one:device", "chatwidget:pk_one:contact", "chatwidget:pk_one:asked:u1", "chatwidget:pk_two:outbox"} {
		st.Set(k, "x")
	}
	st.Set("site:cart", "3 items")
	if !widget.ForgetAll(st) {
		t.Fatal("ForgetAll could not list a MemoryStorage")
	}
	if keys := st.Keys(); len(keys) != 1 || keys[0] != "site:cart" {
		t.Errorf("left %q", keys)
	}
	if widget.ForgetAll(noKeys{st}) {
		t.Error("ForgetAll says it forgot a Storage that cannot list its keys")
	}
}

// noKeys is a Storage that cannot list its keys.
type noKeys struct{ widget.Storage }
