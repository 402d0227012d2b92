package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestJWKSVerifiesTokens checks a token with nothing but the published JWKS
// and crypto/ed25519, as a third party would.
func TestJWKSVerifiesTokens(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	tok, _, err := s.Issue(Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u:u-1", Audience: jwt.ClaimStrings{testOrg}},
		Kind:             KindVerified, UserID: "u-1", APIKeyID: "key-1",
	}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	if len(set.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want 2", len(set.Keys))
	}
	keys := map[string]ed25519.PublicKey{}
	for i, k := range set.Keys {
		var names []string
		for name := range k {
			names = append(names, name)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"alg", "crv", "kid", "kty", "use", "x"}) {
			t.Errorf("key %d has members %q", i, names) // in particular no "d"
		}
		if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["alg"] != "EdDSA" || k["use"] != "sig" {
			t.Errorf("key %d = %v", i, k)
		}
		x, err := base64.RawURLEncoding.DecodeString(k["x"])
		if err != nil || len(x) != ed25519.PublicKeySize {
			t.Fatalf("key %d: x = %q (%v)", i, k["x"], err)
		}
		keys[k["kid"]] = x
	}
	if set.Keys[0]["kid"] != "a1" || set.Keys[1]["kid"] != "a2" {
		t.Errorf("kids %q %q, want the ring order a1 a2", set.Keys[0]["kid"], set.Keys[1]["kid"])
	}
	if !keys["a1"].Equal(testKey(1).Public()) || !keys["a2"].Equal(testKey(2).Public()) {
		t.Error("JWKS keys are not the ring's public keys")
	}

	h, p, sig := parts(t, tok)
	rawHeader, _ := base64.RawURLEncoding.DecodeString(h)
	var header struct{ Alg, Kid string }
	if err := json.Unmarshal(rawHeader, &header); err != nil {
		t.Fatal(err)
	}
	rawSig, _ := base64.RawURLEncoding.DecodeString(sig)
	if header.Alg != "EdDSA" || !ed25519.Verify(keys[header.Kid], []byte(h+"."+p), rawSig) {
		t.Fatalf("token does not verify with the JWKS key %q", header.Kid)
	}
	if ed25519.Verify(keys["a2"], []byte(h+"."+p), rawSig) {
		t.Fatal("token verifies with the wrong key")
	}
}

func TestJWKSIsACopy(t *testing.T) {
	now := t0
	s := newTestService(t, &now)
	a := s.JWKS()
	want := string(a)
	clear(a)
	if got := string(s.JWKS()); got != want {
		t.Fatalf("JWKS changed by a caller: %q", got)
	}
	if strings.Contains(want, base64.RawURLEncoding.EncodeToString(testSeed(1))) {
		t.Fatal("JWKS contains a seed")
	}
}

// jwk is an Ed25519 public key (buildJWKS writes it out) as a JSON Web Key (RFC 8037).
type jwk struct {
	Kty string `json:"kty"` // "OKP"
	Crv string `json:"crv"` // "Ed25519"
	X   string `json:"x"`   // the public key, base64url without padding
	Kid string `json:"kid"`
	Alg string `json:"alg"` // "EdDSA"
	Use string `json:"use"` // "sig"
}

// jwkSet is a JSON Web Key Set (RFC 7517, section 5).
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// TestBuildJWKSIsJSONMarshal holds buildJWKS to json.Marshal of the set it
// writes out by hand, for rings of one to four keys and kids of every
// character validKID allows.
func TestBuildJWKSIsJSONMarshal(t *testing.T) {
	kids := []string{"a1", "Z.9_-x", strings.Repeat("k", MaxKIDLength), "0"}
	for n := 1; n <= len(kids); n++ {
		var spec []string
		for i := range n {
			spec = append(spec, kids[i]+":"+base64.RawURLEncoding.EncodeToString(testKey(byte(i+1)).Seed()))
		}
		ring, err := ParseKeyRing(strings.Join(spec, ","))
		if err != nil {
			t.Fatal(err)
		}
		set := jwkSet{Keys: []jwk{}}
		for _, k := range ring.keys {
			set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.key.Public()), Kid: k.kid, Alg: alg, Use: "sig"})
		}
		want, err := json.Marshal(set)
		if err != nil {
			t.Fatal(err)
		}
		if got := buildJWKS(ring); string(got) != string(want) {
			t.Errorf("%d keys: buildJWKS = %s\njson.Marshal = %s", n, got, want)
		}
	}
}
