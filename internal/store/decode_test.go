package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
)

// likeJSON: decodeRecord gives what json.Unmarshal gives, error and all, and
// its direct path only takes what json.Unmarshal accepts.
func likeJSON[T any](t *testing.T, b []byte, field func(*reader, *T, []byte) bool) {
	t.Helper()
	var got, want T
	gotErr, wantErr := decodeRecord(b, &got, field), json.Unmarshal(b, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("decodeRecord(%q) error %v, json.Unmarshal %v", b, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeRecord(%q)\n got %+v\nwant %+v", b, got, want)
	}
	if _, direct := readRecord(b, field); direct && wantErr != nil {
		t.Fatalf("readRecord took %q, which json.Unmarshal refuses: %v", b, wantErr)
	}
}

// readsWhatTheStoreWrites: every value, as json.Marshal writes it, takes the
// direct path and decodes as json.Unmarshal decodes it.
func readsWhatTheStoreWrites[T any](t *testing.T, values []T, field func(*reader, *T, []byte) bool) {
	t.Helper()
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := readRecord(b, field); !ok {
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
	for _, o := range storedOrgs() {
		b, _ := json.Marshal(o)
		f.Add(b)
	}
	f.Add([]byte(`{"allowed_origins":["a" , "b"]}`))
	f.Fuzz(func(t *testing.T, b []byte) { likeJSON(t, b, orgField) })
}

func FuzzDecodeAPIKey(f *testing.F) {
	for _, k := range storedAPIKeys() {
		b, _ := json.Marshal(k)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { likeJSON(t, b, apiKeyField) })
}

// FuzzUTCTime: utcTime reads exactly what time.Time's UnmarshalJSON reads,
// when it reads anything.
func FuzzUTCTime(f *testing.F) {
	for _, s := range []string{
		"2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123456789Z", "2026-03-01T12:00:00.1Z", "0000-01-01T00:00:00Z",
		"2024-02-29T23:59:59.999Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-03-01T24:00:00Z", "2026-03-01T12:60:00Z", "2026-03-01T12:00:60Z", "2026-03-01T12:00:00.Z",
		"2026-03-01T12:00:00,5Z", "2026-03-01T12:00:00.1234567891Z", "2026-03-01T12:00:00+01:00", "2026-03-01t12:00:00z",
		"+026-03-01T12:00:00Z", "2026-03-01T12:00:00.-1Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := utcTime([]byte(s))
		if !ok {
			return
		}
		var want time.Time
		if err := want.UnmarshalJSON([]byte(`"` + s + `"`)); err != nil {
			t.Fatalf("utcTime(%q) = %v, but UnmarshalJSON refuses it: %v", s, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("utcTime(%q) = %#v, UnmarshalJSON %#v", s, got, want)
		}
	})
}

func TestUTCTimeReadsWhatMarshalWrites(t *testing.T) {
	for _, tm := range []time.Time{at, at.Truncate(time.Second), at.Truncate(time.Millisecond), time.Date(1999, 12, 31, 23, 59, 59, 100, time.UTC)} {
		b, _ := tm.MarshalJSON()
		got, ok := utcTime(b[1 : len(b)-1])
		if !ok || !reflect.DeepEqual(got, tm) {
			t.Errorf("utcTime(%s) = %v %v, want %v", b, got, ok, tm)
		}
	}
}
