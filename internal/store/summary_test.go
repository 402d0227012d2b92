package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/jsonread"
)

// storedSummaries are summaries and session records as the store writes
// them: decodeSummary must read every one without encoding/json.
func storedSummaries(t testing.TB) [][]byte {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	ext := "workspace-7"
	owners := []identity.Owner{
		{Key: "user:u-1", Verified: true, UserID: "u-1", Email: "ada@example.com"},
		{Key: "c:0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", ContactID: "0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"},
		{},
	}
	sessions := []*identity.Session{
		{ID: "", CreatedAt: at, UpdatedAt: at.Add(time.Minute)},
		{
			ID: "0195f0c8-0000-7000-8000-000000000001", CreatedAt: at, UpdatedAt: at, Verified: true,
			ExternalID:            &ext,
			NonVerifiedCustomData: identity.CustomData{"plan": "pro", "seats": 3.0, "tags": []any{"a", true, nil}, "nested": map[string]any{"x": "y"}},
			LastMessage: &identity.Message{
				ID: "0195f0c8-0000-7000-8000-000000000002", SessionID: "0195f0c8-0000-7000-8000-000000000001",
				Role: identity.RoleUser, Content: "Héllo, wörld — ✓ {\"not\": json}", AuthorName: "Ada", CreatedAt: at,
			},
		},
		{CreatedAt: at.In(time.FixedZone("x", 3600)), NonVerifiedCustomData: identity.CustomData{}},
	}
	var out [][]byte
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, o := range owners {
		for _, s := range sessions {
			add(summaryMeta{Session: s, Owner: &o})
			add(sessionRecord{Session: s, Owner: o})
		}
		add(summaryMeta{Owner: &o, External: &ext, Partial: true})
		add(summaryMeta{Owner: &o, Partial: true})
	}
	add(summaryMeta{Partial: true})
	add(summaryMeta{})
	return out
}

func TestDecodeSummaryReadsWhatTheStoreWrites(t *testing.T) {
	for _, b := range storedSummaries(t) {
		got, ok := jsonread.Read(b, summaryField)
		if !ok {
			t.Errorf("readRecord refused what the store writes: %s", b)
			continue
		}
		var want summaryMeta
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("jsonread.Read(%s)\n got %+v\nwant %+v", b, got, want)
		}
	}
}

// TestDecodeSummaryFallsBack: what the direct path does not read still
// decodes as json.Unmarshal decodes it, errors included.
func TestDecodeSummaryFallsBack(t *testing.T) {
	for _, tc := range []struct {
		in     string
		direct bool // readSummary takes it
	}{
		{`{"p":true}`, true},
		{` { "o" : {"key":"k","verified":false} , "x" : null } `, true},
		{`{"o":{"key":"k\u00e9\u003c\u0026\"\\\/\b\f\n\r\t"}}`, true},        // escapes
		{`{"o":{"key":"\ud83d\ude00 \uD83D\uDE00"}}`, true},                  // a surrogate pair
		{`{"o":{"key":"\ud83d","email":"\ud83dx\ude00\ud83d\u0041"}}`, true}, // unpaired: U+FFFD
		{`{"o":{"key":"\u12"}}`, false},                                      // short escape
		{`{"o":{"key":"\x41"}}`, false},                                      // no such escape
		{`{"o":{"key":"ok\`, false},
		{`{"s":{"created_at":"2026-03-01T12:00:00\u005a"}}`, false}, // a time with an escape
		{`{"o":{"key":"Zoë ✓"}}`, true},
		{`{"O":{"key":"k"}}`, false},                                        // case-folded key
		{`{"o":{"key":"a"},"o":{"verified":true}}`, false},                  // repeated key: encoding/json merges
		{`{"o":{"key":"a"},"unknown":1}`, false},                            // unknown key
		{`{"s":{"created_at":"2026-03-01T12:00:00Z","verified":1}}`, false}, // type mismatch
		{`{"s":{"created_at":"yesterday"}}`, false},                         // bad time
		{"{\"o\":{\"key\":\"\xff\"}}", false},                               // invalid UTF-8, replaced by encoding/json
		{"{\"o\":{\"key\":\"a\tb\"}}", false},                               // control character
		{`{"s":{"non_verified_custom_data":{"a":[1,{"b":"}"}]}}}`, true},
		{`{"s":{"non_verified_custom_data":{"a":tru}}}`, false},
		{`{"s":{"non_verified_custom_data":[1]}}`, false},
		{`{"p":true} x`, false}, // trailing data
		{`{"p":true`, false},
		{`null`, false},
		{``, false},
		{`{"s":null,"o":null,"x":null}`, true},
		{`{"s":{"external_id":null,"last_message":null,"non_verified_custom_data":null}}`, true},
		{`{"s":{"claimed_at":null}}`, true},
		{`{"s":{"claimed_at":"2026-03-01T12:00:00.123Z"}}`, true},
		{`{"s":{"claimed_at":"2026-03-01T12:00:00+01:00"}}`, true},
		{`{"s":{"claimed_at":"yesterday"}}`, false},
		{`{"s":{"claimed_at":1}}`, false},
		{`{"s":{"claimed_at":null,"claimed_at":null}}`, false},
	} {
		_, direct := jsonread.Read([]byte(tc.in), summaryField)
		if direct != tc.direct {
			t.Errorf("jsonread.Read(%q) took it: %v, want %v", tc.in, direct, tc.direct)
		}
		likeJSON(t, []byte(tc.in), summaryField)
	}
}

func FuzzDecodeSummary(f *testing.F) {
	for _, b := range storedSummaries(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"s":{"non_verified_custom_data":{"a":[1,{"b":"}"}]}}}`))
	f.Add([]byte(`{"o":{"key":"a"},"o":{"verified":true}}`))
	f.Add([]byte(`{"s":{"id":"x","claimed_at":"2026-03-01T12:00:00.5Z"},"o":{"key":"u:1","verified":true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		likeJSON(t, b, summaryField)
	})
}

func BenchmarkDecodeSummary(b *testing.B) {
	in := storedSummaries(b)[0]
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			var m summaryMeta
			_ = decodeSummary(in, &m)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var m summaryMeta
			_ = json.Unmarshal(in, &m)
		}
	})
}
