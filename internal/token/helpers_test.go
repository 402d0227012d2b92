package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer = "https://chat.example"
	testOrg    = "org_a"
	otherOrg   = "org_b"
)

// t0 is the fixed "now" of the tests: not on a whole second, so that iat_ms
// differs from iat.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 250e6, time.UTC)

// testSeed returns a 32-byte seed derived from b: distinct b, distinct keys.
func testSeed(b byte) []byte {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b + byte(i)
	}
	return seed
}

func testEntry(kid string, b byte) string {
	return kid + ":" + base64.RawURLEncoding.EncodeToString(testSeed(b))
}

func testKey(b byte) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(testSeed(b)) }

func mustRing(t testing.TB, spec string) *KeyRing {
	t.Helper()
	r, err := ParseKeyRing(spec)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return r
}

// newTestService returns a service whose ring is "a1" (seed 1) then "a2"
// (seed 2) and whose clock reads *now.
func newTestService(t testing.TB, now *time.Time, opts ...Option) *Service {
	t.Helper()
	ring := mustRing(t, testEntry("a1", 1)+","+testEntry("a2", 2))
	return NewService(ring, testIssuer, append([]Option{WithClock(func() time.Time { return *now })}, opts...)...)
}

// contactMap is a valid contact token's claims at now, as a map to damage.
func contactMap(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":    testIssuer,
		"sub":    "contact-1",
		"aud":    []string{testOrg},
		"exp":    now.Add(time.Hour).Unix(),
		"iat":    now.Unix(),
		"iat_ms": now.UnixMilli(),
		"nbf":    now.Unix(),
		"jti":    "0b6f3d3e-8a5c-4f7e-9a43-2b1f0c6d7e8f",
		"kind":   "contact",
		"cid":    "contact-1",
	}
}

// absent, as a header value for sign, removes that header.
type absent struct{}

// sign signs claims with method and key, after setting header (kid "a1" and
// typ "JWT" unless header says otherwise).
func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = "a1"
	for k, v := range header {
		if _, drop := v.(absent); drop {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("SignedString: %v", err)
	}
	return s
}

// signEd signs claims with test key b under kid "a1" (or header's).
func signEd(t testing.TB, b byte, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	return sign(t, jwt.SigningMethodEdDSA, testKey(b), header, claims)
}

// forge signs claims under header {"alg": alg, "kid": "a1", "typ": "JWT"}
// with sig, without golang-jwt: the worker links golang-jwt with EdDSA only
// (the Makefile's jwt-eddsa), and these tests run against that package too.
func forge(t testing.TB, alg string, sig func(input []byte) []byte, claims jwt.MapClaims) string {
	t.Helper()
	input := seg(t, map[string]any{"alg": alg, "kid": "a1", "typ": "JWT"}) + "." + seg(t, claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig([]byte(input)))
}

// hmacSHA is HS256's or HS512's signature with key.
func hmacSHA(h func() hash.Hash, key []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(h, key)
		m.Write(input)
		return m.Sum(nil)
	}
}

// es256 is ES256's signature with key: r and s, 32 bytes each.
func es256(key *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		d := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			panic(err)
		}
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
}

// seg is the base64url (no padding) JSON encoding of v.
func seg(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// parts splits a compact token.
func parts(t testing.TB, token string) (header, payload, sig string) {
	t.Helper()
	p := strings.Split(token, ".")
	if len(p) != 3 {
		t.Fatalf("token has %d parts", len(p))
	}
	return p[0], p[1], p[2]
}

// sentinels wrapped by err among the three of Verify.
func sentinels(err error) []error {
	var got []error
	for _, s := range []error{ErrInvalid, ErrExpired, ErrWrongAudience} {
		if errors.Is(err, s) {
			got = append(got, s)
		}
	}
	return got
}

// verifyMessages are all the messages Verify may return.
func verifyMessages() map[string]bool {
	m := map[string]bool{}
	for _, r := range []string{
		reasonTooLarge, reasonEmpty, reasonMalformed, reasonAlg, reasonKID,
		reasonHeader, reasonSignature, reasonIssuer, reasonNoSub, reasonNoJTI,
		reasonNoExp, reasonNoIat, reasonNoAud, reasonKind, reasonNoCID,
		reasonCrossKind, reasonIatMilli, reasonExpBeforeIat, reasonIssuedFuture,
		reasonNotYetValid, reasonUnverifiable, reasonSubCID, reasonSubKey, reasonNoAPIKey,
	} {
		m[fail(ErrInvalid, r).Error()] = true
	}
	m[fail(ErrWrongAudience, reasonAudience).Error()] = true
	m[fail(ErrExpired, reasonExpired).Error()] = true
	return m
}

// checkVerifyError fails t unless err wraps exactly want among the three
// sentinels and its message is one of the fixed ones.
func checkVerifyError(t testing.TB, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify: no error, want %v", want)
	}
	got := sentinels(err)
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Verify: %v wraps %v, want exactly %v", err, got, want)
	}
	if !verifyMessages()[err.Error()] {
		t.Fatalf("Verify: unexpected message %q", err.Error())
	}
}
