//go:build !js

package e2e

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

var b64 = base64.RawURLEncoding

// jwtParts splits a compact JWS and decodes its header and claims.
func jwtParts(t testing.TB, token string) (header, claims map[string]any, signingInput string, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS (3 parts)", token)
	}
	hb, err1 := b64.DecodeString(parts[0])
	cb, err2 := b64.DecodeString(parts[1])
	sig, err3 := b64.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("token parts are not base64url without padding: %v %v %v", err1, err2, err3)
	}
	if err := json.Unmarshal(hb, &header); err != nil {
		t.Fatalf("token header is not JSON: %v", err)
	}
	if err := json.Unmarshal(cb, &claims); err != nil {
		t.Fatalf("token claims are not JSON: %v", err)
	}
	return header, claims, parts[0] + "." + parts[1], sig
}

func jwtClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	_, c, _, _ := jwtParts(t, token)
	return c
}

func audienceIs(claims map[string]any, org string) bool {
	switch a := claims["aud"].(type) {
	case string:
		return a == org
	case []any:
		return len(a) == 1 && a[0] == org
	}
	return false
}

// sign makes a compact JWS from header and claims with the given signer.
func sign(t testing.TB, header, claims map[string]any, signer func([]byte) []byte) string {
	t.Helper()
	hb, _ := json.Marshal(header)
	cb, _ := json.Marshal(claims)
	in := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	return in + "." + b64.EncodeToString(signer([]byte(in)))
}

type jwk struct {
	Kty string  `json:"kty"`
	Crv string  `json:"crv"`
	X   string  `json:"x"`
	D   *string `json:"d"`
	Kid string  `json:"kid"`
	Alg string  `json:"alg"`
	Use string  `json:"use"`
}

func fetchJWKS(t testing.TB) []jwk {
	t.Helper()
	var set struct {
		Keys []jwk `json:"keys"`
	}
	anon(t).get(t, "/.well-known/jwks.json").ok(200, &set)
	if len(set.Keys) == 0 {
		t.Fatal("JWKS has no keys")
	}
	for _, k := range set.Keys {
		if k.D != nil {
			t.Errorf("JWKS key %q publishes its private part d", k.Kid)
		}
		if k.Kid == "" {
			t.Errorf("JWKS key without kid: %+v", k)
		}
		if k.Kty != "OKP" || k.Crv != "Ed25519" {
			t.Errorf("JWKS key %q: kty %q crv %q, want OKP Ed25519", k.Kid, k.Kty, k.Crv)
		}
		if k.Alg != "" && k.Alg != "EdDSA" {
			t.Errorf("JWKS key %q: alg %q, want EdDSA", k.Kid, k.Alg)
		}
		if k.Use != "" && k.Use != "sig" {
			t.Errorf("JWKS key %q: use %q, want sig", k.Kid, k.Use)
		}
	}
	return set.Keys
}

// verifyWithJWKS checks token's EdDSA signature against the key its kid names.
func verifyWithJWKS(t testing.TB, keys []jwk, token string) map[string]any {
	t.Helper()
	h, claims, in, sig := jwtParts(t, token)
	if h["alg"] != "EdDSA" {
		t.Errorf("token alg = %v, want EdDSA", h["alg"])
	}
	kid, _ := h["kid"].(string)
	if kid == "" {
		t.Fatalf("token header has no kid: %v", h)
	}
	for _, k := range keys {
		if k.Kid != kid {
			continue
		}
		pub, err := b64.DecodeString(k.X)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			t.Fatalf("JWKS key %q: x is not a base64url Ed25519 public key (%v, %d bytes)", kid, err, len(pub))
		}
		if !ed25519.Verify(ed25519.PublicKey(pub), []byte(in), sig) {
			t.Errorf("token signature does not verify with JWKS key %q", kid)
		}
		return claims
	}
	t.Fatalf("token kid %q is not in the JWKS", kid)
	return nil
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	keys := fetchJWKS(t)

	r := anon(t).get(t, "/.well-known/jwks.json", withOrigin(o.Origin)).expect(200)
	r.checkJSONType()

	c := o.contact(t, newDevice(), nil)
	cc := verifyWithJWKS(t, keys, c.Token)
	a := o.authenticate(t, map[string]any{"user_id": uniq("jwks"), "external_id": "ws-9"})
	vc := verifyWithJWKS(t, keys, a.Token)
	for name, claims := range map[string]map[string]any{"contact": cc, "verified": vc} {
		if !audienceIs(claims, o.ID) {
			t.Errorf("%s token aud = %v, want %q", name, claims["aud"], o.ID)
		}
		for _, k := range []string{"exp", "iat", "sub"} {
			if _, ok := claims[k]; !ok {
				t.Errorf("%s token has no %s claim", name, k)
			}
		}
	}
	if !strings.Contains(mustJSON(vc), "ws-9") {
		t.Errorf("verified token with external_id does not carry it in its claims: %v", vc)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestForgedTokens: the worker accepts only its own algorithm and keys.
func TestForgedTokens(t *testing.T) {
	t.Parallel()
	o := newOrg(t)
	keys := fetchJWKS(t)
	a := o.authenticate(t, map[string]any{"user_id": uniq("victim")})
	victim := o.widget(t, a.Token)
	s := createSession(t, victim, nil)
	h, claims, in, sig := jwtParts(t, a.Token)

	_, mallory, _ := ed25519.GenerateKey(rand.Reader)
	pub, _ := b64.DecodeString(keys[0].X)

	flipped := append([]byte(nil), sig...)
	flipped[0] ^= 1
	longer := map[string]any{}
	for k, v := range claims {
		longer[k] = v
	}
	longer["exp"] = claims["exp"].(float64) + 3600

	hb, _ := json.Marshal(h)
	lb, _ := json.Marshal(longer)
	tampered := b64.EncodeToString(hb) + "." + b64.EncodeToString(lb) + "." + b64.EncodeToString(sig)

	forged := map[string]string{
		"signature flipped":         in + "." + b64.EncodeToString(flipped),
		"signature removed":         in + ".",
		"claims changed, old sig":   tampered,
		"signed by another key":     sign(t, h, claims, func(b []byte) []byte { return ed25519.Sign(mallory, b) }),
		"alg none":                  sign(t, map[string]any{"alg": "none", "typ": "JWT", "kid": h["kid"]}, claims, func([]byte) []byte { return nil }),
		"alg HS256 with public key": sign(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": h["kid"]}, claims, func(b []byte) []byte { m := hmac.New(sha256.New, pub); m.Write(b); return m.Sum(nil) }),
		"unknown kid":               sign(t, map[string]any{"alg": "EdDSA", "typ": "JWT", "kid": "no-such-kid"}, claims, func(b []byte) []byte { return ed25519.Sign(mallory, b) }),
		"not a jwt":                 "abc.def.ghi",
	}
	t.Run("refused", func(t *testing.T) {
		for name, tok := range forged {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				w := o.widget(t, tok)
				w.get(t, "/v1/widget/me").fails(401, "invalid_token", "unauthorized")
				w.get(t, "/v1/widget/sessions").fails(401, "invalid_token", "unauthorized")
				w.get(t, "/v1/widget/sessions/"+url.PathEscape(s.ID)).fails(401, "invalid_token", "unauthorized")
				w.post(t, "/v1/widget/sessions", map[string]any{}).fails(401, "invalid_token", "unauthorized")
				w.post(t, "/v1/widget/sessions/"+url.PathEscape(s.ID)+"/messages", map[string]any{"content": "forged"}).fails(401, "invalid_token", "unauthorized")
			})
		}
	})
	// Nothing was written with a forged token, and the real one still works.
	sameSet(t, "the victim's sessions", sessionIDs(widgetSessions(t, victim, nil)), []string{s.ID})
	if d := orgSession(t, o, s.ID); len(d.Messages) != 0 {
		t.Errorf("forged tokens stored %d messages", len(d.Messages))
	}
}
