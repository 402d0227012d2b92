package token

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/chatwidget/identity/internal/jsonread"
)

// issuedPayloads are the claims of tokens as Issue makes them.
func issuedPayloads(t testing.TB) [][]byte {
	now := t0
	s := newTestService(t, &now)
	var out [][]byte
	for _, c := range []Claims{
		{RegisteredClaims: jwt.RegisteredClaims{Subject: "c-1", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindContact, ContactID: "c-1"},
		{RegisteredClaims: jwt.RegisteredClaims{Subject: "u:u-1", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindVerified, Email: "a@b.c", ExternalID: "w \"ünï\" <&>", UserID: "u-1", APIKeyID: "key-1"},
	} {
		tok, _, err := s.Issue(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, payload)
	}
	return out
}

// claimsLikeJSON: Claims.UnmarshalJSON gives what encoding/json gives for
// the struct, error and all.
func claimsLikeJSON(t *testing.T, b []byte) (direct bool) {
	t.Helper()
	type plain Claims
	var got Claims
	var want plain
	gotErr, wantErr := json.Unmarshal(b, &got), json.Unmarshal(b, &want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("Claims.UnmarshalJSON(%q) error %v, encoding/json %v", b, gotErr, wantErr)
	}
	if wantErr == nil && !reflect.DeepEqual(got, Claims(want)) {
		t.Fatalf("Claims.UnmarshalJSON(%q)\n got %#v\nwant %#v", b, got, Claims(want))
	}
	_, direct = jsonread.Read(b, claimsField)
	return direct
}

func TestClaimsJSONReadsWhatIssueWrites(t *testing.T) {
	for _, b := range issuedPayloads(t) {
		if !claimsLikeJSON(t, b) {
			t.Errorf("claims as Issue writes them were left to encoding/json: %s", b)
		}
	}
	for _, tc := range []struct {
		in     string
		direct bool
	}{
		{`{"aud":"org"}`, true},
		{`{"aud":["a","b"]}`, true},
		{`{"aud":[]}`, true},
		{`{"aud":null}`, false},
		{`{"aud":[1]}`, false},
		{`{"aud":5}`, false},
		{`{"exp":1700000000,"nbf":null,"iat":-5}`, true},
		{`{"exp":1700000000.5}`, false},
		{`{"exp":9007199254740993}`, false},
		{`{"exp":"1700000000"}`, false},
		{`{"iat_ms":1700000000123}`, true},
		{`{"iat_ms":1.5}`, false},
		{`{"kind":"contact","unknown":true}`, false},
		{`{"KIND":"contact"}`, false},
		{`{"sub":"a","sub":"b"}`, false},
	} {
		if got := claimsLikeJSON(t, []byte(tc.in)); got != tc.direct {
			t.Errorf("claims %s read directly: %v, want %v", tc.in, got, tc.direct)
		}
	}
}

func FuzzClaimsJSON(f *testing.F) {
	for _, b := range issuedPayloads(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"aud":["a","b"],"exp":1700000000,"nbf":null,"iat_ms":-3}`))
	f.Fuzz(func(t *testing.T, b []byte) { claimsLikeJSON(t, b) })
}
