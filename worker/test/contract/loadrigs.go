package contract

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// LoopbackLoadVars are the wrangler dev vars of a rig whose every simulated
// client calls from 127.0.0.1 (soak, webhooke2e): the per-address rate
// limits off, the per-device ones kept; the pairs of more add or replace.
func LoopbackLoadVars(more ...string) map[string]string {
	vars := map[string]string{"RATE_LIMIT_CONTACTS_PER_IP": "0", "RATE_LIMIT_MESSAGES_PER_IP": "0"}
	for i := 0; i+1 < len(more); i += 2 {
		vars[more[i]] = more[i+1]
	}
	return vars
}

// HeaderMap sets every header of h, for the rigs that keep a request's
// headers in a map.
func HeaderMap(h map[string]string) Option {
	return func(dst http.Header) {
		for k, v := range h {
			dst.Set(k, v)
		}
	}
}

// VerifyToken checks a user token against a JWKS document the way a customer
// would with the public keys alone (bench checks both workers' tokens with
// it; a test of the JWKS can too): EdDSA, a kid of the set, a good Ed25519
// signature, iss, aud (a string or an array holding aud), kind, sub, jti,
// and exp in the future. It returns the claims.
func VerifyToken(token string, jwks []byte, iss, aud string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if header.Alg != "EdDSA" || header.Kid == "" {
		return nil, fmt.Errorf("header alg %q kid %q, want EdDSA and a kid", header.Alg, header.Kid)
	}
	var set struct {
		Keys []struct {
			Kty, Crv, X, Kid, Alg string
		} `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	var pub ed25519.PublicKey
	for _, k := range set.Keys {
		if k.Kid == header.Kid && k.Kty == "OKP" && k.Crv == "Ed25519" {
			b, err := base64.RawURLEncoding.DecodeString(k.X)
			if err != nil || len(b) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("jwks key %q: bad x", k.Kid)
			}
			pub = b
		}
	}
	if pub == nil {
		return nil, fmt.Errorf("kid %q is not in the JWKS", header.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		return nil, errors.New("bad signature")
	}
	var claims map[string]any
	if err := decodeSegment(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if claims["iss"] != iss {
		return nil, fmt.Errorf("iss %v, want %q", claims["iss"], iss)
	}
	switch a := claims["aud"].(type) {
	case string:
		if a != aud {
			return nil, fmt.Errorf("aud %q, want %q", a, aud)
		}
	case []any:
		if len(a) != 1 || a[0] != aud {
			return nil, fmt.Errorf("aud %v, want [%q]", a, aud)
		}
	default:
		return nil, fmt.Errorf("aud %v, want %q", claims["aud"], aud)
	}
	if k := claims["kind"]; k != "contact" && k != "verified" {
		return nil, fmt.Errorf("kind %v", k)
	}
	for _, c := range []string{"sub", "jti"} {
		if s, _ := claims[c].(string); s == "" {
			return nil, fmt.Errorf("no %s", c)
		}
	}
	for _, c := range []string{"exp", "iat", "nbf", "iat_ms"} {
		if _, ok := claims[c].(float64); !ok {
			return nil, fmt.Errorf("no %s", c)
		}
	}
	if exp := claims["exp"].(float64); time.Unix(int64(exp), 0).Before(time.Now()) {
		return nil, errors.New("expired")
	}
	return claims, nil
}

func decodeSegment(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
