package jsonwrite_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/jsonwrite"
)

var strings = []string{
	"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "tab\tnew\nline\rret\bbs\fff",
	"\x00\x01\x1f\x7f", "Zoë 日本 🙂", "\u2028\u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate",
}

func TestStringWritesWhatMarshalWrites(t *testing.T) {
	for _, s := range strings {
		stringMatches(t, s)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range strings {
		f.Add(s)
	}
	f.Fuzz(stringMatches)
}

func stringMatches(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonwrite.String([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
		t.Fatalf("String(%q) = %s, json.Marshal: %s", s, got[1:], want)
	}
	if got := jsonwrite.OptString(nil, &s); !bytes.Equal(got, want) {
		t.Fatalf("OptString(%q) = %s, json.Marshal: %s", s, got, want)
	}
}

func TestTimeWritesWhatMarshalWrites(t *testing.T) {
	zones := []*time.Location{
		time.UTC, time.FixedZone("", 0), time.FixedZone("A", 5*3600+30*60), time.FixedZone("B", -(23*3600 + 59*60 + 59)),
		time.FixedZone("C", 24*3600), time.FixedZone("D", -24*3600), time.FixedZone("E", 100*3600), time.FixedZone("F", 45),
	}
	var times []time.Time
	for _, y := range []int{-1, 0, 1, 1970, 2026, 9999, 10000} {
		for _, ns := range []int{0, 1, 120_000_000, 999_999_999} {
			for _, z := range zones {
				times = append(times, time.Date(y, time.December, 31, 23, 59, 59, ns, z))
			}
		}
	}
	times = append(times, time.Time{}, time.Now(), time.Now().UTC())
	for _, tm := range times {
		timeMatches(t, tm)
	}
}

func FuzzTime(f *testing.F) {
	f.Add(int64(1795000000), int64(123456789), int32(0))
	f.Add(int64(-62135596800), int64(0), int32(3600))
	f.Add(int64(253402300799), int64(999999999), int32(-86399))
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int32) {
		timeMatches(t, time.Unix(sec, nsec).In(time.FixedZone("", int(offset))))
	})
}

func timeMatches(t *testing.T, tm time.Time) {
	want, wantErr := json.Marshal(tm)
	got, err := jsonwrite.Time([]byte("x"), tm)
	switch {
	case wantErr != nil:
		if !errors.Is(err, jsonwrite.ErrTime) {
			t.Fatalf("Time(%v) = %s, %v; json.Marshal failed: %v", tm, got, err, wantErr)
		}
	case err != nil:
		t.Fatalf("Time(%v) failed (%v); json.Marshal: %s", tm, err, want)
	case !bytes.Equal(got, append([]byte("x"), want...)):
		t.Fatalf("Time(%v) = %s; json.Marshal: %s", tm, got[1:], want)
	}
}

func TestBoolAndValue(t *testing.T) {
	if got := string(jsonwrite.Bool(jsonwrite.Bool(nil, true), false)); got != "truefalse" {
		t.Fatalf("Bool: %s", got)
	}
	if got := string(jsonwrite.OptString(nil, nil)); got != "null" {
		t.Fatalf("OptString(nil) = %s", got)
	}
	v := map[string]any{"b": []any{1.5, "<"}, "a": nil}
	got, err := jsonwrite.Value([]byte("x"), v)
	if want, _ := json.Marshal(v); err != nil || !bytes.Equal(got, append([]byte("x"), want...)) {
		t.Fatalf("Value = %s, %v; json.Marshal: %s", got, err, want)
	}
	if _, err := jsonwrite.Value(nil, map[string]any{"f": func() {}}); err == nil {
		t.Fatal("Value wrote a func")
	}
}

type pair struct {
	A string `json:"a"`
	B bool   `json:"b"`
}

func (p pair) AppendJSON(dst []byte) ([]byte, error) {
	dst = append(dst, `{"a":`...)
	dst = jsonwrite.String(dst, p.A)
	dst = append(dst, `,"b":`...)
	return append(jsonwrite.Bool(dst, p.B), '}'), nil
}

func ExampleMarshal() {
	// pair has an AppendJSON method that writes what json.Marshal writes.
	b, err := jsonwrite.Marshal(pair{A: "<b>", B: true})
	fmt.Println(string(b), err)
	// Output: {"a":"\u003cb\u003e","b":true} <nil>
}
