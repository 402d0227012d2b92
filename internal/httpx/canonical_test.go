package httpx

import "testing"

// slowCanonicalKey is canonicalKey without its shortcuts: what it must
// answer for every key.
func slowCanonicalKey(key string) string {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c >= 0x7f {
			return key
		}
	}
	return spellCanonical(key)
}

func TestCommonKeysAreCanonical(t *testing.T) {
	for lower, k := range commonKeys {
		if slowCanonicalKey(lower) != k || canonicalKey(lower) != k || canonicalKey(k) != k {
			t.Errorf("%q -> %q, canonical %q", lower, k, slowCanonicalKey(lower))
		}
	}
}

func FuzzCanonicalKey(f *testing.F) {
	for _, k := range []string{"", "a", "-", "x-widget-token", "X-Widget-Token", "X-WIDGET-TOKEN", "content-type", "Content-type",
		"cf-connecting-ip", "a--b", "-x-", "x y", "ünï", "X-Ünï", "A\x7f", "1a-2b"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := canonicalKey(key), slowCanonicalKey(key); got != want {
			t.Fatalf("canonicalKey(%q) = %q, want %q", key, got, want)
		}
	})
}
