// Package jsonwritetest holds an [jsonwrite.Appender] to json.Marshal: the
// differential check each user of internal/jsonwrite runs in its tests and
// fuzz targets.
package jsonwritetest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/chatwidget/identity/internal/jsonwrite"
)

// Matches fails t unless v's AppendJSON writes what json.Marshal writes for
// v, byte for byte, and fails where json.Marshal fails; jsonwrite.Marshal
// must then answer as json.Marshal does, error included.
func Matches(t testing.TB, v jsonwrite.Appender) {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, gotErr := v.AppendJSON([]byte("prefix"))
	switch {
	case wantErr != nil && gotErr == nil:
		t.Fatalf("AppendJSON wrote %s where json.Marshal failed: %v", got, wantErr)
	case wantErr == nil && gotErr != nil:
		t.Fatalf("AppendJSON failed (%v) where json.Marshal wrote %s", gotErr, want)
	case wantErr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)):
		t.Fatalf("AppendJSON wrote\n%s\njson.Marshal wrote\n%s", got, append([]byte("prefix"), want...))
	}
	got, gotErr = jsonwrite.Marshal(v)
	if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("jsonwrite.Marshal = %s, %v; json.Marshal = %s, %v", got, gotErr, want, wantErr)
	}
}

// MatchesDecoded decodes b into a new T with encoding/json and, where it
// decodes, checks [Matches] on it: a fuzz target's body, so that the fuzzer
// reaches every value a record can hold.
func MatchesDecoded[T any, P interface {
	*T
	jsonwrite.Appender
}](t testing.TB, b []byte) {
	t.Helper()
	v := P(new(T))
	if err := json.Unmarshal(b, v); err != nil {
		return
	}
	Matches(t, v)
}
