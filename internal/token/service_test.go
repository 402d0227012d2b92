package token

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

func TestIssueVerifyContact(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	tok, exp, err := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "contact-1", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindContact,
		ContactID:        "contact-1",
	}, time.Hour)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if want := time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC); !exp.Equal(want) {
		t.Errorf("expiresAt = %v, want %v (iat + ttl, whole seconds)", exp, want)
	}

	c, err := s.Verify(tok, testOrg)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Kind != KindContact || c.Subject != "contact-1" || c.ContactID != "contact-1" {
		t.Errorf("claims = %+v", c)
	}
	if c.Issuer != testIssuer || len(c.Audience) != 1 || c.Audience[0] != testOrg {
		t.Errorf("iss/aud = %q %q", c.Issuer, c.Audience)
	}
	if !c.ExpiresAt.Equal(exp) {
		t.Errorf("exp = %v, want %v", c.ExpiresAt, exp)
	}
	if want := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC); !c.IssuedAt.Equal(want) || !c.NotBefore.Equal(want) {
		t.Errorf("iat, nbf = %v, %v, want %v", c.IssuedAt, c.NotBefore, want)
	}
	if got := c.IssuedAtTime(); !got.Equal(t0) {
		t.Errorf("IssuedAtTime = %v, want %v (ms precision)", got, t0)
	}
	id, err := uuid.Parse(c.ID)
	if err != nil || (id.Version() != 4 && id.Version() != 7) {
		t.Errorf("jti %q is not a uuid v4/v7 (%v)", c.ID, err)
	}
	if c.ExternalID != "" || c.UserID != "" || c.Email != "" {
		t.Errorf("contact token carries verified fields: %+v", c)
	}

	// The header: EdDSA, the signing kid, typ JWT.
	h, _, _ := parts(t, tok)
	raw, _ := base64.RawURLEncoding.DecodeString(h)
	var header map[string]any
	if err := json.Unmarshal(raw, &header); err != nil {
		t.Fatal(err)
	}
	if header["alg"] != "EdDSA" || header["kid"] != "a1" || header["typ"] != "JWT" || len(header) != 3 {
		t.Errorf("header = %v", header)
	}
}

func TestIssueVerifyVerified(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	tok, _, err := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u:u-1", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindVerified,
		APIKeyID:         "key-1",
		ExternalID:       "workspace-42",
		UserID:           "u-1",
		Email:            "Ada@Example.COM",
	}, 24*time.Hour)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	c, err := s.Verify(tok, testOrg)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.Kind != KindVerified || c.Subject != "u:u-1" || c.ExternalID != "workspace-42" || c.APIKeyID != "key-1" || c.UserID != "u-1" {
		t.Errorf("claims = %+v", c)
	}
	if c.Email != "ada@example.com" {
		t.Errorf("email = %q, want it lower-cased", c.Email)
	}
	if c.ContactID != "" {
		t.Errorf("cid = %q in a verified token", c.ContactID)
	}
}

func TestIssueFillsRegisteredClaims(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	// Whatever the caller put in iss, iat, nbf, exp, jti, iat_ms is replaced.
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "evil", Subject: "c", Audience: jwt.ClaimStrings{testOrg}, ID: "fixed",
			ExpiresAt: jwt.NewNumericDate(t0.Add(100 * 24 * time.Hour)),
			IssuedAt:  jwt.NewNumericDate(t0.Add(-time.Hour)),
			NotBefore: jwt.NewNumericDate(t0.Add(time.Hour)),
		},
		Kind: KindContact, ContactID: "c", IssuedAtMilli: 1,
	}
	tok, _, err := s.Issue(c, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(tok, testOrg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Issuer != testIssuer || got.ID == "fixed" || got.IssuedAtMilli != t0.UnixMilli() ||
		!got.ExpiresAt.Equal(t0.Truncate(time.Second).Add(time.Minute)) {
		t.Errorf("claims = %+v", got)
	}
	// Two issues never share a jti.
	tok2, _, _ := s.Issue(c, time.Minute)
	got2, _ := s.Verify(tok2, testOrg)
	if got2.ID == got.ID {
		t.Errorf("jti repeated: %s", got.ID)
	}
}

func TestIssueRefuses(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	good := func() Claims {
		return Claims{
			RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}},
			Kind:             KindContact, ContactID: "c",
		}
	}
	tests := []struct {
		name   string
		change func(*Claims)
		ttl    time.Duration
	}{
		{"zero ttl", func(*Claims) {}, 0},
		{"negative ttl", func(*Claims) {}, -time.Hour},
		{"no kind", func(c *Claims) { c.Kind = "" }, time.Hour},
		{"unknown kind", func(c *Claims) { c.Kind = "admin" }, time.Hour},
		{"no subject", func(c *Claims) { c.Subject = "" }, time.Hour},
		{"no audience", func(c *Claims) { c.Audience = nil }, time.Hour},
		{"empty audience", func(c *Claims) { c.Audience = jwt.ClaimStrings{""} }, time.Hour},
		{"two audiences", func(c *Claims) { c.Audience = jwt.ClaimStrings{testOrg, otherOrg} }, time.Hour},
		{"contact without cid", func(c *Claims) { c.ContactID = "" }, time.Hour},
		{"contact with email", func(c *Claims) { c.Email = "a@b.c" }, time.Hour},
		{"contact with uid", func(c *Claims) { c.UserID = "u" }, time.Hour},
		{"contact with external id", func(c *Claims) { c.ExternalID = "w" }, time.Hour},
		{"verified with cid", func(c *Claims) { c.Kind = KindVerified }, time.Hour},
		{"too large", func(c *Claims) { c.ContactID = strings.Repeat("x", MaxTokenBytes) }, time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(&c)
			tok, _, err := s.Issue(c, tt.ttl)
			if !errors.Is(err, ErrClaims) || tok != "" {
				t.Fatalf("Issue = %q, %v; want ErrClaims", tok, err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	now := t0
	clock := WithClock(func() time.Time { return now })
	old := NewService(mustRing(t, testEntry("k1", 1)), testIssuer, clock)
	oldTok, _, err := old.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindContact, ContactID: "c",
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// A new key goes first: it signs, the old one still verifies.
	rotated := NewService(mustRing(t, testEntry("k2", 2)+"\n"+testEntry("k1", 1)), testIssuer, clock)
	if _, err := rotated.Verify(oldTok, testOrg); err != nil {
		t.Fatalf("token of the old key after rotation: %v", err)
	}
	newTok, _, err := rotated.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindContact, ContactID: "c",
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	h, _, _ := parts(t, newTok)
	if raw, _ := base64.RawURLEncoding.DecodeString(h); !strings.Contains(string(raw), `"kid":"k2"`) {
		t.Errorf("new token header %s, want kid k2", raw)
	}
	// The old service does not know k2.
	_, err = old.Verify(newTok, testOrg)
	checkVerifyError(t, err, ErrInvalid)

	// The old key is dropped: its tokens are refused, the new ones still pass.
	dropped := NewService(mustRing(t, testEntry("k2", 2)), testIssuer, clock)
	_, err = dropped.Verify(oldTok, testOrg)
	checkVerifyError(t, err, ErrInvalid)
	if _, err := dropped.Verify(newTok, testOrg); err != nil {
		t.Fatalf("new token after dropping the old key: %v", err)
	}

	// Same kid, another secret: refused.
	impostor := NewService(mustRing(t, testEntry("k1", 9)), testIssuer, clock)
	_, err = impostor.Verify(oldTok, testOrg)
	checkVerifyError(t, err, ErrInvalid)
}

// TestVerifyRefuses is the list of attacks and damaged tokens.
func TestVerifyRefuses(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	pub := testKey(1).Public().(ed25519.PublicKey)
	valid := signEd(t, 1, nil, contactMap(t0))
	vh, vp, vs := parts(t, valid)

	// with returns valid claims changed by key, value pairs; a nil value
	// deletes the key.
	with := func(kv ...any) jwt.MapClaims {
		c := contactMap(t0)
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherEd := ed25519.NewKeyFromSeed(testSeed(77))
	randomSig := base64.RawURLEncoding.EncodeToString(make([]byte, 256))

	tests := []struct {
		name  string
		token string
		want  error // the exact error: sentinel and reason
	}{
		// Algorithms: only EdDSA, whatever the header says.
		// What golang-jwt's SigningMethodNone signs, written out: the worker's
		// golang-jwt leaves that method out (the Makefile's jwt-eddsa).
		{"alg none", seg(t, map[string]any{"alg": "none", "typ": "JWT"}) + "." + seg(t, contactMap(t0)) + ".", fail(ErrInvalid, reasonAlg)},
		{"alg none, EdDSA signature kept", seg(t, map[string]any{"alg": "none", "kid": "a1", "typ": "JWT"}) + "." + vp + "." + vs, fail(ErrInvalid, reasonAlg)},
		{"alg None", seg(t, map[string]any{"alg": "None", "kid": "a1"}) + "." + vp + ".", fail(ErrInvalid, reasonAlg)},
		{"alg missing", seg(t, map[string]any{"kid": "a1"}) + "." + vp + "." + vs, fail(ErrInvalid, reasonAlg)},
		{"alg eddsa lower case", seg(t, map[string]any{"alg": "eddsa", "kid": "a1"}) + "." + vp + "." + vs, fail(ErrInvalid, reasonAlg)},
		{"alg Ed25519", seg(t, map[string]any{"alg": "Ed25519", "kid": "a1"}) + "." + vp + "." + vs, fail(ErrInvalid, reasonAlg)},
		{"alg as array", seg(t, map[string]any{"alg": []string{"EdDSA"}, "kid": "a1"}) + "." + vp + "." + vs, fail(ErrInvalid, reasonAlg)},
		{"HS256 keyed with the public key", forge(t, "HS256", hmacSHA(sha256.New, []byte(pub)), contactMap(t0)), fail(ErrInvalid, reasonAlg)},
		{"HS256 keyed with the JWK x", forge(t, "HS256", hmacSHA(sha256.New, []byte(base64.RawURLEncoding.EncodeToString(pub))), contactMap(t0)), fail(ErrInvalid, reasonAlg)},
		{"HS512 keyed with the public key", forge(t, "HS512", hmacSHA(sha512.New, []byte(pub)), contactMap(t0)), fail(ErrInvalid, reasonAlg)},
		{"ES256", forge(t, "ES256", es256(ecKey), contactMap(t0)), fail(ErrInvalid, reasonAlg)},
		{"RS256 header", seg(t, map[string]any{"alg": "RS256", "kid": "a1", "typ": "JWT"}) + "." + vp + "." + randomSig, fail(ErrInvalid, reasonAlg)},
		{"PS256 header", seg(t, map[string]any{"alg": "PS256", "kid": "a1"}) + "." + vp + "." + randomSig, fail(ErrInvalid, reasonAlg)},

		// kid: must name a key of the ring, as is.
		{"missing kid", signEd(t, 1, map[string]any{"kid": absent{}}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"empty kid", signEd(t, 1, map[string]any{"kid": ""}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"null kid", signEd(t, 1, map[string]any{"kid": nil}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"numeric kid", signEd(t, 1, map[string]any{"kid": 1}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid as array", signEd(t, 1, map[string]any{"kid": []string{"a1"}}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"unknown kid", signEd(t, 1, map[string]any{"kid": "zz"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid of another case", signEd(t, 1, map[string]any{"kid": "A1"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid with a space", signEd(t, 1, map[string]any{"kid": "a1 "}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid with NUL", signEd(t, 1, map[string]any{"kid": "a1\x00"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid path traversal", signEd(t, 1, map[string]any{"kid": "../../x"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid path to a1", signEd(t, 1, map[string]any{"kid": "./a1"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid /dev/null", signEd(t, 1, map[string]any{"kid": "/dev/null"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid SQL injection", signEd(t, 1, map[string]any{"kid": "x' OR 1=1"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid SQL injection 2", signEd(t, 1, map[string]any{"kid": "a1' UNION SELECT 'key"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid template", signEd(t, 1, map[string]any{"kid": "${jndi:ldap://x/a}"}, contactMap(t0)), fail(ErrInvalid, reasonKID)},
		{"kid of the other ring key", signEd(t, 1, map[string]any{"kid": "a2"}, contactMap(t0)), fail(ErrInvalid, reasonSignature)},
		{"key not in the ring under its kid", sign(t, jwt.SigningMethodEdDSA, otherEd, nil, contactMap(t0)), fail(ErrInvalid, reasonSignature)},
		{"key embedded in the header", sign(t, jwt.SigningMethodEdDSA, otherEd, map[string]any{"kid": absent{}, "jwk": map[string]string{
			"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(otherEd.Public().(ed25519.PublicKey))}}, contactMap(t0)), fail(ErrInvalid, reasonKID)},

		// Other headers.
		{"typ at+jwt", signEd(t, 1, map[string]any{"typ": "at+jwt"}, contactMap(t0)), fail(ErrInvalid, reasonHeader)},
		{"typ number", signEd(t, 1, map[string]any{"typ": 1}, contactMap(t0)), fail(ErrInvalid, reasonHeader)},
		{"crit", signEd(t, 1, map[string]any{"crit": []string{"exp"}}, contactMap(t0)), fail(ErrInvalid, reasonHeader)},

		// Damaged tokens.
		{"empty", "", fail(ErrInvalid, reasonEmpty)},
		{"garbage", "not a token", fail(ErrInvalid, reasonMalformed)},
		{"dots", "..", fail(ErrInvalid, reasonMalformed)},
		{"a.b.", "a.b.", fail(ErrInvalid, reasonMalformed)},
		{"stripped signature", vh + "." + vp + ".", fail(ErrInvalid, reasonSignature)},
		{"no signature part", vh + "." + vp, fail(ErrInvalid, reasonMalformed)},
		{"extra part", valid + ".x", fail(ErrInvalid, reasonMalformed)},
		{"extra dot", valid + ".", fail(ErrInvalid, reasonMalformed)},
		{"signature truncated", vh + "." + vp + "." + vs[:len(vs)-4], fail(ErrInvalid, reasonMalformed)},
		{"signature flipped", vh + "." + vp + "." + flip(vs, 10), fail(ErrInvalid, reasonSignature)},
		{"signature non-canonical base64", vh + "." + vp + "." + vs[:len(vs)-1] + nonCanonical(vs[len(vs)-1:]), fail(ErrInvalid, reasonMalformed)},
		{"padded header", vh + "=." + vp + "." + vs, fail(ErrInvalid, reasonMalformed)},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(valid), fail(ErrInvalid, reasonMalformed)},
		{"whitespace", " " + valid, fail(ErrInvalid, reasonMalformed)},
		{"Bearer prefix", "Bearer " + valid, fail(ErrInvalid, reasonMalformed)},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + vp + "." + vs, fail(ErrInvalid, reasonMalformed)},
		{"payload not JSON", vh + "." + base64.RawURLEncoding.EncodeToString([]byte("[1,2")) + "." + vs, fail(ErrInvalid, reasonMalformed)},
		{"payload null", vh + "." + base64.RawURLEncoding.EncodeToString([]byte("null")) + "." + vs, fail(ErrInvalid, reasonSignature)},
		{"tampered sub", vh + "." + seg(t, with("sub", "device-2")) + "." + vs, fail(ErrInvalid, reasonSignature)},
		{"tampered kind", vh + "." + seg(t, with("kind", "verified")) + "." + vs, fail(ErrInvalid, reasonSignature)},
		{"tampered aud", vh + "." + seg(t, with("aud", []string{otherOrg})) + "." + vs, fail(ErrInvalid, reasonSignature)},
		{"tampered exp", vh + "." + seg(t, with("exp", t0.Add(1000*time.Hour).Unix())) + "." + vs, fail(ErrInvalid, reasonSignature)},
		{"payload of another token", vh + "." + parts2(t, signEd(t, 1, nil, with("cid", "contact-2"))) + "." + vs, fail(ErrInvalid, reasonSignature)},

		// Signed by the ring, but the claims are wrong.
		{"wrong issuer", signEd(t, 1, nil, with("iss", "https://evil.example")), fail(ErrInvalid, reasonIssuer)},
		{"no issuer", signEd(t, 1, nil, with("iss", nil)), fail(ErrInvalid, reasonIssuer)},
		{"issuer as array", signEd(t, 1, nil, with("iss", []string{testIssuer})), fail(ErrInvalid, reasonMalformed)},
		{"missing jti", signEd(t, 1, nil, with("jti", nil)), fail(ErrInvalid, reasonNoJTI)},
		{"empty jti", signEd(t, 1, nil, with("jti", "")), fail(ErrInvalid, reasonNoJTI)},
		{"missing sub", signEd(t, 1, nil, with("sub", nil)), fail(ErrInvalid, reasonNoSub)},
		{"missing kind", signEd(t, 1, nil, with("kind", nil)), fail(ErrInvalid, reasonKind)},
		{"unknown kind", signEd(t, 1, nil, with("kind", "admin")), fail(ErrInvalid, reasonKind)},
		{"kind in capitals", signEd(t, 1, nil, with("kind", "CONTACT")), fail(ErrInvalid, reasonKind)},
		{"kind as number", signEd(t, 1, nil, with("kind", 1)), fail(ErrInvalid, reasonMalformed)},
		{"contact without cid", signEd(t, 1, nil, with("cid", nil)), fail(ErrInvalid, reasonNoCID)},
		{"contact with email", signEd(t, 1, nil, with("email", "ada@example.com")), fail(ErrInvalid, reasonCrossKind)},
		{"contact with uid", signEd(t, 1, nil, with("uid", "u-1")), fail(ErrInvalid, reasonCrossKind)},
		{"contact with external id", signEd(t, 1, nil, with("external_id", "w")), fail(ErrInvalid, reasonCrossKind)},
		{"verified with cid", signEd(t, 1, nil, with("kind", "verified")), fail(ErrInvalid, reasonCrossKind)},
		{"missing exp", signEd(t, 1, nil, with("exp", nil)), fail(ErrInvalid, reasonNoExp)},
		{"exp as string", signEd(t, 1, nil, with("exp", "tomorrow")), fail(ErrInvalid, reasonMalformed)},
		{"missing iat", signEd(t, 1, nil, with("iat", nil)), fail(ErrInvalid, reasonNoIat)},
		{"missing aud", signEd(t, 1, nil, with("aud", nil)), fail(ErrInvalid, reasonNoAud)},
		{"empty aud", signEd(t, 1, nil, with("aud", []string{})), fail(ErrInvalid, reasonNoAud)},
		{"aud empty string", signEd(t, 1, nil, with("aud", "")), fail(ErrInvalid, reasonNoAud)},
		{"aud as number", signEd(t, 1, nil, with("aud", 7)), fail(ErrInvalid, reasonMalformed)},
		{"iat_ms not in the second of iat", signEd(t, 1, nil, with("iat_ms", t0.Add(-time.Hour).UnixMilli())), fail(ErrInvalid, reasonIatMilli)},
		{"exp before iat", signEd(t, 1, nil, with("exp", t0.Add(-time.Hour).Unix())), fail(ErrInvalid, reasonExpBeforeIat)},
		{"iat in the future", signEd(t, 1, nil, with("iat", t0.Add(31*time.Second).Unix(), "iat_ms", t0.Add(31*time.Second).UnixMilli())), fail(ErrInvalid, reasonIssuedFuture)},
		{"iat in the future, no iat_ms", signEd(t, 1, nil, with("iat", t0.Add(31*time.Second).Unix(), "iat_ms", nil)), fail(ErrInvalid, reasonIssuedFuture)},
		{"nbf in the future", signEd(t, 1, nil, with("nbf", t0.Add(time.Minute).Unix())), fail(ErrInvalid, reasonNotYetValid)},

		// Size: refused before parsing.
		{"1 MB", strings.Repeat("a", 1<<20), fail(ErrInvalid, reasonTooLarge)},
		{"1 MB of dots", strings.Repeat(".", 1<<20), fail(ErrInvalid, reasonTooLarge)},
		{"valid token grown past 8 KiB", signEd(t, 1, nil, with("pad", strings.Repeat("x", MaxTokenBytes))), fail(ErrInvalid, reasonTooLarge)},

		// Audience: a genuine token of another org.
		{"other audience", signEd(t, 1, nil, with("aud", otherOrg)), fail(ErrWrongAudience, reasonAudience)},
		{"audience array of another org only", signEd(t, 1, nil, with("aud", []string{otherOrg})), fail(ErrWrongAudience, reasonAudience)},
		{"audience array of other orgs", signEd(t, 1, nil, with("aud", []string{otherOrg, "org_c"})), fail(ErrWrongAudience, reasonAudience)},
		{"audience differs in case", signEd(t, 1, nil, with("aud", []string{"ORG_A"})), fail(ErrWrongAudience, reasonAudience)},

		// Time.
		{"expired", signEd(t, 1, nil, contactMap(t0.Add(-2*time.Hour))), fail(ErrExpired, reasonExpired)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.token, testOrg)
			if c != nil {
				t.Errorf("claims returned with an error: %+v", c)
			}
			checkVerifyError(t, err, sentinels(tt.want)[0])
			if err.Error() != tt.want.Error() {
				t.Errorf("Verify: %v, want %v", err, tt.want)
			}
			if len(tt.token) >= 8 && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error contains the token")
			}
			for _, p := range strings.Split(tt.token, ".") {
				if len(p) >= 8 && strings.Contains(err.Error(), p) {
					t.Errorf("error contains a part of the token")
				}
			}
		})
	}
}

func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// nonCanonical returns another base64url character with the same top 2 bits
// as c: for a 64-byte signature the last character carries 2 bits, so the
// decoded bytes are the same and only strict decoding tells them apart.
func nonCanonical(c string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.Index(alphabet, c)
	return string(alphabet[i|1])
}

func parts2(t testing.TB, token string) string {
	_, p, _ := parts(t, token)
	return p
}

// TestVerifyTime walks a token's life with the default 30 s leeway, which
// iat has and exp has not: the token stops at its exp, the expires_at the
// issuer answered.
func TestVerifyTime(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	iat := t0.Truncate(time.Second)
	tok, exp, err := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindContact, ContactID: "c",
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   time.Time
		want error // nil: valid
	}{
		{"at issue", t0, nil},
		{"clock 30s behind the issuer", iat.Add(-30 * time.Second), nil},
		{"clock 31s behind the issuer", iat.Add(-31 * time.Second), ErrInvalid},
		{"just before exp", exp.Add(-time.Nanosecond), nil},
		{"at exp", exp, ErrExpired},
		{"a second after exp", exp.Add(time.Second), ErrExpired},
		{"a year later", exp.Add(365 * 24 * time.Hour), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = tt.at
			_, err := s.Verify(tok, testOrg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkVerifyError(t, err, tt.want)
		})
	}
}

func TestVerifyNotBeforeLeeway(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	for _, tt := range []struct {
		nbf  time.Duration
		want error
	}{
		{29 * time.Second, nil},
		{30 * time.Second, nil},
		{31 * time.Second, ErrInvalid},
		{time.Hour, ErrInvalid},
	} {
		c := contactMap(t0)
		c["nbf"] = t0.Add(tt.nbf).Unix()
		_, err := s.Verify(signEd(t, 1, nil, c), testOrg)
		if tt.want == nil && err != nil {
			t.Errorf("nbf now+%v: %v", tt.nbf, err)
		}
		if tt.want != nil {
			checkVerifyError(t, err, tt.want)
		}
	}
}

// A time that no clock reads (beyond int64 seconds, before 1970, after
// 9999) is refused as invalid, whichever claim it is in: golang-jwt turns
// 1e300 into a time that depends on the machine's float conversion (the far
// past on amd64, 1970 on 386, the far future where it saturates), so that an
// nbf or iat far in the future passed its check.
func TestVerifyRefusesTimesNoClockReads(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	for _, claim := range []string{"nbf", "iat", "exp"} {
		for _, v := range []float64{1e300, -1e300, 1e19, -1e19, 253402300800, -1} {
			c := contactMap(t0)
			c[claim] = v
			if claim == "iat" {
				delete(c, "iat_ms")
			}
			_, err := s.Verify(signEd(t, 1, nil, c), testOrg)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s %g: %v, want ErrInvalid", claim, v, err)
			}
		}
	}
}

func TestWithLeeway(t *testing.T) {
	now := t0
	s := newTestService(t, &now, WithLeeway(0))
	c := contactMap(t0)
	c["exp"] = t0.Add(-time.Second).Unix()
	c["iat"] = t0.Add(-time.Hour).Unix()
	c["iat_ms"] = t0.Add(-time.Hour).UnixMilli()
	_, err := s.Verify(signEd(t, 1, nil, c), testOrg)
	checkVerifyError(t, err, ErrExpired)

	c = contactMap(t0)
	c["nbf"] = t0.Add(time.Second).Unix()
	_, err = s.Verify(signEd(t, 1, nil, c), testOrg)
	checkVerifyError(t, err, ErrInvalid)

	// A negative leeway counts as none; 0 leeway still accepts a fresh token.
	s = newTestService(t, &now, WithLeeway(-time.Hour))
	if _, err := s.Verify(signEd(t, 1, nil, contactMap(t0)), testOrg); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyPrecedence: which error wins when a token has several problems.
func TestVerifyPrecedence(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	expired := func() jwt.MapClaims { return contactMap(t0.Add(-2 * time.Hour)) } // exp an hour ago

	_, err := s.Verify(signEd(t, 1, nil, expired()), testOrg)
	checkVerifyError(t, err, ErrExpired)

	// Bad signature and expired: invalid.
	h, p, sig := parts(t, signEd(t, 1, nil, expired()))
	_, err = s.Verify(h+"."+p+"."+flip(sig, 5), testOrg)
	checkVerifyError(t, err, ErrInvalid)
	// Unknown key and expired: invalid.
	_, err = s.Verify(signEd(t, 9, nil, expired()), testOrg)
	checkVerifyError(t, err, ErrInvalid)
	// Wrong issuer and expired: invalid.
	c := expired()
	c["iss"] = "other"
	_, err = s.Verify(signEd(t, 1, nil, c), testOrg)
	checkVerifyError(t, err, ErrInvalid)
	// Missing claim, other org and expired: invalid.
	c = expired()
	delete(c, "jti")
	c["aud"] = otherOrg
	_, err = s.Verify(signEd(t, 1, nil, c), testOrg)
	checkVerifyError(t, err, ErrInvalid)
	// Other org and expired: wrong audience.
	c = expired()
	c["aud"] = otherOrg
	_, err = s.Verify(signEd(t, 1, nil, c), testOrg)
	checkVerifyError(t, err, ErrWrongAudience)
	// Other org, bad signature: invalid.
	c = contactMap(t0)
	c["aud"] = otherOrg
	h, p, sig = parts(t, signEd(t, 1, nil, c))
	_, err = s.Verify(h+"."+p+"."+flip(sig, 5), testOrg)
	checkVerifyError(t, err, ErrInvalid)
}

func TestVerifyAudience(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	tok := signEd(t, 1, nil, contactMap(t0))
	if _, err := s.Verify(tok, testOrg); err != nil {
		t.Fatal(err)
	}
	_, err := s.Verify(tok, otherOrg)
	checkVerifyError(t, err, ErrWrongAudience)
	_, err = s.Verify(tok, "")
	checkVerifyError(t, err, ErrWrongAudience)

	// aud as a plain string, and as an array that contains the org.
	for _, aud := range []any{testOrg, []string{otherOrg, testOrg}} {
		c := contactMap(t0)
		c["aud"] = aud
		if _, err := s.Verify(signEd(t, 1, nil, c), testOrg); err != nil {
			t.Errorf("aud %v: %v", aud, err)
		}
	}
	// An empty org id never matches an empty audience entry.
	c := contactMap(t0)
	c["aud"] = []string{"", testOrg}
	_, err = s.Verify(signEd(t, 1, nil, c), "")
	checkVerifyError(t, err, ErrWrongAudience)
}

func TestVerifySizeLimit(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	// Grow a valid token to exactly MaxTokenBytes, then one byte more.
	tokenOfSize := func(n int) string {
		c := contactMap(t0)
		c["pad"] = ""
		base := len(signEd(t, 1, nil, c))
		// Each 3 bytes of pad add 4 characters.
		for pad := (n - base) * 3 / 4; ; pad++ {
			c["pad"] = strings.Repeat("x", pad)
			tok := signEd(t, 1, nil, c)
			if len(tok) >= n {
				return tok
			}
		}
	}
	tok := tokenOfSize(MaxTokenBytes - 2)
	if len(tok) > MaxTokenBytes {
		t.Fatalf("test token is %d bytes", len(tok))
	}
	if _, err := s.Verify(tok, testOrg); err != nil {
		t.Fatalf("token of %d bytes: %v", len(tok), err)
	}
	tok = tokenOfSize(MaxTokenBytes + 1)
	_, err := s.Verify(tok, testOrg)
	checkVerifyError(t, err, ErrInvalid)
	if !strings.Contains(err.Error(), reasonTooLarge) {
		t.Errorf("token of %d bytes: %v, want %q", len(tok), err, reasonTooLarge)
	}
}

func TestVerifyReturnsFreshClaims(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	tok := signEd(t, 1, nil, contactMap(t0))
	a, _ := s.Verify(tok, testOrg)
	a.Subject = "changed"
	b, _ := s.Verify(tok, testOrg)
	if b.Subject != "contact-1" {
		t.Fatalf("claims shared between calls")
	}
}

func TestIssuedAtTime(t *testing.T) {
	ms := &Claims{IssuedAtMilli: t0.UnixMilli(), RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(t0)}}
	if got := ms.IssuedAtTime(); !got.Equal(t0) {
		t.Errorf("with iat_ms: %v", got)
	}
	sec := &Claims{RegisteredClaims: jwt.RegisteredClaims{IssuedAt: jwt.NewNumericDate(t0)}}
	if got := sec.IssuedAtTime(); !got.Equal(t0.Truncate(time.Second)) {
		t.Errorf("iat only: %v", got)
	}
	if got := (&Claims{}).IssuedAtTime(); !got.IsZero() {
		t.Errorf("neither: %v", got)
	}
	if got := (*Claims)(nil).IssuedAtTime(); !got.IsZero() {
		t.Errorf("nil: %v", got)
	}
}

// TestRevocationPrecision: a token issued in the same second as a revocation
// but after it is told apart by IssuedAtTime.
func TestRevocationPrecision(t *testing.T) {
	now := t0 // .250
	s := newTestService(t, &now)
	revokedBefore := t0.Add(100 * time.Millisecond) // .350
	var issued [2]*Claims
	for i, at := range []time.Time{t0, t0.Add(500 * time.Millisecond)} {
		now = at
		tok, _, err := s.Issue(Claims{
			RegisteredClaims: jwt.RegisteredClaims{Subject: "e:a@b.c", Audience: jwt.ClaimStrings{testOrg}},
			Kind:             KindVerified, Email: "a@b.c", APIKeyID: "key-1",
		}, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if issued[i], err = s.Verify(tok, testOrg); err != nil {
			t.Fatal(err)
		}
	}
	if !issued[0].IssuedAtTime().Before(revokedBefore) || issued[1].IssuedAtTime().Before(revokedBefore) {
		t.Errorf("issued at %v and %v, revoked before %v", issued[0].IssuedAtTime(), issued[1].IssuedAtTime(), revokedBefore)
	}
	if !issued[0].IssuedAt.Equal(issued[1].IssuedAt.Time) {
		t.Errorf("the test wants both in the same second")
	}
}

// TestConcurrent shares one Service between goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				sub := fmt.Sprintf("d-%d-%d", g, i)
				tok, _, err := s.Issue(Claims{
					RegisteredClaims: jwt.RegisteredClaims{Subject: sub, Audience: jwt.ClaimStrings{testOrg}},
					Kind:             KindContact, ContactID: sub,
				}, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				c, err := s.Verify(tok, testOrg)
				if err != nil || c.Subject != sub {
					t.Errorf("Verify: %v, %v", c, err)
					return
				}
				if _, err := s.Verify(tok, otherOrg); !errors.Is(err, ErrWrongAudience) {
					t.Errorf("other org: %v", err)
				}
				_ = s.JWKS()
			}
		})
	}
	wg.Wait()
}

// TestJWTGlobalsUntouched: the package leaves golang-jwt's globals alone.
func TestJWTGlobalsUntouched(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	tok, _, _ := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "c", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindContact, ContactID: "c",
	}, time.Hour)
	_, _ = s.Verify(tok, testOrg)
	if jwt.TimePrecision != time.Second || !jwt.MarshalSingleStringAsArray {
		t.Fatalf("jwt globals changed: %v %v", jwt.TimePrecision, jwt.MarshalSingleStringAsArray)
	}
}
