package token_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/token"
	"github.com/chatwidget/identity/internal/token/enginetest"
)

func TestGoEngine(t *testing.T) { enginetest.Run(t, token.GoEngine) }

// countingEngine is GoEngine counting its calls, or failing them on demand.
type countingEngine struct {
	signs, verifies atomic.Int64
	failNewKey      bool
	failVerify      bool
}

func (e *countingEngine) NewKey(seed []byte) (token.EngineKey, error) {
	if e.failNewKey {
		return nil, errors.New("engine: no")
	}
	k, err := token.GoEngine.NewKey(seed)
	return countingKey{k, e}, err
}

type countingKey struct {
	token.EngineKey
	e *countingEngine
}

func (k countingKey) Sign(m []byte) ([]byte, error) {
	k.e.signs.Add(1)
	return k.EngineKey.Sign(m)
}

func (k countingKey) Verify(m, sig []byte) (bool, error) {
	k.e.verifies.Add(1)
	if k.e.failVerify {
		return false, errors.New("engine: broken")
	}
	return k.EngineKey.Verify(m, sig)
}

const engineSpec = "e1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

func engineService(t *testing.T, e token.Engine) *token.Service {
	t.Helper()
	ring, err := token.ParseKeyRing(engineSpec, token.WithEngine(e))
	if err != nil {
		t.Fatal(err)
	}
	return token.NewService(ring, "https://chat.example")
}

func verifiedClaims() token.Claims {
	c := token.Claims{Kind: token.KindVerified, UserID: "u-1", APIKeyID: "key-1"}
	c.Subject = "u:u-1"
	c.Audience = []string{"org_a"}
	return c
}

// The ring's engine does every signature and every check of one, once per
// token, and only for a token whose header and kid passed.
func TestServiceUsesTheRingsEngine(t *testing.T) {
	e := &countingEngine{}
	s := engineService(t, e)
	tok, _, err := s.Issue(verifiedClaims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(tok, "org_a"); err != nil {
		t.Fatal(err)
	}
	if e.signs.Load() != 1 || e.verifies.Load() != 1 {
		t.Fatalf("signs %d verifies %d, want 1 and 1", e.signs.Load(), e.verifies.Load())
	}
	// Another kid: refused before the engine is asked.
	_, rest, _ := strings.Cut(tok, ".")
	other := "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUiLCJ0eXAiOiJKV1QifQ." + rest
	if _, err := s.Verify(other, "org_a"); !errors.Is(err, token.ErrInvalid) {
		t.Fatalf("unknown kid: %v", err)
	}
	if e.verifies.Load() != 1 {
		t.Fatalf("the engine was asked about a token of an unknown kid")
	}
}

// A broken engine is the server's fault: Verify's error then wraps none of
// the verdicts, so the API cannot answer it as a bad token.
func TestEngineFailureIsNotAVerdict(t *testing.T) {
	e := &countingEngine{}
	s := engineService(t, e)
	tok, _, err := s.Issue(verifiedClaims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.failVerify = true
	_, err = s.Verify(tok, "org_a")
	if err == nil {
		t.Fatal("Verify succeeded with a broken engine")
	}
	for _, v := range []error{token.ErrInvalid, token.ErrExpired, token.ErrWrongAudience} {
		if errors.Is(err, v) {
			t.Errorf("error %q wraps %v", err, v)
		}
	}
	if strings.Contains(err.Error(), tok) {
		t.Error("the error contains the token")
	}
}

func TestEngineRefusingAKey(t *testing.T) {
	_, err := token.ParseKeyRing(engineSpec, token.WithEngine(&countingEngine{failNewKey: true}))
	if !errors.Is(err, token.ErrKeyRing) || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("ParseKeyRing = %v, want ErrKeyRing naming entry 1", err)
	}
	if strings.Contains(err.Error(), "AAECAwQF") {
		t.Fatal("the error quotes the seed")
	}
}
