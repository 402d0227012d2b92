package token

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParseKeyRing(t *testing.T) {
	e1, e2, e3 := testEntry("k1", 1), testEntry("2026-03.b_c", 2), testEntry("Z", 3)
	padded := "p:" + base64.URLEncoding.EncodeToString(testSeed(4))
	tests := []struct {
		spec string
		kids []string
	}{
		{e1, []string{"k1"}},
		{e1 + "," + e2, []string{"k1", "2026-03.b_c"}},
		{e2 + " " + e1, []string{"2026-03.b_c", "k1"}},
		{"\n" + e3 + "\r\n" + e1 + "\n\n", []string{"Z", "k1"}},
		{" ,\t" + e1 + " , ,\n" + e2 + ",," + e3 + ",", []string{"k1", "2026-03.b_c", "Z"}},
		{padded, []string{"p"}},
		{strings.Repeat("x", MaxKIDLength) + ":" + base64.RawURLEncoding.EncodeToString(testSeed(5)), []string{strings.Repeat("x", MaxKIDLength)}},
	}
	for _, tt := range tests {
		r, err := ParseKeyRing(tt.spec)
		if err != nil {
			t.Errorf("ParseKeyRing(%q): %v", tt.spec, err)
			continue
		}
		if got := r.KIDs(); !slices.Equal(got, tt.kids) {
			t.Errorf("KIDs = %q, want %q", got, tt.kids)
		}
		if r.SigningKID() != tt.kids[0] {
			t.Errorf("SigningKID = %q, want %q", r.SigningKID(), tt.kids[0])
		}
	}
}

func TestParseKeyRingSameKeyEitherEncoding(t *testing.T) {
	raw := mustRing(t, "a:"+base64.RawURLEncoding.EncodeToString(testSeed(1)))
	padded := mustRing(t, "a:"+base64.URLEncoding.EncodeToString(testSeed(1)))
	if !raw.keys[0].key.Public().Equal(padded.keys[0].key.Public()) || !raw.keys[0].key.Public().Equal(testKey(1).Public()) {
		t.Fatal("padded and unpadded seeds give different keys")
	}
}

func TestParseKeyRingErrors(t *testing.T) {
	seed := base64.RawURLEncoding.EncodeToString(testSeed(1))
	std := base64.StdEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe,
		0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff, 0xfe, 0xfb, 0xff})
	tests := []struct {
		name, spec, want string
	}{
		{"empty", "", "empty spec"},
		{"blank", " ,\n\t, ", "empty spec"},
		{"no colon", seed, "entry 1: want kid:seed"},
		{"no colon, second entry", "a:" + seed + "," + seed, "entry 2: want kid:seed"},
		{"empty kid", ":" + seed, "entry 1: kid must be"},
		{"kid too long", strings.Repeat("k", MaxKIDLength+1) + ":" + seed, "entry 1: kid must be"},
		{"kid with slash", "a/b:" + seed, "entry 1: kid must be"},
		{"kid with quote", "a'b:" + seed, "entry 1: kid must be"},
		{"kid not ASCII", "ké:" + seed, "entry 1: kid must be"},
		{"duplicate kid", "a:" + seed + ",b:" + base64.RawURLEncoding.EncodeToString(testSeed(2)) + ",a:" + seed, "entry 3: kid repeats entry 1"},
		{"empty seed", "a:", "entry 1: seed must be 32 bytes, got 0"},
		{"standard base64", "a:" + std, "entry 1: seed is not base64url"},
		{"bad base64", "a:" + seed[:40] + "!!!", "entry 1: seed is not base64url"},
		{"second colon", "a:" + seed + ":x", "entry 1: seed is not base64url"},
		{"short seed", "a:" + base64.RawURLEncoding.EncodeToString(testSeed(1)[:31]), "entry 1: seed must be 32 bytes, got 31"},
		{"long seed", "a:" + base64.RawURLEncoding.EncodeToString(append(testSeed(1), 0)), "entry 1: seed must be 32 bytes, got 33"},
		{"a private key, not a seed", "a:" + base64.RawURLEncoding.EncodeToString(testKey(1)), "entry 1: seed must be 32 bytes, got 64"},
		{"non-canonical base64", "a:" + seed[:42] + nonCanonical(seed[42:]), "entry 1: seed is not base64url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseKeyRing(tt.spec)
			if err == nil || r != nil {
				t.Fatalf("ParseKeyRing = %v, %v; want an error", r, err)
			}
			if !errors.Is(err, ErrKeyRing) {
				t.Errorf("error %v does not wrap ErrKeyRing", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
			checkKeyRingMessage(t, err)
		})
	}
}

// keyRingMessages are the messages of ParseKeyRing with numbers replaced by N:
// nothing of the input is ever quoted.
var keyRingMessages = map[string]bool{
	"token: invalid key ring: empty spec":                                                  true,
	"token: invalid key ring: entry N: want kid:seed":                                      true,
	"token: invalid key ring: entry N: kid must be N to N characters of A-Z a-z N-N . _ -": true,
	"token: invalid key ring: entry N: kid repeats entry N":                                true,
	"token: invalid key ring: entry N: seed is not baseNurl":                               true,
	"token: invalid key ring: entry N: seed must be N bytes, got N":                        true,
}

var digits = regexp.MustCompile(`[0-9]+`)

func checkKeyRingMessage(t testing.TB, err error) {
	t.Helper()
	if msg := digits.ReplaceAllString(err.Error(), "N"); !keyRingMessages[msg] {
		t.Fatalf("unexpected key ring error %q", err)
	}
}

func TestGenerateKeySpec(t *testing.T) {
	a, err := GenerateKeySpec("2026-03")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKeySpec("2026-02")
	if !strings.HasPrefix(a, "2026-03:") || len(a) != len("2026-03:")+43 {
		t.Errorf("spec %q", a)
	}
	r := mustRing(t, a+","+b)
	if got := r.KIDs(); !slices.Equal(got, []string{"2026-03", "2026-02"}) {
		t.Errorf("KIDs = %q", got)
	}
	if r.keys[0].key.Public().Equal(r.keys[1].key.Public()) {
		t.Error("two generated keys are equal")
	}
	for _, kid := range []string{"", "a b", "a:b", strings.Repeat("k", MaxKIDLength+1)} {
		if s, err := GenerateKeySpec(kid); !errors.Is(err, ErrKeyRing) || s != "" {
			t.Errorf("GenerateKeySpec(%q) = %q, %v", kid, s, err)
		}
	}
}

// TestKeyRingNeverPrintsKeys: however a ring is printed, only kids show.
func TestKeyRingNeverPrintsKeys(t *testing.T) {
	r := mustRing(t, testEntry("a1", 1)+","+testEntry("a2", 2))
	secrets := []string{
		base64.RawURLEncoding.EncodeToString(testSeed(1)),
		fmt.Sprint(testSeed(1)[:8]), fmt.Sprintf("%x", testSeed(1)[:8]), fmt.Sprintf("%X", testSeed(1)[:8]),
		fmt.Sprint(testSeed(1)[0:4]), fmt.Sprintf("% x", testSeed(1)[:8]),
	}
	now := t0
	s := newTestService(t, &now)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		for _, v := range []any{r, *r, s, *s, []any{r}, struct{ R KeyRing }{*r}} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range secrets {
				if strings.Contains(out, strings.Trim(secret, "[]")) {
					t.Errorf("Sprintf(%q, %T) = %q shows key bytes", verb, v, out)
				}
			}
		}
	}
	if got := r.String(); got != `token.KeyRing["a1" "a2"]` {
		t.Errorf("String = %q", got)
	}
}
