package token

import (
	"encoding/base64"
	"encoding/json"
)

// jwk is an Ed25519 public key as a JSON Web Key (RFC 8037).
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

// buildJWKS encodes the public keys of ring, in ring order.
func buildJWKS(ring *KeyRing) []byte {
	set := jwkSet{Keys: make([]jwk, 0, len(ring.keys))}
	for _, k := range ring.keys {
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(k.key.Public()),
			Kid: k.kid,
			Alg: alg,
			Use: "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic("token: encoding JWKS: " + err.Error()) // strings only: cannot happen
	}
	return b
}
