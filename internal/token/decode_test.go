package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tokens the service issues take decode's direct path: without it every
// request with a token would pay for golang-jwt's map header again.
func TestDecodeReadsTheServicesTokensDirectly(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	for _, c := range []Claims{
		{RegisteredClaims: jwt.RegisteredClaims{Subject: "c-1", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindContact, ContactID: "c-1"},
		{RegisteredClaims: jwt.RegisteredClaims{Subject: "e:a@b.c", Audience: jwt.ClaimStrings{testOrg}}, Kind: KindVerified, Email: "a@b.c", ExternalID: "w", APIKeyID: "key-1"},
	} {
		token, _, err := s.Issue(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := decodeDirect(token); !ok {
			t.Fatalf("%s went to golang-jwt's parser", token)
		}
		decodeAgrees(t, s, token)
		if _, err := s.Verify(token, testOrg); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzDecodeLikeGolangJWT: wherever decode's direct path takes a token, it
// answers what golang-jwt's parser and keyOf answer: the same refusal, or the
// same claims, signing input, signature and key.
func FuzzDecodeLikeGolangJWT(f *testing.F) {
	now := t0
	s := newTestService(f, &now)
	claims, err := json.Marshal(contactMap(t0))
	if err != nil {
		f.Fatal(err)
	}
	sig := strings.Repeat("A", 86)
	for _, h := range []string{
		`{"alg":"EdDSA","kid":"a1","typ":"JWT"}`, `{"alg":"EdDSA","kid":"a2"}`, `{"typ":"jwt","kid":"a1","alg":"EdDSA"}`,
		`{"alg":"HS256","kid":"a1"}`, `{"alg":"none","kid":"a1"}`, `{"alg":"eddsa","kid":"a1"}`, `{"alg":"EdDSA","kid":"a3"}`,
		`{"alg":"EdDSA"}`, `{"kid":"a1"}`, `{"alg":"EdDSA","kid":"a1","typ":"JOSE"}`, `{"alg":"EdDSA","kid":"a1","typ":1}`,
		`{"alg":"EdDSA","kid":"a1","crit":["exp"]}`, `{"alg":"EdDSA","alg":"none","kid":"a1"}`, `{"alg":"EdDSA","kid":"a1","Kid":"a2"}`,
		` {"alg":"EdDSA","kid":"a1"}`, `{"alg":"EdDSA","kid":"a\u0031"}`, `[]`, `{}`, `null`,
	} {
		f.Add([]byte(h), claims, sig)
	}
	f.Add([]byte(`{"alg":"EdDSA","kid":"a1"}`), []byte(`{"sub":"x","aud":"o","exp":1e3,"kind":"verified"}`), "")
	f.Add([]byte(`{"alg":"EdDSA","kid":"a1"}`), []byte(`{"sub":"x","sub":"y"}`), "A.")
	f.Add([]byte(`{"alg":"EdDSA","kid":"a1"}`), []byte(`{"exp":"soon"}`), "AB")
	f.Add([]byte(`{"alg":"EdDSA","kid":"a1"}`), []byte(`{}`), "AA==")
	f.Fuzz(func(t *testing.T, header, claims []byte, sig string) {
		enc := base64.RawURLEncoding.EncodeToString
		decodeAgrees(t, s, enc(header)+"."+enc(claims)+"."+sig)
	})
}

// FuzzDecodeTokenLikeGolangJWT is FuzzDecodeLikeGolangJWT on whole tokens,
// for how they are cut and their base64.
func FuzzDecodeTokenLikeGolangJWT(f *testing.F) {
	now := t0
	s := newTestService(f, &now)
	token := signEd(f, 1, map[string]any{"kid": "a1"}, contactMap(t0))
	h, p, sig := parts(f, token)
	for _, seed := range []string{token, h + "." + p, h + "." + p + "." + sig + ".", h + "=." + p + "." + sig,
		h + "." + p + "." + sig[:len(sig)-1] + "B", h + ".." + sig, "." + p + "." + sig, h + "." + p + "." + sig + "=="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) { decodeAgrees(t, s, token) })
}

func decodeAgrees(t *testing.T, s *Service, token string) {
	t.Helper()
	d, h, ok := decodeDirect(token)
	if !ok {
		return
	}
	got, gotErr := s.withKey(d, h)
	want, wh, wantErr := s.decodeWithParser(token)
	if wantErr == nil {
		want, wantErr = s.withKey(want, wh)
	}
	switch {
	case (gotErr == nil) != (wantErr == nil):
		t.Fatalf("%q: direct %v, parser %v", token, gotErr, wantErr)
	case gotErr != nil:
		if g, w := parseReason(gotErr), parseReason(wantErr); g != w {
			t.Fatalf("%q: direct refuses for %q, parser for %q (%v)", token, g, w, wantErr)
		}
	case !reflect.DeepEqual(got.claims, want.claims) || got.signed != want.signed ||
		!bytes.Equal(got.sig, want.sig) || got.kid != want.kid || got.key == nil || want.key == nil:
		t.Fatalf("%q: direct %+v\nparser %+v", token, got, want)
	}
}

// A token whose header or claims nest deeper than jsonread.MaxDepth is
// refused as malformed before golang-jwt's parser recurses into it (which
// would overflow the worker's fixed TinyGo stack); one just within goes on
// to the parser.
func TestDecodeRefusesDeepNesting(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	enc := base64.RawURLEncoding.EncodeToString
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	h := enc([]byte(`{"alg":"EdDSA","kid":"a1"}`))
	c := enc([]byte(`{"sub":"x"}`))
	sig := strings.Repeat("A", 86)
	for _, tok := range []string{
		enc([]byte(`{"alg":"EdDSA","kid":"a1","x":`+arrays(5000)+`}`)) + "." + c + "." + sig,
		h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(5000)+`}`)) + "." + sig,
		h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(32)+`}`)) + "=." + sig,
	} {
		_, err := s.decode(tok)
		if !errors.Is(err, jwt.ErrTokenMalformed) || !strings.Contains(err.Error(), "nests deeper") {
			t.Errorf("decode(%.60s…) = %v, want malformed: nests deeper", tok, err)
		}
	}
	_, err := s.decode(h + "." + enc([]byte(`{"sub":"x","aud":`+arrays(31)+`}`)) + "." + sig)
	if err == nil || strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("31 levels of aud: %v, want the parser's refusal", err)
	}
}
