package identity_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chatwidget/identity/internal/identity"
)

func TestTrimName(t *testing.T) {
	const (
		family  = "👨\u200d👩\u200d👧"
		heart   = "\u2764\ufe0f"
		england = "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F"
	)
	for _, tt := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"spaces", "  Ann  ", "Ann"},
		{"NBSPs only", "\u00a0\u00a0", ""},
		{"ZWSP only", "\u200b", ""},
		{"RLO only", "\u202e", ""},
		{"BOM only", "\ufeff", ""},
		{"word joiner, LRM, isolates only", "\u2060\u200e\u2066\u2069", ""},
		{"variation selector only", "\ufe0f", ""},
		{"tags only", "\U000E0067\U000E007F", ""},
		{"Hangul filler only", "\u3164\u3164", ""},
		{"soft hyphen only", "\u00ad", ""},
		{"mixed blanks only", " \u200b\u00a0\u202e\ufeff\u200d\u3000", ""},
		{"ZWSP around", "\u200bAnn\u200b", "Ann"},
		{"BOM before", "\ufeffAnn", "Ann"},
		{"word joiner after", "Ann\u2060", "Ann"},
		{"soft hyphens around", "\u00adAnn\u00ad", "Ann"},
		{"selector before", " \ufe0f Ann", "Ann"},
		{"joiner after a blank", "Ann\u200b\u200d", "Ann"},
		{"joiner after a letter", "Ann\u200d", "Ann\u200d"},
		{"emoji ZWJ sequence", family, family},
		{"emoji ZWJ sequence in blanks", "\u200b " + family + " \ufeff", family},
		{"emoji presentation at the end", "Ann " + heart, "Ann " + heart},
		{"subdivision flag at the end", "Team " + england + "\u200b", "Team " + england},
		{"RLM inside an Arabic name", "محمد\u200f علي", "محمد\u200f علي"},
		{"ZWNJ inside a Persian word", "می\u200cخواهم", "می\u200cخواهم"},
		{"bidi override kept at the start", "\u202eabc", "\u202eabc"},
		{"isolate kept at the end", "Ann \u2067محمد\u2069", "Ann \u2067محمد\u2069"},
		{"RLM kept at the end, ZWSP trimmed", "\u200bمحمد\u200f\u200b", "محمد\u200f"},
		{"Arabic number sign is shown", "\u0600\u0661", "\u0600\u0661"},
		{"ideographic space", "\u3000山田\u3000", "山田"},
		{"invalid UTF-8 stays", "\u200b\xff\u200b", "\xff"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := identity.TrimName(tt.in); got != tt.want {
				t.Errorf("TrimName(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// nameRunes are characters of every kind TrimName tells apart.
var nameRunes = []rune{
	'a', 'Z', ' ', '\t', '\u00a0', '\u3000', '\u2028', '\u200b', '\ufeff', '\u2060', '\u00ad', '\u3164',
	'\u202e', '\u202c', '\u2067', '\u2069', '\u200e', '\u200f', '\u061c', '\u200c', '\u200d', '\u034f',
	'\ufe0f', '\U000E0067', '\U000E007F', '\U000E0100', '\u0600', '\u0661', 'م', '👨', '\u2764', '\u0301',
}

// checkTrimName checks TrimName's promises on s: idempotent; what it removes
// is blank, at the ends only; "" exactly when s shows nothing.
func checkTrimName(t *testing.T, s string) {
	t.Helper()
	out := identity.TrimName(s)
	if again := identity.TrimName(out); again != out {
		t.Fatalf("TrimName(%+q) = %+q, and again %+q", s, out, again)
	}
	shows := strings.IndexFunc(s, func(r rune) bool { return !identity.Blank(r) }) >= 0 || !utf8.ValidString(s)
	if (out == "") == shows {
		t.Fatalf("TrimName(%+q) = %+q, but s shows something: %v", s, out, shows)
	}
	if out == "" {
		return
	}
	i := strings.Index(s, out)
	for i >= 0 && !(allBlank(s[:i]) && allBlank(s[i+len(out):])) {
		j := strings.Index(s[i+1:], out)
		if j < 0 {
			i = -1
			break
		}
		i += 1 + j
	}
	if i < 0 {
		t.Fatalf("TrimName(%+q) = %+q removes something shown, or not at the ends", s, out)
	}
}

func allBlank(s string) bool {
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size == 1 || !identity.Blank(r) {
			return false
		}
		s = s[size:]
	}
	return true
}

// TestTrimNameProperties checks checkTrimName on random strings of nameRunes.
func TestTrimNameProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(8) {
			b.WriteRune(nameRunes[rng.IntN(len(nameRunes))])
		}
		checkTrimName(t, b.String())
	}
}

// FuzzTrimName: checkTrimName on any input.
func FuzzTrimName(f *testing.F) {
	for _, s := range []string{"", "Ann", "\u200b", "\u202e", "\u00a0", "Ann \u2764\ufe0f", "a\u200d", "\u202eabc\u200b", "\xff\u200b"} {
		f.Add(s)
	}
	f.Fuzz(checkTrimName)
}
