package identity_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/identity"
)

func TestKeyOf(t *testing.T) {
	tests := []struct {
		userID, email string
		want          string
	}{
		{"u-1", "Ann@Example.com", "u:u-1"}, // user_id wins
		{"U-1", "", "u:U-1"},                // user ids keep their case
		{"", "Ann@Example.COM", "e:ann@example.com"},
		{"", "ann@example.com", "e:ann@example.com"},
		{"carol@example.com", "", "u:carol@example.com"}, // a user_id that looks like an email is not one
		{"", "Zoë@Example.com", "e:zoë@example.com"},
		{"", "ZOË@example.com", "e:zoË@example.com"}, // only ASCII letters fold
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := identity.KeyOf(tt.userID, tt.email).String(); got != tt.want {
			t.Errorf("KeyOf(%q, %q) = %q, want %q", tt.userID, tt.email, got, tt.want)
		}
	}
}

// The attacks of issue 19: a user_id that looks like an email, and Unicode
// case folding, must never reach another identity's key.
func TestKeyOfNeverMergesLookAlikes(t *testing.T) {
	distinct := []identity.Key{
		identity.KeyOf("carol@example.com", ""),
		identity.KeyOf("", "Carol@Example.com"),
		identity.KeyOf("", "kim@example.com"),
		identity.KeyOf("", "\u212aim@example.com"), // Kelvin sign
		identity.KeyOf("", "K\u0130M@example.com"), // dotted capital I
		identity.KeyOf("", "k\u0131m@example.com"), // dotless small i
		identity.KeyOf("", "\u017fam@example.com"), // long s
		identity.KeyOf("", "sam@example.com"),
		identity.KeyOf("", "caf\u00e9@example.com"),  // NFC
		identity.KeyOf("", "cafe\u0301@example.com"), // NFD
		identity.KeyOf("", "\u0430nn@example.com"),   // Cyrillic a
		identity.KeyOf("", "ann@example.com"),
		identity.KeyOf("e:ann@example.com", ""),
		identity.KeyOf("u:x", ""),
		identity.KeyOf("x", ""),
	}
	seen := map[string]int{}
	for i, k := range distinct {
		if j, ok := seen[k.String()]; ok {
			t.Errorf("inputs %d and %d share the key %q", j, i, k)
		}
		seen[k.String()] = i
	}
}

// The emails that fold onto ASCII under Unicode's rules are refused, so no
// two addresses an agent would read as one are two identities.
func TestNormalizeEmailRefusesCaseFoldSpecials(t *testing.T) {
	for _, s := range []string{"\u212aim@example.com", "K\u0130M@example.com", "k\u0131m@example.com", "\u017fam@example.com", "kim@\u212a.example.com", "ann@exa\u212aple.com"} {
		if _, err := identity.NormalizeEmail("email", s); identity.ErrorCode(err) != identity.CodeInvalidEmail {
			t.Errorf("NormalizeEmail(%q) = %v, want invalid_email", s, err)
		}
	}
	for _, s := range []string{"zo\u00eb@example.com", "\u00e5sa@example.com", "\u0430nn@example.com", "\u5f20@example.com"} {
		if _, err := identity.NormalizeEmail("email", s); err != nil {
			t.Errorf("NormalizeEmail(%q) = %v, want accepted (no ASCII look-alike by case)", s, err)
		}
	}
}

func TestParseKeyRoundTrip(t *testing.T) {
	for _, k := range []identity.Key{identity.KeyOf("u-1", ""), identity.KeyOf("", "a@b.co"), identity.KeyOf(":", ""), identity.KeyOf("u:e:x", "")} {
		got, ok := identity.ParseKey(k.String())
		if !ok || got != k {
			t.Errorf("ParseKey(%q) = %v, %v", k, got, ok)
		}
	}
	for _, s := range []string{"", "u", "u:", "v:ann@example.com", "d:0b7e3f8a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "c:x", "x:y", "U:x", "ann@example.com"} {
		if k, ok := identity.ParseKey(s); ok {
			t.Errorf("ParseKey(%q) = %v, want refused", s, k)
		}
	}
}

// adversarial runes: case-fold specials, confusables, combining marks, and
// the ASCII letters they imitate.
var adversarial = []rune{
	'k', 'K', 'i', 'I', 's', 'S', 'a', 'A', '@', '.', ':', 'e', 'u',
	'\u212a', '\u0130', '\u0131', '\u017f', '\u212b', '\u00c5', '\u00e5', '\u0430', '\u0410',
	'\u00e9', '\u0301', '\u0307', '\u00df', '\u1e9e', '\u03a3', '\u03c3', '\u03c2', '\uff41', '\u00b5', '\u03bc',
}

func randomValue(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(8) + 1; n > 0; n-- {
		if r.IntN(4) == 0 {
			b.WriteRune(rune(r.IntN(0x3000)))
		} else {
			b.WriteRune(adversarial[r.IntN(len(adversarial))])
		}
	}
	return b.String()
}

// canonical is what the contract says makes two identities one: the kind,
// and the value with (only) its ASCII letters lower-cased for emails.
func canonical(kind byte, v string) string {
	if kind == 'e' {
		v = strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, v)
	}
	return string(kind) + "\x00" + v
}

// Property: two (kind, value) inputs have the same key exactly when the
// contract says they are the same identity.
func TestKeyOfIsInjectiveProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2026))
	type in struct {
		kind byte
		v    string
	}
	byKey := map[string]in{}
	for i := 0; i < 200000; i++ {
		x := in{kind: "ue"[r.IntN(2)], v: randomValue(r)}
		var k identity.Key
		if x.kind == 'u' {
			k = identity.KeyOf(x.v, "")
		} else {
			k = identity.KeyOf("", x.v)
		}
		if prev, ok := byKey[k.String()]; ok && canonical(prev.kind, prev.v) != canonical(x.kind, x.v) {
			t.Fatalf("(%c, %q) and (%c, %q) share the key %q", prev.kind, prev.v, x.kind, x.v, k)
		}
		byKey[k.String()] = x
		if back, ok := identity.ParseKey(k.String()); !ok || back != k {
			t.Fatalf("ParseKey(%q) = %v, %v", k, back, ok)
		}
	}
}

// FuzzKeyOf: keys of different inputs differ unless the contract merges them.
func FuzzKeyOf(f *testing.F) {
	f.Add("carol@example.com", "Carol@Example.com", true)
	f.Add("\u212aim@example.com", "kim@example.com", false)
	f.Add("K\u0130M@example.com", "kim@example.com", false)
	f.Add("caf\u00e9@x.co", "cafe\u0301@x.co", false)
	f.Fuzz(func(t *testing.T, a, b string, crossKinds bool) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) || a == "" || b == "" {
			return
		}
		ka, kb := identity.KeyOf("", a), identity.KeyOf("", b)
		if crossKinds {
			kb = identity.KeyOf(b, "")
		}
		same := ka == kb
		want := canonical('e', a) == canonical(map[bool]byte{true: 'u', false: 'e'}[crossKinds], b)
		if same != want || (ka.String() == kb.String()) != want {
			t.Fatalf("KeyOf(%q) = %q, KeyOf(%q) = %q: same %v, want %v", a, ka, b, kb, same, want)
		}
	})
}

func ExampleKeyOf() {
	fmt.Println(identity.KeyOf("", "Ann@Example.com"))
	fmt.Println(identity.KeyOf("user-42", "Ann@Example.com"))
	fmt.Println(identity.KeyOf("ann@example.com", ""))
	// Output:
	// e:ann@example.com
	// u:user-42
	// u:ann@example.com
}

func ExampleFoldEmail() {
	fmt.Println(identity.FoldEmail("Ann@Example.COM"))
	fmt.Println(identity.FoldEmail("ZOË@example.com"))
	// Output:
	// ann@example.com
	// zoË@example.com
}
