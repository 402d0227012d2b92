package token

import (
	"crypto/ed25519"
	"encoding/base64"
)

// buildJWKS encodes the public keys of ring, in ring order (RFC 7517's set
// of RFC 8037's keys): the bytes json.Marshal gives of jwks_test.go's jwkSet,
// written out (TestBuildJWKSIsJSONMarshal holds it to that). Every member is
// a constant, base64url or a kid (validKID: A-Z a-z 0-9 . _ -), none of which
// JSON escapes. The worker builds it when it starts, where encoding/json's
// first use cost about 3 ms in workerd (V8 compiling the encoder on its first
// call; 2026-12-07, worker/test/bench/README.md): that is now left to the
// first request whose answer needs it, and GET /.well-known/jwks.json's
// never does.
func buildJWKS(ring *KeyRing) []byte {
	b := make([]byte, 0, 16+len(ring.keys)*(96+base64.RawURLEncoding.EncodedLen(ed25519.PublicKeySize)+MaxKIDLength))
	b = append(b, `{"keys":[`...)
	for i, k := range ring.keys {
		if i > 0 {
			b = append(b, ',')
		}
		if !validKID(k.kid) {
			panic("token: encoding JWKS: a kid ParseKeyRing refuses") // cannot happen
		}
		b = append(b, `{"kty":"OKP","crv":"Ed25519","x":"`...)
		b = base64.RawURLEncoding.AppendEncode(b, k.key.Public())
		b = append(b, `","kid":"`...)
		b = append(b, k.kid...)
		b = append(b, `","alg":"`+alg+`","use":"sig"}`...)
	}
	return append(b, "]}"...)
}
