package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/internal/store"
	"github.com/chatwidget/identity/internal/testclock"
)

func ptr(s string) *string { return &s }

func TestUpsertContact(t *testing.T) {
	mem := kv.NewMemory()
	c := testclock.New(t0)
	s := store.New(mem, store.WithClock(c.Now))

	first, err := s.UpsertContact(ctx, orgA, device1, store.ContactInput{Name: ptr("Ann"), Email: ptr("ann@example.com"), CustomData: identity.CustomData{"plan": "free"}})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.OrgID != orgA || first.DeviceHash == "" || strings.Contains(first.DeviceHash, device1) || first.Name != "Ann" || first.Email != "ann@example.com" ||
		!first.CreatedAt.Equal(t0) || !first.UpdatedAt.Equal(t0) || first.NonVerifiedCustomData["plan"] != "free" {
		t.Fatalf("created %+v", first)
	}

	tests := []struct {
		name      string
		in        store.ContactInput
		wantName  string
		wantEmail string
		wantPlan  any
		changed   bool
	}{
		{"nothing sent keeps everything", store.ContactInput{}, "Ann", "ann@example.com", "free", false},
		{"same values change nothing", store.ContactInput{Name: ptr("Ann"), Email: ptr("ann@example.com")}, "Ann", "ann@example.com", "free", false},
		{"newest name", store.ContactInput{Name: ptr("Ann B.")}, "Ann B.", "ann@example.com", "free", true},
		{"newest email", store.ContactInput{Email: ptr("ann.b@example.com")}, "Ann B.", "ann.b@example.com", "free", true},
		{"newest custom data replaces", store.ContactInput{CustomData: identity.CustomData{"plan": "pro"}}, "Ann B.", "ann.b@example.com", "pro", true},
		{"empty strings clear", store.ContactInput{Name: ptr(""), Email: ptr("")}, "", "", "pro", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.Advance(time.Minute)
			before, _ := s.Contact(ctx, orgA, first.ID)
			got, err := s.UpsertContact(ctx, orgA, device1, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != first.ID || !got.CreatedAt.Equal(t0) {
				t.Errorf("id %q created %v: the contact changed identity", got.ID, got.CreatedAt)
			}
			if got.Name != tt.wantName || got.Email != tt.wantEmail || got.NonVerifiedCustomData["plan"] != tt.wantPlan {
				t.Errorf("got %+v", got)
			}
			if changed := !got.UpdatedAt.Equal(before.UpdatedAt); changed != tt.changed {
				t.Errorf("updated_at changed = %v, want %v", changed, tt.changed)
			}
			stored, err := s.Contact(ctx, orgA, first.ID)
			if err != nil || stored.ID != got.ID || stored.Name != got.Name || stored.Email != got.Email {
				t.Errorf("stored %+v, %v", stored, err)
			}
		})
	}

	// Another device, or the same device in another org, is another contact.
	other, _ := s.UpsertContact(ctx, orgA, device2, store.ContactInput{})
	otherOrg, _ := s.UpsertContact(ctx, orgB, device1, store.ContactInput{})
	if other.ID == first.ID || otherOrg.ID == first.ID || other.ID == otherOrg.ID {
		t.Errorf("ids %q %q %q", first.ID, other.ID, otherOrg.ID)
	}
	if _, err := s.Contact(ctx, orgB, other.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("unknown contact: %v", err)
	}
}

// firstReads holds every Get back until n of them are waiting, so that n
// first visits of one device read their missing index at the same time, as
// a browser's tabs restored at once do.
type firstReads struct {
	kv.KV
	n       int
	mu      sync.Mutex
	waiting int
	release chan struct{}
}

func (f *firstReads) Get(ctx context.Context, key string) ([]byte, bool, error) {
	f.mu.Lock()
	f.waiting++
	if f.waiting == f.n {
		close(f.release)
	}
	f.mu.Unlock()
	<-f.release
	return f.KV.Get(ctx, key)
}

// The first visits of one device at once get one contact, the one its
// index names: a token naming another would see chats the device never sees
// again once it signs in anew (rule 1).
func TestFirstContactsOfADeviceAtOnceAreOne(t *testing.T) {
	const n = 4
	mem := kv.NewMemory()
	s := newStore(&firstReads{KV: mem, n: n, release: make(chan struct{})})
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := s.UpsertContact(ctx, orgA, device1, store.ContactInput{Name: ptr(fmt.Sprint("tab ", i))})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = c.ID
		})
	}
	wg.Wait()
	now, err := newStore(mem).UpsertContact(ctx, orgA, device1, store.ContactInput{})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != now.ID {
			t.Errorf("visit %d got contact %s, the device's is %s", i, id, now.ID)
		}
	}
	if !store.ValidID(now.ID) {
		t.Errorf("contact id %q is not a store id", now.ID)
	}
	// Another device, or this one in another org, is still another contact.
	other, _ := newStore(mem).UpsertContact(ctx, orgA, device2, store.ContactInput{})
	otherOrg, _ := newStore(mem).UpsertContact(ctx, orgB, device1, store.ContactInput{})
	if other.ID == now.ID || otherOrg.ID == now.ID || other.ID == otherOrg.ID {
		t.Errorf("ids %q %q %q", now.ID, other.ID, otherOrg.ID)
	}
}

func TestUpsertContactWithoutChangesWritesNothing(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	if _, err := s.UpsertContact(ctx, orgA, device1, store.ContactInput{Name: ptr("Ann")}); err != nil {
		t.Fatal(err)
	}
	before := mem.Ops()
	if _, err := s.UpsertContact(ctx, orgA, device1, store.ContactInput{Name: ptr("Ann")}); err != nil {
		t.Fatal(err)
	}
	if d := opsDelta(before, mem.Ops()); d["put"] != 0 {
		t.Errorf("an unchanged contact was written: %v", d)
	}
}

// The first authentications of one identity at once (a new user's pages
// loading together, each asking the org's server for a token) answer one
// user id, the one its record keeps and the org's views show; after an
// erasure, the identity's new record has another.
func TestFirstAuthenticationsOfAnIdentityAtOnceAreOne(t *testing.T) {
	const n = 4
	mem := kv.NewMemory()
	s := newStore(&firstReads{KV: mem, n: n, release: make(chan struct{})})
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u, err := s.UpsertUser(ctx, orgA, store.UserInput{UserID: "u-1", Name: ptr(fmt.Sprint("page ", i))})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = u.ID
		})
	}
	wg.Wait()
	plain := newStore(mem)
	now, err := plain.User(ctx, orgA, identity.KeyOf("u-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != now.ID {
			t.Errorf("authentication %d answered user %s, the record is %s", i, id, now.ID)
		}
	}
	// Another identity, or this one in another org, is another user.
	other, _ := plain.UpsertUser(ctx, orgA, store.UserInput{Email: "u-1@example.com"})
	otherOrg, _ := plain.UpsertUser(ctx, orgB, store.UserInput{UserID: "u-1"})
	if other.ID == now.ID || otherOrg.ID == now.ID || other.ID == otherOrg.ID || !store.ValidID(now.ID) {
		t.Errorf("ids %q %q %q", now.ID, other.ID, otherOrg.ID)
	}
	// Erased, then authenticated again: a new record, a new id.
	k := identity.KeyOf("u-1", "")
	if _, err := plain.StartDeletion(ctx, store.Erasure{OrgID: orgA, PrincipalKey: k.String(), UserKey: &k}); err != nil {
		t.Fatal(err)
	}
	again, err := plain.UpsertUser(ctx, orgA, store.UserInput{UserID: "u-1"})
	if err != nil || again.ID == now.ID {
		t.Errorf("after the erasure: %+v, %v; the erased id was %s", again, err, now.ID)
	}
}

func TestUpsertUser(t *testing.T) {
	mem := kv.NewMemory()
	c := testclock.New(t0)
	s := store.New(mem, store.WithClock(c.Now))
	u, err := s.UpsertUser(ctx, orgA, store.UserInput{Email: "ann@example.com", Name: ptr("Ann"), Phone: ptr("+1 555"),
		AvatarURL: ptr("https://cdn.example/a.png"), CustomData: identity.CustomData{"plan": "pro"}, ExternalID: "ws-1"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == "" || u.Email != "ann@example.com" || u.Name != "Ann" || u.CustomData["plan"] != "pro" || u.ExternalID != "ws-1" {
		t.Fatalf("created %+v", u)
	}
	c.Advance(time.Hour)
	// Nil fields keep what was stored; the external id is that of the latest
	// authentication.
	u2, err := s.UpsertUser(ctx, orgA, store.UserInput{Email: "ann@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if u2.ID != u.ID || u2.Name != "Ann" || u2.Phone != "+1 555" || u2.AvatarURL != "https://cdn.example/a.png" ||
		u2.CustomData["plan"] != "pro" || u2.ExternalID != "" || !u2.CreatedAt.Equal(t0) || !u2.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("after an update with nothing: %+v", u2)
	}
	// The identity key is the email with its ASCII letters lower-cased.
	got, err := s.User(ctx, orgA, identity.KeyOf("", "ANN@example.com"))
	if err != nil || got.ID != u.ID {
		t.Errorf("User = %+v, %v", got, err)
	}
	// By user_id, the user is another identity.
	byID, _ := s.UpsertUser(ctx, orgA, store.UserInput{UserID: "u-1", Email: "ann@example.com"})
	if byID.ID == u.ID {
		t.Error("user_id and email identities share a record")
	}
	if got, err := s.User(ctx, orgA, identity.KeyOf("u-1", "")); err != nil || got.ID != byID.ID {
		t.Errorf("User(u-1) = %+v, %v", got, err)
	}
	if _, err := s.User(ctx, orgB, identity.KeyOf("u-1", "")); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("other org: %v", err)
	}
	// A 256-character user_id keeps keys within KV's limits.
	if _, err := s.UpsertUser(ctx, orgA, store.UserInput{UserID: strings.Repeat("語", 256)}); err != nil {
		t.Errorf("long user_id: %v", err)
	}
}

func TestOrgsAndKeys(t *testing.T) {
	mem := kv.NewMemory()
	s := newStore(mem)
	org, key, err := s.CreateOrg(ctx, "Shop", []string{"https://shop.example", "http://127.0.0.1:8787"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(org.WidgetToken, "pk_") || len(org.WidgetToken) < 3+24 {
		t.Errorf("widget token %q", org.WidgetToken)
	}
	if !strings.HasPrefix(key.Secret, "sk_") || len(key.Secret) < 3+32 || key.ID == "" {
		t.Errorf("api key %+v", key)
	}
	for k, v := range mem.Snapshot() {
		if strings.Contains(k, key.Secret) || strings.Contains(v, key.Secret) {
			t.Errorf("the api key secret is stored in clear at %s", k)
		}
	}
	got, err := s.Org(ctx, org.ID)
	if err != nil || got.Name != "Shop" || got.WidgetToken != org.WidgetToken {
		t.Errorf("Org = %+v, %v", got, err)
	}
	if got, err := s.OrgByWidgetToken(ctx, org.WidgetToken); err != nil || got.ID != org.ID {
		t.Errorf("OrgByWidgetToken = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "pk_", "pk_short", org.WidgetToken + "x", "sk_" + org.WidgetToken[3:], strings.ToUpper(org.WidgetToken), key.Secret, org.WidgetToken[:len(org.WidgetToken)-1] + "!"} {
		if _, err := s.OrgByWidgetToken(ctx, bad); !errors.Is(err, identity.ErrUnauthorized) {
			t.Errorf("OrgByWidgetToken(%q) = %v", bad, err)
		}
	}
	if id, err := s.OrgIDByAPIKey(ctx, key.Secret); err != nil || id != org.ID {
		t.Errorf("OrgIDByAPIKey = %q, %v", id, err)
	}
	for _, bad := range []string{"", "sk_", key.Secret + "x", org.WidgetToken, "pk_" + key.Secret[3:], store.HashSecret(key.Secret)} {
		if _, err := s.OrgIDByAPIKey(ctx, bad); !errors.Is(err, identity.ErrUnauthorized) {
			t.Errorf("OrgIDByAPIKey(%q) = %v", bad, err)
		}
	}
	for origin, want := range map[string]bool{
		"https://shop.example": true, "http://127.0.0.1:8787": true, "https://evil.example": false,
		"https://shop.example/": false, "https://shop": false, "": false, strings.Repeat("h", 400): false,
	} {
		if got, err := s.OriginKnown(ctx, origin); err != nil || got != want {
			t.Errorf("OriginKnown(%q) = %v, %v", origin, got, err)
		}
	}

	// Rotation: a second key works alongside the first; deleting one leaves
	// the other.
	key2, err := s.CreateAPIKey(ctx, org.ID)
	if err != nil || key2.Secret == key.Secret || key2.ID == key.ID {
		t.Fatalf("CreateAPIKey = %+v, %v", key2, err)
	}
	if err := s.DeleteAPIKey(ctx, org.ID, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrgIDByAPIKey(ctx, key.Secret); !errors.Is(err, identity.ErrUnauthorized) {
		t.Errorf("deleted key: %v", err)
	}
	if id, err := s.OrgIDByAPIKey(ctx, key2.Secret); err != nil || id != org.ID {
		t.Errorf("second key: %q %v", id, err)
	}
	if err := s.DeleteAPIKey(ctx, org.ID, key.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	// Another org cannot delete this org's key by naming it.
	other, _, _ := s.CreateOrg(ctx, "Other", nil)
	if err := s.DeleteAPIKey(ctx, other.ID, key2.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("deleting another org's key: %v", err)
	}
	if _, err := s.OrgIDByAPIKey(ctx, key2.Secret); err != nil {
		t.Errorf("key deleted through another org: %v", err)
	}
	if other.AllowedOrigins == nil {
		t.Error("nil allowed origins")
	}
	for _, id := range []string{"", "nope", strings.Repeat("x", 65)} {
		if _, err := s.Org(ctx, id); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("Org(%q) = %v", id, err)
		}
	}
}

// A number in custom data reads back as it was written: a record's numbers
// are not squeezed through float64 (12345678901234567890 came back as
// 12345678901234567000), whether the record is a contact, a user or a
// session, read alone or listed.
func TestCustomDataNumbersReadBackAsWritten(t *testing.T) {
	s := newStore(kv.NewMemory())
	parsed, err := identity.ParseCustomData("custom_data", json.RawMessage(`{"id":12345678901234567890,"f":1.0,"e":1e2,"n":{"big":-9007199254740993}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"e":1e2,"f":1.0,"id":12345678901234567890,"n":{"big":-9007199254740993}}`
	check := func(what string, data identity.CustomData) {
		t.Helper()
		if b, err := json.Marshal(data); err != nil || string(b) != want {
			t.Errorf("%s: custom data %s, %v; want %s", what, b, err, want)
		}
	}
	c, err := s.UpsertContact(ctx, orgA, device1, store.ContactInput{CustomData: parsed})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Contact(ctx, orgA, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("Contact", got.NonVerifiedCustomData)
	again, err := s.UpsertContact(ctx, orgA, device1, store.ContactInput{})
	if err != nil {
		t.Fatal(err)
	}
	check("UpsertContact again", again.NonVerifiedCustomData)

	if _, err := s.UpsertUser(ctx, orgA, store.UserInput{UserID: "u-1", CustomData: parsed}); err != nil {
		t.Fatal(err)
	}
	u, err := s.User(ctx, orgA, identity.KeyOf("u-1", ""))
	if err != nil {
		t.Fatal(err)
	}
	check("User", u.CustomData)
	u, err = s.UpsertUser(ctx, orgA, store.UserInput{UserID: "u-1"})
	if err != nil {
		t.Fatal(err)
	}
	check("UpsertUser again", u.CustomData)

	sess := createSession(t, s, orgA, contactOwner(device1, ""), "", parsed)
	read, err := s.Session(ctx, orgA, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	check("Session", read.NonVerifiedCustomData)
	items, _, err := s.ListOrgSessions(ctx, orgA, store.SessionFilter{}, "", 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("listing: %d, %v", len(items), err)
	}
	check("ListOrgSessions", items[0].NonVerifiedCustomData)
}
