// Package jsonread checks JSON that encoding/json is about to decode, for
// what encoding/json alone does not refuse.
//
// [Strict], for what the API reads from requests: a pass before
// encoding/json that refuses a key repeated in any object, keeps only the
// keys that match a struct's fields exactly, and refuses nesting deeper than
// [MaxDepth] (encoding/json recurses once per level, and under TinyGo a
// goroutine's stack cannot grow). [Depth], for JSON handed to a library
// that decodes it (a token's header and claims, to golang-jwt).
//
// It once also read the records of every request (orgs, api keys, sessions,
// summaries, a token's claims, KV listings) without encoding/json's
// reflection. Measured on the TinyGo worker for issue 18 (workerd's CPU per
// request, 600 requests a route, interleaved with the peer), encoding/json
// alone cost authenticate +6%, contacts +6%, the listing +5%, a message +7%,
// within the 10% two runs of one build differ by, and the worker 11 KB
// gzipped less: encoding/json reads them now.
package jsonread

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// Reader is Strict's position in the text it checks.
type Reader struct {
	b []byte
	i int
	// surrogate is set when a string failed for escaping a lone surrogate.
	surrogate bool
}

func (r *Reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// Byte consumes c, after white space.
func (r *Reader) Byte(c byte) bool {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *Reader) End() bool {
	r.ws()
	return r.i == len(r.b)
}

// Literal consumes the literal word (null, true, false) if it comes next.
func (r *Reader) Literal(word string) bool {
	r.ws()
	if bytes.HasPrefix(r.b[r.i:], []byte(word)) {
		r.i += len(word)
		return true
	}
	return false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendEscapedRune appends rr, the rune of a \uXXXX escape that ends at j
// in b, as encoding/json decodes it: a surrogate followed by the escape of
// its other half is one rune (both escapes consumed), a lone surrogate is
// U+FFFD. It returns out and where the text goes on.
func appendEscapedRune(out, b []byte, j int, rr rune) ([]byte, int) {
	if utf16.IsSurrogate(rr) {
		if j+1 < len(b) && b[j] == '\\' && b[j+1] == 'u' {
			if rr1, ok := hex4(b[j+2:]); ok {
				if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
					return utf8.AppendRune(out, dec), j + 6
				}
			}
		}
		rr = utf8.RuneError
	}
	return utf8.AppendRune(out, rr), j
}

// Depth returns how deep containers nest in b (0 for a scalar, 1 for [] or
// {}), strings and their escapes passed over; it does not check that b is
// JSON. Those who hand b to encoding/json use it to refuse what nests deeper
// than MaxDepth first.
func Depth(b []byte) int {
	depth, most, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}
