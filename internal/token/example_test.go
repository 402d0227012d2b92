package token_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatwidget/identity/internal/token"
	"github.com/golang-jwt/jwt/v5"
)

// A fixed key for the examples; real rings come from a secret, made once
// with GenerateKeySpec.
const exampleSpec = "2026-03:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

// Generate a key ring entry, e.g. for `make dev`, and load it.
func ExampleGenerateKeySpec() {
	entry, err := token.GenerateKeySpec("2026-03")
	if err != nil {
		panic(err)
	}
	ring, err := token.ParseKeyRing(entry)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.HasPrefix(entry, "2026-03:"), ring.SigningKID())
	// Output: true 2026-03
}

// Rotation: the new key goes first and signs; the old one stays to verify the
// tokens it signed until they expire. Errors never quote the spec.
func ExampleParseKeyRing() {
	newEntry, _ := token.GenerateKeySpec("2026-04")
	ring, err := token.ParseKeyRing(newEntry + "\n" + exampleSpec)
	if err != nil {
		panic(err)
	}
	fmt.Println(ring.SigningKID(), ring.KIDs())

	_, err = token.ParseKeyRing("2026-05:c2VjcmV0")
	fmt.Println(errors.Is(err, token.ErrKeyRing), err)
	// Output:
	// 2026-04 [2026-04 2026-03]
	// true token: invalid key ring: entry 1: seed must be 32 bytes, got 6
}

// Issue a verified token for an org, as POST /v1/users/authenticate does.
func ExampleService_Issue() {
	ring, _ := token.ParseKeyRing(exampleSpec)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc := token.NewService(ring, "https://chat.example", token.WithClock(func() time.Time { return now }))

	tok, expiresAt, err := svc.Issue(token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:  "u:u-42",                  // sub: who, identity.KeyOf(UserID, Email)
			Audience: jwt.ClaimStrings{"org_1"}, // aud: the org, exactly one
		},
		Kind:       token.KindVerified,
		APIKeyID:   "key-1", // the api key that asked: the token dies with it
		UserID:     "u-42",
		Email:      "Ada@Example.com", // ASCII letters lower-cased by Issue
		ExternalID: "workspace-42",
	}, 24*time.Hour)
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Count(tok, "."), expiresAt)

	claims, _ := svc.Verify(tok, "org_1")
	fmt.Println(claims.Kind, claims.Subject, claims.Email, claims.ExternalID)
	// Output:
	// 2 2026-03-02 12:00:00 +0000 UTC
	// verified u:u-42 ada@example.com workspace-42
}

// Verify a user token for the org named by the widget token, and map its
// error to the API's.
func ExampleService_Verify() {
	ring, _ := token.ParseKeyRing(exampleSpec)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc := token.NewService(ring, "https://chat.example", token.WithClock(func() time.Time { return now }))
	tok, _, _ := svc.Issue(token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "contact-7", Audience: jwt.ClaimStrings{"org_1"}},
		Kind:             token.KindContact,
		ContactID:        "contact-7",
	}, time.Hour)

	code := func(err error) string {
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, token.ErrExpired):
			return "401 token_expired"
		case errors.Is(err, token.ErrWrongAudience):
			return "401 (token of another org)"
		default: // token.ErrInvalid
			return "401 invalid_token"
		}
	}

	claims, err := svc.Verify(tok, "org_1")
	fmt.Println(code(err), claims.Kind, claims.Subject, claims.ContactID)

	_, err = svc.Verify(tok, "org_2")
	fmt.Println(code(err))

	other, _, _ := svc.Issue(token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "contact-8", Audience: jwt.ClaimStrings{"org_1"}},
		Kind:             token.KindContact,
		ContactID:        "contact-8",
	}, time.Hour)
	forged := tok[:strings.LastIndex(tok, ".")] + other[strings.LastIndex(other, "."):]
	_, err = svc.Verify(forged, "org_1")
	fmt.Println(code(err), "-", err)

	now = now.Add(2 * time.Hour)
	_, err = svc.Verify(tok, "org_1")
	fmt.Println(code(err))
	// Output:
	// ok contact contact-7 contact-7
	// 401 (token of another org)
	// 401 invalid_token - token: invalid token: bad signature
	// 401 token_expired
}

// The JWKS to serve at GET /.well-known/jwks.json.
func ExampleService_JWKS() {
	ring, _ := token.ParseKeyRing(exampleSpec)
	svc := token.NewService(ring, "https://chat.example")
	fmt.Println(string(svc.JWKS()))
	// Output:
	// {"keys":[{"kty":"OKP","crv":"Ed25519","x":"A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg","kid":"2026-03","alg":"EdDSA","use":"sig"}]}
}

// Revocation compares issue times to the millisecond: iat has whole seconds,
// IssuedAtTime has the iat_ms claim.
func ExampleClaims_IssuedAtTime() {
	ring, _ := token.ParseKeyRing(exampleSpec)
	now := time.Date(2026, 3, 1, 12, 0, 0, 750e6, time.UTC)
	svc := token.NewService(ring, "https://chat.example", token.WithClock(func() time.Time { return now }))
	tok, _, _ := svc.Issue(token.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u:u-42", Audience: jwt.ClaimStrings{"org_1"}},
		Kind:             token.KindVerified,
		APIKeyID:         "key-1",
		UserID:           "u-42",
	}, time.Hour)
	claims, _ := svc.Verify(tok, "org_1")

	revokedBefore := time.Date(2026, 3, 1, 12, 0, 0, 500e6, time.UTC)
	fmt.Println(claims.IssuedAt.UTC(), claims.IssuedAtTime())
	fmt.Println("revoked:", claims.IssuedAtTime().Before(revokedBefore))
	// Output:
	// 2026-03-01 12:00:00 +0000 UTC 2026-03-01 12:00:00.75 +0000 UTC
	// revoked: false
}
