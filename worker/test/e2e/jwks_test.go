//go:build !js

package e2e

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/contract"
	"github.com/golang-jwt/jwt/v5"
)

var b64 = base64.RawURLEncoding

// jwtParts splits a compact JWS and decodes its header and claims.
func jwtParts(t testing.TB, token string) (header, claims map[string]any, signingInput string, sig []byte) {
	t.Helper()
	tok, parts, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("token %q is not a compact JWS of JSON header and claims: %v", token, err)
	}
	return tok.Header, tok.Claims.(jwt.MapClaims), strings.Join(parts[:2], "."), tok.Signature
}

func jwtClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	_, c, _, _ := jwtParts(t, token)
	return c
}

// audience is a token's aud, a list of one taken as that one.
func audience(claims map[string]any) any {
	if a, ok := claims["aud"].([]any); ok && len(a) == 1 {
		return a[0]
	}
	return claims["aud"]
}

// sign makes a compact JWS of header and claims, signed by m with key.
func sign(t testing.TB, header, claims map[string]any, m jwt.SigningMethod, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, jwt.MapClaims(claims))
	tok.Header = header
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fetchJWKS reads the JWKS, checks each key's shape, and returns the keys
// and the document.
func fetchJWKS(t testing.TB) ([]contract.JWK, []byte) {
	t.Helper()
	var set contract.JWKS
	var each struct{ Keys []map[string]any }
	r := anon(t).get(t, "/.well-known/jwks.json").expect(200).into(&set).into(&each)
	if len(set.Keys) == 0 {
		t.Fatal("JWKS has no keys")
	}
	for _, k := range each.Keys {
		// No private part d; alg and use, when given, those of an Ed25519 signing key.
		match(t, fmt.Sprintf("JWKS key %v", k["kid"]), k, M{"kid": contract.NonEmpty, "kty": "OKP", "crv": "Ed25519", "d": nil,
			"alg": contract.OneOf(nil, "", "EdDSA"), "use": contract.OneOf(nil, "", "sig")})
	}
	return set.Keys, r.Body
}

// verify checks token with the JWKS alone, as a customer would
// (contract.VerifyToken: EdDSA, kid, signature, iss, aud o, kind, sub, jti,
// times), and returns its claims.
func verify(t testing.TB, o *org, token string) map[string]any {
	t.Helper()
	_, jwks := fetchJWKS(t)
	claims, err := contract.VerifyToken(token, jwks, server(t).Vars["TOKEN_ISSUER"], o.ID)
	if err != nil {
		t.Fatalf("token does not verify with the JWKS: %v", err)
	}
	return claims
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	anon(t).get(t, "/.well-known/jwks.json", contract.Origin(o.Origin)).expect(200).checkJSONType()
	a := o.authenticate(t, map[string]any{"user_id": uniq("jwks"), "external_id": "ws-9"})
	for kind, tok := range map[string]string{"contact": o.contactToken(t), "verified": a.Token} {
		match(t, kind+" token", verify(t, o, tok), M{"kind": kind})
	}
	if b, _ := json.Marshal(jwtClaims(t, a.Token)); !strings.Contains(string(b), "ws-9") {
		t.Errorf("verified token with external_id does not carry it in its claims: %s", b)
	}
}

// TestForgedTokens: the worker accepts only its own algorithm and keys.
func TestForgedTokens(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	keys, _ := fetchJWKS(t)
	a := o.authenticate(t, map[string]any{"user_id": uniq("victim")})
	victim := o.widget(a.Token)
	s := createSession(t, victim, nil)
	h, claims, in, sig := jwtParts(t, a.Token)

	_, mallory, _ := ed25519.GenerateKey(rand.Reader)
	pub, _ := b64.DecodeString(keys[0].X)
	flipped := append([]byte(nil), sig...)
	flipped[0] ^= 1
	longer := maps.Clone(claims)
	longer["exp"] = claims["exp"].(float64) + 3600
	lb, _ := json.Marshal(longer)
	hdr := func(alg string, kid any) map[string]any { return map[string]any{"alg": alg, "typ": "JWT", "kid": kid} }

	forged := []cred{
		{"signature flipped", contract.Bearer(in + "." + b64.EncodeToString(flipped))},
		{"signature removed", contract.Bearer(in + ".")},
		{"claims changed, old sig", contract.Bearer(strings.Split(in, ".")[0] + "." + b64.EncodeToString(lb) + "." + b64.EncodeToString(sig))},
		{"signed by another key", contract.Bearer(sign(t, h, claims, jwt.SigningMethodEdDSA, mallory))},
		{"alg none", contract.Bearer(sign(t, hdr("none", h["kid"]), claims, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType))},
		{"alg HS256 with public key", contract.Bearer(sign(t, hdr("HS256", h["kid"]), claims, jwt.SigningMethodHS256, pub))},
		{"unknown kid", contract.Bearer(sign(t, hdr("EdDSA", "no-such-kid"), claims, jwt.SigningMethodEdDSA, mallory))},
		{"not a jwt", contract.Bearer("abc.def.ghi")},
	}
	t.Run("refused", func(t *testing.T) {
		refusedOn(t, o.widget(""), widgetRoutes(url.PathEscape(s.ID), "forged")[1:], forged, true, "invalid_token", "unauthorized")
	})
	// Nothing was written with a forged token, and the real one still works.
	sameSet(t, "the victim's sessions", sessionIDs(widgetSessions(t, victim, nil)), []string{s.ID})
	stored(t, o, s.ID, 0, "after forged tokens")
}
