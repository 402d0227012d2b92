package token_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/token"
)

// cachedService is engineService with a verified-token cache of n, its
// counting engine, and the time its clock reads (now, until changed).
func cachedService(t *testing.T, n int) (*token.Service, *countingEngine, *time.Time) {
	t.Helper()
	e, now := &countingEngine{}, time.Now()
	ring, err := token.ParseKeyRing(engineSpec, token.WithEngine(e))
	if err != nil {
		t.Fatal(err)
	}
	s := token.NewService(ring, "https://chat.example", token.WithVerifiedCache(n),
		token.WithClock(func() time.Time { return now }))
	return s, e, &now
}

// A token presented again is not checked again; what it is checked for per
// org and per moment still is.
func TestVerifiedCacheSkipsTheSecondSignatureCheck(t *testing.T) {
	s, e, now := cachedService(t, 8)
	tok, _, err := s.Issue(verifiedClaims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c, err := s.Verify(tok, "org_a")
		if err != nil || c.UserID != "u-1" {
			t.Fatalf("verify %d: %+v, %v", i, c, err)
		}
	}
	if e.verifies.Load() != 1 {
		t.Fatalf("the engine checked the same token %d times, want once", e.verifies.Load())
	}
	if _, err := s.Verify(tok, "org_b"); !errors.Is(err, token.ErrWrongAudience) {
		t.Fatalf("another org, from the cache: %v, want ErrWrongAudience", err)
	}
	*now = now.Add(2 * time.Hour)
	if _, err := s.Verify(tok, "org_a"); !errors.Is(err, token.ErrExpired) {
		t.Fatalf("expired, from the cache: %v, want ErrExpired", err)
	}
}

// Only a token whose signature checked out is remembered: a damaged one is
// refused every time, and never answered from a genuine token's entry.
func TestVerifiedCacheKeepsOnlyGenuineTokens(t *testing.T) {
	s, e, _ := cachedService(t, 8)
	tok, _, err := s.Issue(verifiedClaims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(tok, "org_a"); err != nil {
		t.Fatal(err)
	}
	last := tok[len(tok)-1]
	flip := map[byte]byte{'A': 'B', 'Q': 'R', 'g': 'h', 'w': 'x'}[last]
	if flip == 0 {
		flip = 'A'
	}
	for name, bad := range map[string]string{
		"a signature damaged": tok[:len(tok)-1] + string(flip),
		"a payload damaged":   strings.Replace(tok, ".", ".X", 1),
		"padding added":       tok + "=",
		"the token twice":     tok + tok,
	} {
		for range 2 {
			if _, err := s.Verify(bad, "org_a"); !errors.Is(err, token.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	}
	e.failVerify = true // the engine broken: a genuine token seen before still passes, a new one does not
	if _, err := s.Verify(tok, "org_a"); err != nil {
		t.Errorf("the token seen before: %v", err)
	}
	other, _, _ := s.Issue(verifiedClaims(), time.Hour)
	if _, err := s.Verify(other, "org_a"); err == nil || errors.Is(err, token.ErrInvalid) {
		t.Errorf("a new token with a broken engine: %v, want the engine's error", err)
	}
	e.failVerify = false
	if _, err := s.Verify(other, "org_a"); err != nil {
		t.Errorf("after the engine's failure, which is not remembered: %v", err)
	}
}

// The cache holds at most its bound, and a token in use survives tokens
// passing through.
func TestVerifiedCacheIsBounded(t *testing.T) {
	s, e, _ := cachedService(t, 4)
	hot, _, _ := s.Issue(verifiedClaims(), time.Hour)
	var cold []string
	for range 20 {
		tok, _, _ := s.Issue(verifiedClaims(), time.Hour)
		cold = append(cold, tok)
	}
	for _, tok := range cold {
		for _, t2 := range []string{hot, tok} {
			if _, err := s.Verify(t2, "org_a"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := e.verifies.Load(); got != 21 {
		t.Errorf("the engine checked %d times, want 21 (each token once; hot stayed)", got)
	}
	// The first cold tokens have been dropped: checked again.
	before := e.verifies.Load()
	if _, err := s.Verify(cold[0], "org_a"); err != nil {
		t.Fatal(err)
	}
	if e.verifies.Load() != before+1 {
		t.Error("a token 20 entries back is still remembered by a cache of 4")
	}
}

// A caller changing the claims it got changes nothing for the next caller.
func TestVerifiedCacheHandsOutCopies(t *testing.T) {
	s, _, now := cachedService(t, 8)
	tok, _, _ := s.Issue(verifiedClaims(), time.Hour)
	c, err := s.Verify(tok, "org_a")
	if err != nil {
		t.Fatal(err)
	}
	c.UserID, c.Audience[0], c.Subject = "u-evil", "org_b", "u:u-evil"
	c.ExpiresAt.Time = now.Add(100 * time.Hour)
	again, err := s.Verify(tok, "org_a")
	if err != nil || again.UserID != "u-1" || again.Subject != "u:u-1" || again.Audience[0] != "org_a" ||
		!again.ExpiresAt.Before(now.Add(2*time.Hour)) {
		t.Fatalf("after the first caller's changes: %+v, %v", again, err)
	}
}

func TestVerifiedCacheConcurrent(t *testing.T) {
	s, _, _ := cachedService(t, 16)
	toks := make([]string, 40)
	for i := range toks {
		toks[i], _, _ = s.Issue(verifiedClaims(), time.Hour)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 400 {
				if _, err := s.Verify(toks[(g*7+i)%len(toks)], "org_a"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
