package token

import (
	"crypto/ed25519"
	"errors"
)

// Engine computes the Ed25519 signatures of a key ring. The default,
// [GoEngine], is crypto/ed25519. A host with a faster implementation of its
// own passes it to [ParseKeyRing] with [WithEngine]: the Worker uses
// WebCrypto (worker/webcrypto), which V8 runs natively, where Go compiled to
// WebAssembly is many times slower.
//
// Signatures are pure Ed25519 (RFC 8032), which is deterministic: every
// correct engine makes the same bytes for the same key and message, and
// accepts what the others make.
type Engine interface {
	// NewKey prepares one key of the ring from its 32-byte seed (RFC 8032's
	// private key): for signing, and its public half for verifying. It is
	// called once per key, by ParseKeyRing; the engine must not keep the
	// seed beyond what signing needs, and its errors must not contain key
	// material.
	NewKey(seed []byte) (EngineKey, error)
}

// EngineKey is one key of the ring, as its Engine holds it. It is safe for
// concurrent use.
type EngineKey interface {
	// Public returns the public key.
	Public() ed25519.PublicKey

	// Sign returns the 64-byte Ed25519 signature of message.
	Sign(message []byte) ([]byte, error)

	// Verify reports whether signature is a valid Ed25519 signature of
	// message by this key. The error is the engine's own failure, never a
	// verdict on the signature.
	Verify(message, signature []byte) (bool, error)
}

// GoEngine is the Engine of crypto/ed25519, the default of [ParseKeyRing].
var GoEngine Engine = goEngine{}

type goEngine struct{}

func (goEngine) NewKey(seed []byte) (EngineKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("token: an Ed25519 seed is 32 bytes")
	}
	private := ed25519.NewKeyFromSeed(seed)
	return goKey{
		public: private.Public().(ed25519.PublicKey),
		sign:   func(message []byte) []byte { return ed25519.Sign(private, message) },
	}, nil
}

// goKey keeps its private key in a closure, where fmt and other reflection
// cannot see it.
type goKey struct {
	public ed25519.PublicKey
	sign   func(message []byte) []byte
}

func (k goKey) Public() ed25519.PublicKey { return k.public }

func (k goKey) Sign(message []byte) ([]byte, error) { return k.sign(message), nil }

func (k goKey) Verify(message, signature []byte) (bool, error) {
	return ed25519.Verify(k.public, message, signature), nil
}

// RingOption configures [ParseKeyRing].
type RingOption func(*ringOptions)

type ringOptions struct {
	engine Engine
}

// WithEngine sets the Engine that signs and verifies with the ring's keys;
// nil keeps [GoEngine].
func WithEngine(e Engine) RingOption {
	return func(o *ringOptions) {
		if e != nil {
			o.engine = e
		}
	}
}
