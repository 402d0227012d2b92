// Package enginetest checks that a [token.Engine] signs and verifies exactly
// as Ed25519 must (RFC 8032): the engine's own tests call [Run]. It runs for
// [token.GoEngine] natively and for the Worker's WebCrypto engine as
// GOOS=js GOARCH=wasm under Node (worker/webcrypto).
package enginetest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/token"
)

// vectors are tests 1 to 3 of RFC 8032, section 7.1.
var vectors = []struct{ seed, message, signature string }{
	{
		"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		"",
		"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	},
	{
		"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		"72",
		"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	},
	{
		"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
		"af82",
		"6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
	},
}

// Run checks e: the RFC 8032 vectors; the same signatures as crypto/ed25519
// on keys and messages of many sizes, and acceptance of its signatures;
// refusal of damaged, foreign, non-canonical and wrongly sized signatures
// (false, never an error); the public key of each seed, and refusal of a
// seed that is not 32 bytes; concurrent use; and, through a [token.Service], tokens that verify across engines.
func Run(t *testing.T, e token.Engine) {
	t.Run("RFC8032", func(t *testing.T) { rfc8032(t, e) })
	t.Run("SameAsGo", func(t *testing.T) { sameAsGo(t, e) })
	t.Run("Refuses", func(t *testing.T) { refuses(t, e) })
	t.Run("BadKey", func(t *testing.T) { badKey(t, e) })
	t.Run("Concurrent", func(t *testing.T) { concurrent(t, e) })
	t.Run("Service", func(t *testing.T) { service(t, e) })
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newKey(t *testing.T, e token.Engine, private ed25519.PrivateKey) token.EngineKey {
	t.Helper()
	k, err := e.NewKey(private.Seed())
	if err != nil {
		t.Fatalf("NewKey: %v", err)
	}
	if got, want := k.Public(), private.Public().(ed25519.PublicKey); !got.Equal(want) {
		t.Fatalf("Public = %x, want %x", got, want)
	}
	return k
}

func sign(t *testing.T, k token.EngineKey, message []byte) []byte {
	t.Helper()
	sig, err := k.Sign(message)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return sig
}

func verify(t *testing.T, k token.EngineKey, message, sig []byte) bool {
	t.Helper()
	ok, err := k.Verify(message, sig)
	if err != nil {
		t.Fatalf("Verify returned an error, want a verdict: %v", err)
	}
	return ok
}

func rfc8032(t *testing.T, e token.Engine) {
	for i, v := range vectors {
		k := newKey(t, e, ed25519.NewKeyFromSeed(unhex(t, v.seed)))
		message, want := unhex(t, v.message), unhex(t, v.signature)
		if got := sign(t, k, message); hex.EncodeToString(got) != v.signature {
			t.Errorf("test %d: Sign = %x, want %s", i+1, got, v.signature)
		}
		if !verify(t, k, message, want) {
			t.Errorf("test %d: Verify refused the RFC's signature", i+1)
		}
	}
}

// keyFrom is a deterministic private key, distinct for distinct b.
func keyFrom(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = b*31 + byte(i)*7
	}
	return ed25519.NewKeyFromSeed(seed)
}

func message(n int) []byte {
	m := make([]byte, n)
	for i := range m {
		m[i] = byte(i*131 + n)
	}
	return m
}

func sameAsGo(t *testing.T, e token.Engine) {
	for b := byte(1); b <= 3; b++ {
		private := keyFrom(b)
		k := newKey(t, e, private)
		for _, n := range []int{0, 1, 63, 64, 65, 200, 1000, 8 << 10} {
			m := message(n)
			want := ed25519.Sign(private, m)
			if got := sign(t, k, m); string(got) != string(want) {
				t.Errorf("key %d, %d-byte message: Sign = %x, crypto/ed25519 %x", b, n, got, want)
			}
			if !verify(t, k, m, want) {
				t.Errorf("key %d, %d-byte message: Verify refused crypto/ed25519's signature", b, n)
			}
		}
	}
}

// order is L, the order of Ed25519's base point.
var order, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

// nonCanonical returns sig with S replaced by S + L, which verifies under a
// lax implementation (RFC 8032 requires S < L).
func nonCanonical(sig []byte) []byte {
	le := func(b []byte) []byte { // little-endian <-> big-endian
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		return r
	}
	s := new(big.Int).SetBytes(le(sig[32:]))
	s.Add(s, order)
	out := make([]byte, 64)
	copy(out, sig[:32])
	sb := s.FillBytes(make([]byte, 32)) // S + L < 2^253: fits
	copy(out[32:], le(sb))
	return out
}

func refuses(t *testing.T, e token.Engine) {
	private := keyFrom(9)
	k := newKey(t, e, private)
	other := newKey(t, e, keyFrom(10))
	m := message(100)
	sig := ed25519.Sign(private, m)
	if !verify(t, k, m, sig) {
		t.Fatal("Verify refused a good signature")
	}
	cases := map[string]struct{ message, sig []byte }{
		"empty signature":         {m, nil},
		"63-byte signature":       {m, sig[:63]},
		"65-byte signature":       {m, append(append([]byte{}, sig...), 0)},
		"message changed":         {append([]byte{m[0] ^ 1}, m[1:]...), sig},
		"message one byte longer": {append(append([]byte{}, m...), 0), sig},
		"non-canonical S":         {m, nonCanonical(sig)},
		"all zero":                {m, make([]byte, 64)},
	}
	for _, bit := range []int{0, 7, 255, 256, 300, 511} {
		d := append([]byte{}, sig...)
		d[bit/8] ^= 1 << (bit % 8)
		cases[fmt.Sprintf("signature bit %d flipped", bit)] = struct{ message, sig []byte }{m, d}
	}
	for name, c := range cases {
		if verify(t, k, c.message, c.sig) {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
	if verify(t, other, m, sig) {
		t.Error("another key's Verify accepted the signature")
	}
	if !verify(t, k, m, sig) {
		t.Error("Verify refused the good signature after the bad ones")
	}
}

func badKey(t *testing.T, e token.Engine) {
	for _, n := range []int{0, 31, 33, 64} {
		if k, err := e.NewKey(make([]byte, n)); err == nil {
			t.Errorf("NewKey of a %d-byte seed = %v, want an error", n, k)
		}
	}
}

func concurrent(t *testing.T, e token.Engine) {
	private := keyFrom(20)
	k := newKey(t, e, private)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := message(50 + g)
			sig, err := k.Sign(m)
			if err != nil {
				errs <- err
				return
			}
			if string(sig) != string(ed25519.Sign(private, m)) {
				errs <- fmt.Errorf("goroutine %d: wrong signature", g)
			}
			ok, err := k.Verify(m, sig)
			if err != nil || !ok {
				errs <- fmt.Errorf("goroutine %d: Verify = %v, %v", g, ok, err)
			}
			bad := append([]byte{}, sig...)
			bad[g%64] ^= 0x10
			if ok, err := k.Verify(m, bad); err != nil || ok {
				errs <- fmt.Errorf("goroutine %d: Verify of a damaged signature = %v, %v", g, ok, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func service(t *testing.T, e token.Engine) {
	spec := ""
	for i, b := range []byte{30, 31} {
		if i > 0 {
			spec += ","
		}
		spec += fmt.Sprintf("k%d:%s", i+1, base64.RawURLEncoding.EncodeToString(keyFrom(b).Seed()))
	}
	const issuer, org = "https://chat.example", "org_a"
	ring := func(opts ...token.RingOption) *token.Service {
		r, err := token.ParseKeyRing(spec, opts...)
		if err != nil {
			t.Fatalf("ParseKeyRing: %v", err)
		}
		return token.NewService(r, issuer)
	}
	withEngine, withGo := ring(token.WithEngine(e)), ring()
	claims := token.Claims{Kind: token.KindVerified, UserID: "u-1", Email: "Ada@Example.com", APIKeyID: "key-1"}
	claims.Subject = "u:u-1"
	claims.Audience = []string{org}
	for _, pair := range []struct {
		name           string
		issuer, verify *token.Service
	}{{"engine issues, Go verifies", withEngine, withGo}, {"Go issues, engine verifies", withGo, withEngine}, {"engine both", withEngine, withEngine}} {
		tok, _, err := pair.issuer.Issue(claims, time.Hour)
		if err != nil {
			t.Fatalf("%s: Issue: %v", pair.name, err)
		}
		got, err := pair.verify.Verify(tok, org)
		if err != nil {
			t.Fatalf("%s: Verify: %v", pair.name, err)
		}
		if got.UserID != "u-1" || got.Email != "ada@example.com" {
			t.Errorf("%s: claims %+v", pair.name, got)
		}
		// The last character of the signature carries only 2 of its 6 bits
		// (64 bytes in 86 characters): change the one before.
		b := []byte(tok)
		i := len(b) - 2
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, err := pair.verify.Verify(string(b), org); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("%s: a damaged signature: %v, want ErrInvalid", pair.name, err)
		}
	}
}
