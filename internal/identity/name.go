package identity

import (
	"unicode"
	"unicode/utf8"
)

// TrimName is the one trimming rule of every name field (an org's name, a
// contact's or user's name, a message's author_name, the widget's name
// options). A name that shows nothing, only white space and
// default-ignorable characters (blank), is "", which counts as absent.
// Otherwise TrimName removes from both ends the white space (NBSP included)
// and the default-ignorable characters (the format characters of category
// Cf, such as U+200B, U+FEFF, U+2060, the variation selectors, the Hangul
// fillers) that change nothing shown, and keeps at the ends those that do:
// the bidi controls (U+202E, U+2067, U+200F, ...), which reorder the visible
// characters, and the joiners, variation selectors and tags right after a
// visible character, which are part of it ("❤️" keeps its U+FE0F, a
// subdivision flag its tags). Inside a name nothing is removed: a ZWJ within
// an emoji sequence and an RLM within an Arabic name stay. Only blank
// characters are ever removed, and TrimName(TrimName(s)) is TrimName(s).
func TrimName(s string) string {
	visible := false
	for _, r := range s {
		if !blank(r) {
			visible = true
			break
		}
	}
	if !visible {
		return ""
	}
	start := 0
	for start < len(s) {
		r, size := utf8.DecodeRuneInString(s[start:])
		if !trimmable(r) {
			break
		}
		start += size
	}
	end := len(s)
	for end > start {
		r, size := utf8.DecodeLastRuneInString(s[start:end])
		if !trimmable(r) {
			break
		}
		if extender(r) {
			k := end - size
			for k > start {
				r, size := utf8.DecodeLastRuneInString(s[start:k])
				if !extender(r) {
					break
				}
				k -= size
			}
			if r, _ := utf8.DecodeLastRuneInString(s[start:k]); k > start && !blank(r) {
				break // they extend the visible character before them
			}
			end = k
			continue
		}
		end -= size
	}
	return s[start:end]
}

// blank reports whether r shows nothing by itself: white space, or a
// Default_Ignorable_Code_Point of Unicode (Cf, the variation selectors and
// Other_Default_Ignorable_Code_Point, less the format characters that are
// shown: the prepended concatenation marks such as U+0600 ARABIC NUMBER
// SIGN, the interlinear annotation marks and the Egyptian hieroglyph format
// controls).
func blank(r rune) bool {
	if unicode.IsSpace(r) {
		return true
	}
	switch {
	case r >= 0x0600 && r <= 0x0605, r == 0x06DD, r == 0x070F, r == 0x0890, r == 0x0891, r == 0x08E2,
		r == 0x110BD, r == 0x110CD, r >= 0xFFF9 && r <= 0xFFFB, r >= 0x13430 && r <= 0x1345F:
		return false
	}
	return unicode.In(r, unicode.Cf, unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// trimmable reports whether r is removed at an end of a name that shows
// something: a blank character other than a bidi control.
func trimmable(r rune) bool { return blank(r) && !unicode.Is(unicode.Bidi_Control, r) }

// extender reports whether r is a blank character that belongs to the
// character before it (Unicode's grapheme clusters, Extend and ZWJ): the
// joiners U+200C and U+200D, U+034F, the variation selectors, and the tags
// of an emoji subdivision flag.
func extender(r rune) bool {
	return r == 0x200C || r == 0x200D || r == 0x034F || r >= 0xE0020 && r <= 0xE007F || unicode.Is(unicode.Variation_Selector, r)
}
