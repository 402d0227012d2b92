//go:build js && wasm

// Package webcrypto is a token.Engine over the WebCrypto API (crypto.subtle)
// of the JavaScript host: in the Worker, workerd's native Ed25519, which signs
// and verifies many times faster than crypto/ed25519 compiled to WebAssembly.
//
// The signing keys are non-extractable CryptoKeys: after NewKey, neither Go
// nor JavaScript can read them back.
package webcrypto

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/worker/jscall"
)

// ErrUnavailable: the host has no crypto.subtle.
var ErrUnavailable = errors.New("webcrypto: crypto.subtle is not available")

// Engine signs and verifies Ed25519 with crypto.subtle. It is safe for
// concurrent use.
type Engine struct {
	subtle js.Value
	alg    js.Value // {name: "Ed25519"}
}

var _ token.Engine = (*Engine)(nil)

// New returns the Engine of the global crypto.subtle, or ErrUnavailable.
func New() (*Engine, error) {
	subtle := js.Global().Get("crypto")
	if subtle.Type() == js.TypeObject {
		subtle = subtle.Get("subtle")
	}
	if subtle.Type() != js.TypeObject {
		return nil, ErrUnavailable
	}
	alg := js.Global().Get("Object").New()
	alg.Set("name", "Ed25519")
	return &Engine{subtle: subtle, alg: alg}, nil
}

// pkcs8Prefix is the DER of a PKCS #8 Ed25519 private key (RFC 8410) up to
// its 32-byte seed.
var pkcs8Prefix = []byte{0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20}

// NewKey makes the CryptoKeys of seed: WebCrypto derives the public key (a
// scalar multiplication that costs crypto/ed25519 in WebAssembly tens of
// milliseconds of cold start the first time, to build its tables), the
// signing key is imported non-extractable, the verifying key from the
// public one.
func (e *Engine) NewKey(seed []byte) (token.EngineKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("webcrypto: an Ed25519 seed is 32 bytes")
	}
	der := jscall.BytesToJS(append(append(make([]byte, 0, len(pkcs8Prefix)+len(seed)), pkcs8Prefix...), seed...))
	// Extractable only for as long as it takes to read x; then dropped.
	exportable, err := e.importKey("pkcs8", der, true, "sign")
	jscall.Call(der, "fill", 0)
	if err != nil {
		return nil, fmt.Errorf("webcrypto: importing a private key: %w", err)
	}
	jwk, err := e.await(jscall.Call(e.subtle, "exportKey", "jwk", exportable))
	if err != nil {
		return nil, fmt.Errorf("webcrypto: deriving a public key: %w", err)
	}
	x, err := jscall.Call(jwk, "hasOwnProperty", "x")
	if err != nil || !x.Truthy() {
		return nil, errors.New("webcrypto: deriving a public key: no x in the JWK")
	}
	public, err := base64.RawURLEncoding.DecodeString(jwk.Get("x").String())
	if err != nil || len(public) != ed25519.PublicKeySize {
		return nil, errors.New("webcrypto: deriving a public key: x is not 32 bytes of base64url")
	}
	// The JWK's d is the seed: import it non-extractable, then clear it.
	signing, err := e.importKey("jwk", jwk, false, "sign")
	jwk.Set("d", "")
	if err != nil {
		return nil, fmt.Errorf("webcrypto: importing a private key: %w", err)
	}
	verifying, err := e.importKey("raw", jscall.BytesToJS(public), true, "verify")
	if err != nil {
		return nil, fmt.Errorf("webcrypto: importing a public key: %w", err)
	}
	return &key{e: e, public: public, signing: signing, verifying: verifying}, nil
}

func (e *Engine) await(p js.Value, err error) (js.Value, error) {
	if err != nil {
		return js.Value{}, err
	}
	return jscall.Await(context.Background(), p)
}

func (e *Engine) importKey(format string, data js.Value, extractable bool, usage string) (js.Value, error) {
	usages := js.Global().Get("Array").New(usage)
	return e.await(jscall.Call(e.subtle, "importKey", format, data, e.alg, extractable, usages))
}

type key struct {
	e                  *Engine
	public             ed25519.PublicKey
	signing, verifying js.Value // CryptoKeys
}

func (k *key) Public() ed25519.PublicKey { return k.public }

func (k *key) Sign(message []byte) ([]byte, error) {
	p, err := jscall.Call(k.e.subtle, "sign", k.e.alg, k.signing, jscall.BytesToJS(message))
	if err == nil {
		var sig js.Value
		if sig, err = jscall.Await(context.Background(), p); err == nil {
			b := jscall.BytesFromJS(sig)
			if len(b) != ed25519.SignatureSize {
				return nil, fmt.Errorf("webcrypto: sign gave %d bytes", len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("webcrypto: sign: %w", err)
}

func (k *key) Verify(message, signature []byte) (bool, error) {
	if len(signature) != ed25519.SignatureSize {
		return false, nil
	}
	p, err := jscall.Call(k.e.subtle, "verify", k.e.alg, k.verifying, jscall.BytesToJS(signature), jscall.BytesToJS(message))
	if err == nil {
		var ok js.Value
		if ok, err = jscall.Await(context.Background(), p); err == nil {
			if ok.Type() != js.TypeBoolean {
				return false, fmt.Errorf("webcrypto: verify gave a %s", ok.Type())
			}
			return ok.Bool(), nil
		}
	}
	return false, fmt.Errorf("webcrypto: verify: %w", err)
}
