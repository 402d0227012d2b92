package jsonread

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// record has a field of every kind Reader reads.
type record struct {
	S    string         `json:"s"`
	B    bool           `json:"b"`
	P    *string        `json:"p"`
	L    []string       `json:"l"`
	T    time.Time      `json:"t"`
	N    int64          `json:"n"`
	Free map[string]any `json:"free"`
}

func recordField(r *Reader, v *record, key []byte) bool {
	switch string(key) {
	case "s":
		return r.Str(&v.S)
	case "b":
		return r.Bool(&v.B)
	case "p":
		return r.OptString(&v.P)
	case "l":
		return r.Strings(&v.L)
	case "t":
		return r.Time(&v.T)
	case "n":
		return r.Int64(&v.N)
	case "free":
		if r.Literal("null") {
			v.Free = nil
			return true
		}
		raw, ok := r.Skip()
		return ok && raw[0] == '{' && json.Unmarshal(raw, &v.Free) == nil
	}
	return false
}

// likeJSON: what Read takes, it reads as json.Unmarshal does.
func likeJSON(t *testing.T, b []byte) (direct bool) {
	t.Helper()
	got, ok := Read(b, recordField)
	if !ok {
		return false
	}
	var want record
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("Read took %q, which json.Unmarshal refuses: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Read(%q)\n got %#v\nwant %#v", b, got, want)
	}
	return true
}

func marshalled(t testing.TB) [][]byte {
	p := "pointed"
	at := time.Date(2026, 3, 1, 12, 0, 0, 120000000, time.UTC)
	var out [][]byte
	for _, v := range []record{
		{},
		{S: "plain", B: true, P: &p, L: []string{"a", "b"}, T: at, N: -42, Free: map[string]any{"k": []any{1.5, "x", nil, true, map[string]any{}}}},
		{S: "<&> \"quoted\" \\ \n\t\u2028 ünï ✓ 😀", L: []string{}, T: at.Truncate(time.Second), N: 1<<53 + 1, Free: map[string]any{}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func TestReadsWhatMarshalWrites(t *testing.T) {
	for _, b := range marshalled(t) {
		if !likeJSON(t, b) {
			t.Errorf("Read refused what json.Marshal writes: %s", b)
		}
	}
}

func TestReadOrLeave(t *testing.T) {
	for _, tc := range []struct {
		in     string
		direct bool
	}{
		{` { "s" : "x" , "b" : false } `, true},
		{`{"s":"\u00e9\u003c\"\\\/\b\f\n\r\t"}`, true},
		{`{"s":"\ud83d\ude00 \uD83D\uDE00"}`, true},
		{`{"s":"\ud83d\u0041\ude00x"}`, true}, // unpaired surrogates: U+FFFD
		{`{"s":"\u12"}`, false},
		{`{"s":"\ud800`, false}, // cut after a surrogate: no room for its pair
		{`{"s":"\ud800\`, false},
		{`{"s":"\ud800\u`, false},
		{`{"s":"\ud800\ud`, false},
		{`{"s":"\x41"}`, false},
		{"{\"s\":\"\xff\"}", false}, // invalid UTF-8: encoding/json replaces it
		{"{\"s\":\"a\tb\"}", false}, // a control character
		{`{"S":"x"}`, false},        // case-folded key
		{`{"s":"a","s":"b"}`, false},
		{`{"other":1}`, false},
		{`{"n":1.0}`, false},
		{`{"n":1e3}`, false},
		{`{"n":01}`, false},
		{`{"n":-0}`, true},
		{`{"n":123456789012345678}`, true},
		{`{"n":1234567890123456789}`, false}, // left to encoding/json
		{`{"n":"1"}`, false},
		{`{"l":["a" , "b"]}`, true},
		{`{"l":["a",]}`, false},
		{`{"l":null,"p":null,"free":null}`, true},
		{`{"free":{"a":[1,{"b":"}\""}]}}`, true},
		{`{"free":{"a":tru}}`, false},
		{`{"free":[1]}`, false},
		{`{"t":"2026-03-01T12:00:00+01:00"}`, true}, // not UTC: time's own UnmarshalJSON
		{`{"t":"2026-02-30T12:00:00Z"}`, false},
		{`{"b":true} x`, false},
		{`{"b":true`, false},
		{`null`, false},
		{``, false},
	} {
		if got := likeJSON(t, []byte(tc.in)); got != tc.direct {
			t.Errorf("Read(%q) took it: %v, want %v", tc.in, got, tc.direct)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, b := range marshalled(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"free":{"a":[1,{"b":"}\""}]},"n":-7,"l":["\u00e9"]}`))
	f.Add([]byte(`{"s":"\ud800`))
	f.Fuzz(func(t *testing.T, b []byte) { likeJSON(t, b) })
}

func ExampleRead() {
	type owner struct {
		Key      string `json:"key"`
		Verified bool   `json:"verified"`
	}
	field := func(r *Reader, o *owner, key []byte) bool {
		switch string(key) {
		case "key":
			return r.Str(&o.Key)
		case "verified":
			return r.Bool(&o.Verified)
		}
		return false
	}
	for _, in := range []string{`{"key":"user:u-1","verified":true}`, `{"key":"user:u-1","extra":1}`} {
		o, ok := Read([]byte(in), field)
		if !ok {
			_ = json.Unmarshal([]byte(in), &o) // the shape it does not read
		}
		fmt.Println(ok, o.Key, o.Verified)
	}
	// Output:
	// true user:u-1 true
	// false user:u-1 false
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
	for _, tm := range []time.Time{time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC), time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 12, 0, 0, 123000000, time.UTC), time.Date(1999, 12, 31, 23, 59, 59, 100, time.UTC)} {
		b, _ := tm.MarshalJSON()
		got, ok := utcTime(b[1 : len(b)-1])
		if !ok || !reflect.DeepEqual(got, tm) {
			t.Errorf("utcTime(%s) = %v %v, want %v", b, got, ok, tm)
		}
	}
}
