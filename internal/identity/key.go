package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// KeyKind says which of the org's fields names a verified user.
type KeyKind byte

// The two kinds of identity key. Their written forms start with different
// letters, so a key of one kind never equals a key of the other, whatever
// their values.
const (
	// KeyUserID: the org's user_id, exactly as sent.
	KeyUserID KeyKind = 'u'
	// KeyEmail: the email, with its ASCII letters (and only those) lower-cased.
	KeyEmail KeyKind = 'e'
)

// Key is how a verified user is known within an org (the contract's
// "identity key"): user_id when the org's server gave one, else the email.
// The zero Key names nobody.
type Key struct {
	Kind  KeyKind
	Value string
}

// KeyOf returns the identity key of a user the org's server described by
// userID and email (both validated): user_id when not empty, else the email
// folded by FoldEmail.
func KeyOf(userID, email string) Key {
	if userID != "" {
		return Key{Kind: KeyUserID, Value: userID}
	}
	if email == "" {
		return Key{}
	}
	return Key{Kind: KeyEmail, Value: FoldEmail(email)}
}

// IsZero reports whether k names nobody.
func (k Key) IsZero() bool { return k.Kind == 0 }

// String is the key's written form, "u:" + user_id or "e:" + folded email:
// the sub claim of verified tokens and the owner key of their sessions.
// Keys stored before kinds existed were the bare value with "v:" in front;
// no written form of a Key starts with "v:".
func (k Key) String() string {
	if k.IsZero() {
		return ""
	}
	return string(rune(k.Kind)) + ":" + k.Value
}

// ParseKey reads a key's written form; ok is false for anything String
// cannot have written.
func ParseKey(s string) (k Key, ok bool) {
	if len(s) < 3 || s[1] != ':' {
		return Key{}, false
	}
	switch KeyKind(s[0]) {
	case KeyUserID, KeyEmail:
		return Key{Kind: KeyKind(s[0]), Value: s[2:]}, true
	}
	return Key{}, false
}

// FoldEmail lower-cases the ASCII letters of an email address and nothing
// else: "Ann@Example.COM" is "ann@example.com", while a Kelvin sign (U+212A)
// stays a Kelvin sign rather than becoming a "k". Unicode case mapping is
// not used because it merges distinct addresses (U+212A and "K" both lower
// to "k", U+0130 lowers to "i" plus a dot) and because its tables change
// between Unicode versions; NormalizeEmail refuses the characters that would
// fold onto ASCII, so two addresses that look alike in ASCII cannot be two
// keys either.
func FoldEmail(s string) string { return lowerASCII(s) }

// lowerASCII lower-cases the ASCII letters of s and nothing else (see
// FoldEmail for why Unicode case mapping is not used on identifiers).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// foldsOntoASCII reports whether a non-ASCII rune is a case variant of an
// ASCII letter under some Unicode mapping: the Kelvin sign, the long s, the
// dotted capital I, the dotless small i, and the like. In an email such a
// character makes an address that renders, and under Unicode folding
// compares, as another one.
func foldsOntoASCII(r rune) bool {
	if r < utf8.RuneSelf {
		return false
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return true
		}
	}
	for _, m := range []string{strings.ToLower(string(r)), strings.ToUpper(string(r)), strings.ToTitle(string(r))} {
		for i := 0; i < len(m); i++ {
			if c := m[i]; c < utf8.RuneSelf && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return true
			}
		}
	}
	return false
}
