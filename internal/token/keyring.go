package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// MaxKIDLength is the longest kid a key ring accepts.
const MaxKIDLength = 64

// KeyRing holds the worker's Ed25519 keys, each named by a kid. The first key
// signs new tokens; every key verifies. Rotation: put a new key first and keep
// the old one after it until the tokens it signed have expired, then drop it.
//
// A KeyRing is immutable and safe for concurrent use. Its private keys live
// in its [Engine] (GoEngine keeps them in closures; WebCrypto in keys it will
// not export): printing or logging a KeyRing (or a [Service]) with fmt, in
// any verb, or encoding it to JSON never reveals them.
type KeyRing struct {
	keys  []ringKey      // in spec order; keys[0] signs
	byKID map[string]int // index in keys of every kid, for verification
}

type ringKey struct {
	kid string
	key EngineKey
}

// signer is the crypto.Signer golang-jwt signs with: a ring key's Sign.
type signer struct {
	key EngineKey
}

// Public returns the ed25519.PublicKey.
func (s signer) Public() crypto.PublicKey { return s.key.Public() }

// Sign signs message itself (pure Ed25519), as golang-jwt asks with
// crypto.Hash(0); rand is not used.
func (s signer) Sign(_ io.Reader, message []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != crypto.Hash(0) {
		return nil, errors.New("token: Ed25519 signs the message, not a digest")
	}
	return s.key.Sign(message)
}

// ParseKeyRing reads a key ring from spec: entries "kid:seed" separated by
// commas, spaces or newlines, where kid is 1 to 64 characters of A-Z a-z 0-9
// . _ - and seed is the base64url encoding (padded or not) of a 32-byte
// Ed25519 seed, as made by [GenerateKeySpec]. The first entry is the signing
// key.
//
// An empty spec, an entry without a colon, a bad kid, a repeated kid, a seed
// that is not base64url or not 32 bytes long is an error wrapping [ErrKeyRing]
// that names the entry by its position, never by its content. So is a key the
// Engine (see [WithEngine]) cannot take.
func ParseKeyRing(spec string, opts ...RingOption) (*KeyRing, error) {
	o := ringOptions{engine: GoEngine}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	entries := strings.FieldsFunc(spec, func(r rune) bool {
		return r == ',' || unicode.IsSpace(r)
	})
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: empty spec", ErrKeyRing)
	}
	r := &KeyRing{
		keys:  make([]ringKey, 0, len(entries)),
		byKID: make(map[string]int, len(entries)),
	}
	position := make(map[string]int, len(entries))
	for i, entry := range entries {
		n := i + 1
		kid, encoded, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%w: entry %d: want kid:seed", ErrKeyRing, n)
		}
		if !validKID(kid) {
			return nil, fmt.Errorf("%w: entry %d: kid must be 1 to %d characters of A-Z a-z 0-9 . _ -", ErrKeyRing, n, MaxKIDLength)
		}
		if first, dup := position[kid]; dup {
			return nil, fmt.Errorf("%w: entry %d: kid repeats entry %d", ErrKeyRing, n, first)
		}
		seed, err := decodeSeed(encoded)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: seed is not base64url", ErrKeyRing, n)
		}
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("%w: entry %d: seed must be %d bytes, got %d", ErrKeyRing, n, ed25519.SeedSize, len(seed))
		}
		key, err := o.engine.NewKey(seed)
		clear(seed)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: the signature engine refused the key", ErrKeyRing, n)
		}
		position[kid] = n
		r.keys = append(r.keys, ringKey{kid: kid, key: key})
		r.byKID[kid] = len(r.keys) - 1
	}
	return r, nil
}

// GenerateKeySpec returns a key ring entry "kid:seed" with a fresh random seed
// from crypto/rand, for `make dev`, tests and documentation. Join entries with
// commas to make a spec for [ParseKeyRing].
func GenerateKeySpec(kid string) (string, error) {
	if !validKID(kid) {
		return "", fmt.Errorf("%w: kid must be 1 to %d characters of A-Z a-z 0-9 . _ -", ErrKeyRing, MaxKIDLength)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return "", fmt.Errorf("token: reading random seed: %w", err)
	}
	return kid + ":" + base64.RawURLEncoding.EncodeToString(seed), nil
}

// SigningKID is the kid of the key that signs new tokens: the first of the spec.
func (r KeyRing) SigningKID() string {
	if len(r.keys) == 0 {
		return ""
	}
	return r.keys[0].kid
}

// KIDs returns the kids of the ring in spec order, the signing kid first.
func (r KeyRing) KIDs() []string {
	kids := make([]string, len(r.keys))
	for i, k := range r.keys {
		kids[i] = k.kid
	}
	return kids
}

// String describes the ring by its kids, never its keys.
func (r KeyRing) String() string { return fmt.Sprintf("token.KeyRing%q", r.KIDs()) }

// GoString is String.
func (r KeyRing) GoString() string { return r.String() }

// key returns the ring key named kid.
func (r KeyRing) key(kid string) (ringKey, bool) {
	i, ok := r.byKID[kid]
	if !ok {
		return ringKey{}, false
	}
	return r.keys[i], true
}

// validKID reports whether kid is 1 to MaxKIDLength characters of
// A-Z a-z 0-9 . _ -.
func validKID(kid string) bool {
	if len(kid) == 0 || len(kid) > MaxKIDLength {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// decodeSeed decodes base64url with or without padding, canonical only.
func decodeSeed(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") {
		return base64.URLEncoding.Strict().DecodeString(s)
	}
	return base64.RawURLEncoding.Strict().DecodeString(s)
}
