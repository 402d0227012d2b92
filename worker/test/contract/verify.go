package contract

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// VerifyToken checks a user token against a JWKS document the way a customer
// would with the public keys alone (bench checks both workers' tokens with
// it, e2e the worker's): EdDSA, a kid of the set, a good Ed25519 signature,
// iss, aud (a string or an array of exactly aud), kind, sub, jti, iat, nbf,
// iat_ms, and exp in the future. It returns the claims.
func VerifyToken(token string, jwks []byte, iss, aud string) (map[string]any, error) {
	var set JWKS
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for _, k := range set.Keys {
			if kid != "" && k.Kid == kid && k.Kty == "OKP" && k.Crv == "Ed25519" {
				b, err := base64.RawURLEncoding.DecodeString(k.X)
				if err != nil || len(b) != ed25519.PublicKeySize {
					return nil, fmt.Errorf("jwks key %q: bad x", k.Kid)
				}
				return ed25519.PublicKey(b), nil
			}
		}
		return nil, fmt.Errorf("kid %q is not in the JWKS", kid)
	}, jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithIssuer(iss), jwt.WithExpirationRequired())
	if err != nil {
		return nil, err
	}
	// jwt.WithAudience takes any array holding aud; the worker's is one.
	if a, ok := claims["aud"].([]any); claims["aud"] != aud && (!ok || len(a) != 1 || a[0] != aud) {
		return nil, fmt.Errorf("aud %v, want %q", claims["aud"], aud)
	}
	if k := claims["kind"]; k != "contact" && k != "verified" {
		return nil, fmt.Errorf("kind %v", k)
	}
	for _, c := range []string{"sub", "jti"} {
		if s, _ := claims[c].(string); s == "" {
			return nil, errors.New("no " + c)
		}
	}
	for _, c := range []string{"iat", "nbf", "iat_ms"} {
		if _, ok := claims[c].(float64); !ok {
			return nil, errors.New("no " + c)
		}
	}
	return claims, nil
}
