package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonread"
)

// likeJSON: decodeRecord gives what json.Unmarshal gives, error and all, and
// its direct path only takes what json.Unmarshal accepts.
func likeJSON[T any](t *testing.T, b []byte, field jsonread.Field[T]) {
	t.Helper()
	var got, want T
	gotErr, wantErr := decodeRecord(b, &got, field), json.Unmarshal(b, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("decodeRecord(%q) error %v, json.Unmarshal %v", b, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeRecord(%q)\n got %+v\nwant %+v", b, got, want)
	}
	if _, direct := jsonread.Read(b, field); direct && wantErr != nil {
		t.Fatalf("readRecord took %q, which json.Unmarshal refuses: %v", b, wantErr)
	}
}

// readsWhatTheStoreWrites: every value, as json.Marshal writes it, takes the
// direct path and decodes as json.Unmarshal decodes it.
func readsWhatTheStoreWrites[T any](t *testing.T, values []T, field jsonread.Field[T]) {
	t.Helper()
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := jsonread.Read(b, field); !ok {
			t.Errorf("readRecord refused what the store writes: %s", b)
		}
		likeJSON(t, b, field)
	}
}

var at = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func storedOrgs() []identity.Org {
	return []identity.Org{
		{ID: "11111111-1111-4111-8111-111111111111", Name: "Shop <&> \"Ünïcode\"", WidgetToken: "pk_abcdefghijklmnopqrstuvwx",
			AllowedOrigins: []string{"https://shop.example", "http://localhost:8080"}, CreatedAt: at},
		{AllowedOrigins: []string{}},
		{},
	}
}

func storedAPIKeys() []identity.APIKey {
	return []identity.APIKey{
		{ID: "key-1", OrgID: "11111111-1111-4111-8111-111111111111", Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", CreatedAt: at},
		{},
	}
}

func TestDecodeOrgAndAPIKey(t *testing.T) {
	readsWhatTheStoreWrites(t, storedOrgs(), orgField)
	readsWhatTheStoreWrites(t, storedAPIKeys(), apiKeyField)
	for _, in := range []string{
		`{"allowed_origins":null}`,
		`{"allowed_origins":["a" , "b"]}`,
		`{"allowed_origins":["a",]}`,
		`{"allowed_origins":[1]}`,
		`{"allowed_origins":"a"}`,
		`{"allowed_origins":["a"`,
		`{"id":"x","ID":"y"}`,
		`{"name":"\u00fc"}`,
	} {
		likeJSON(t, []byte(in), orgField)
	}
	likeJSON(t, []byte(`{"org_id":"o","hash":"h","extra":true}`), apiKeyField)
}

func FuzzDecodeOrg(f *testing.F) {
	fuzzRecords(f, storedOrgs(), orgField, `{"allowed_origins":["a" , "b"]}`)
}

func FuzzDecodeAPIKey(f *testing.F) {
	fuzzRecords(f, storedAPIKeys(), apiKeyField)
}

func storedPeople() ([]identity.Contact, []identity.User) {
	return []identity.Contact{
			{ID: "c-1", OrgID: "o", DeviceHash: "f8Q3", Name: "Zoë", Email: "z@example.com",
				NonVerifiedCustomData: identity.CustomData{"plan": "pro", "n": 2.0}, CreatedAt: at, UpdatedAt: at},
			{},
		}, []identity.User{
			{ID: "u", OrgID: "o", UserID: "u-1", Email: "ada@example.com", Name: "Ada \"<admin>\"", AvatarURL: "https://x.example/a.png?s=1&t=2",
				Phone: "+33 1", CustomData: identity.CustomData{"tags": []any{"a"}}, ExternalID: "w", CreatedAt: at, UpdatedAt: at},
			{CustomData: identity.CustomData{}},
			{},
		}
}

func TestDecodeContactAndUser(t *testing.T) {
	contacts, users := storedPeople()
	readsWhatTheStoreWrites(t, contacts, contactField)
	readsWhatTheStoreWrites(t, users, userField)
	likeJSON(t, []byte(`{"custom_data":[1]}`), userField)
	likeJSON(t, []byte(`{"non_verified_custom_data":{"a":}}`), contactField)
}

func FuzzDecodeContact(f *testing.F) {
	contacts, _ := storedPeople()
	fuzzRecords(f, contacts, contactField)
}

func FuzzDecodeUser(f *testing.F) {
	_, users := storedPeople()
	fuzzRecords(f, users, userField)
}

// fuzzRecords fuzzes decodeRecord against json.Unmarshal, from the values as
// the store writes them and more seeds.
func fuzzRecords[T any](f *testing.F, values []T, field jsonread.Field[T], seeds ...string) {
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, seed := range seeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) { likeJSON(t, b, field) })
}
