//go:build !tinygo

// TinyGo cannot recover on WebAssembly (its compiler/defer.go: a panic
// traps), so the tests that catch a panic run only natively.

package token

import "testing"

func TestNewServicePanics(t *testing.T) {
	ring := mustRing(t, testEntry("a1", 1))
	for name, f := range map[string]func(){
		"nil ring":   func() { NewService(nil, testIssuer) },
		"empty ring": func() { NewService(&KeyRing{}, testIssuer) },
		"no issuer":  func() { NewService(ring, "") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	// nil options and a nil clock are ignored.
	s := NewService(ring, testIssuer, nil, WithClock(nil))
	if s.now == nil {
		t.Fatal("nil clock installed")
	}
}
