package contract_test

import (
	"encoding/json"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
)

// FuzzParseError: ParseError never panics, and what it accepts has the
// contract's shape: an object "error" with the strings "code" and
// "message" (json.Unmarshal agrees on both).
func FuzzParseError(f *testing.F) {
	for _, s := range []string{
		`{"error":{"code":"not_found","message":"Not found."}}`,
		`{"error":{"code":"x"}}`,
		`{"error":{"message":"m"}}`,
		`{"error":null}`,
		`{"error":{"code":1,"message":"m"}}`,
		`{"ERROR":{"code":"a","message":"b"}}`,
		`[]`, `null`, ``, `{"error":{"code":"a","message":"b"}} trailing`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := contract.ParseError(400, body)
		if err != nil {
			if e != nil {
				t.Fatalf("%q: both an error and %+v", body, e)
			}
			return
		}
		var v struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &v) != nil || v.Error.Code != e.Code || v.Error.Message != e.Message || e.Status != 400 {
			t.Fatalf("%q: parsed %+v, json.Unmarshal %+v", body, e, v)
		}
	})
}

// TestParseErrorRefusesWhatIsNotTheShape names the refusals.
func TestParseErrorRefusesWhatIsNotTheShape(t *testing.T) {
	for _, s := range []string{`{"error":{"code":"x"}}`, `{"error":{"message":"m"}}`, `{"error":null}`, `{}`, `[]`, `nope`, `{"error":{"code":1,"message":"m"}}`} {
		if e, err := contract.ParseError(400, []byte(s)); err == nil {
			t.Errorf("%s: accepted as %+v", s, e)
		}
	}
}
