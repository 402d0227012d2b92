// Package jsonread reads JSON of a known shape without encoding/json's
// reflection, for decoders that fall back to encoding/json for anything
// else.
//
// The worker decodes a few records on every request (the org behind a widget
// token, an api key, a session, a listing's summaries, a token's claims), and
// encoding/json's reflection was the largest part of its own work. A record
// in the shape json.Marshal writes for its type (known keys, each once,
// strings, booleans, integers, UTC times) is read directly by a [Field]
// function per type; anything else (an unknown, repeated or differently
// cased key, an unexpected kind of value, invalid UTF-8, invalid JSON) makes
// [Read] report false, and the caller decodes with encoding/json instead. So
// the result is always what encoding/json gives: each user holds the two to
// that with a differential fuzz test. Free-form parts (custom data) are
// handed to encoding/json on their own ([Reader.Skip]).
//
// [Strict] is the other direction, for what the API reads from requests: a
// pass before encoding/json that refuses a key repeated in any object and
// keeps only the keys that match a struct's fields exactly, which
// encoding/json alone does not do.
package jsonread

import (
	"bytes"
	"slices"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Field reads the value of one key into v, reporting false for a key it does
// not know or a value it does not read. It is a plain function rather than a
// closure, which would be allocated for every object.
type Field[T any] func(r *Reader, v *T, key []byte) bool

// Read reads b, one JSON object and nothing else, into a zero T; ok is false
// when b is not in the shape field reads.
func Read[T any](b []byte, field Field[T]) (v T, ok bool) {
	r := Reader{b: b}
	ok = Object(&r, &v, field) && r.End()
	return v, ok
}

// Reader reads JSON of a known shape. Its methods report false for
// anything they do not handle, and the caller falls back to encoding/json.
type Reader struct {
	b []byte
	i int
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

// raw returns the next string token with its quotes, if it holds no escape,
// no control character and only valid UTF-8 (which encoding/json would
// replace).
func (r *Reader) raw() ([]byte, bool) {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false
	}
	start := r.i
	for j := r.i + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			tok := r.b[start : j+1]
			if !utf8.Valid(tok) {
				return nil, false
			}
			r.i = j + 1
			return tok, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// Str reads a string, unescaped as encoding/json does (an unpaired
// surrogate becomes U+FFFD); invalid UTF-8, which encoding/json replaces
// byte by byte, is left to it.
func (r *Reader) Str(dst *string) bool {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return false
	}
	j := r.i + 1
	for j < len(r.b) && r.b[j] != '"' && r.b[j] != '\\' && r.b[j] >= 0x20 && r.b[j] < utf8.RuneSelf {
		j++
	}
	if j < len(r.b) && r.b[j] == '"' {
		*dst = string(r.b[r.i+1 : j])
		r.i = j + 1
		return true
	}
	// Escapes or non-ASCII text: the slow way, still without reflection.
	out := append([]byte(nil), r.b[r.i+1:j]...)
	for j < len(r.b) {
		c := r.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return false
			}
			*dst = string(out)
			r.i = j + 1
			return true
		case c < 0x20:
			return false
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(r.b) {
			return false
		}
		switch e := r.b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			rr, ok := hex4(r.b[j+2:])
			if !ok {
				return false
			}
			out, j = appendEscapedRune(out, r.b, j+6, rr)
			continue
		default:
			return false
		}
		j += 2
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

func (r *Reader) Bool(dst *bool) bool {
	switch {
	case r.Literal("true"):
		*dst = true
	case r.Literal("false"):
		*dst = false
	default:
		return false
	}
	return true
}

func (r *Reader) Time(dst *time.Time) bool {
	tok, ok := r.raw()
	if !ok {
		return false
	}
	if t, ok := utcTime(tok[1 : len(tok)-1]); ok {
		*dst = t
		return true
	}
	return dst.UnmarshalJSON(tok) == nil
}

// utcTime reads a UTC time as time.Time's MarshalJSON writes it
// (2006-01-02T15:04:05[.fraction]Z), as its UnmarshalJSON would; ok is false
// for anything else, which is left to UnmarshalJSON.
func utcTime(s []byte) (t time.Time, ok bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	ok = true
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(s[0:4]), num(s[5:7]), num(s[8:10])
	hour, minute, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	ns := 0
	if frac := s[19 : len(s)-1]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		ns = num(frac[1:])
		for range 10 - len(frac) {
			ns *= 10
		}
	}
	if !ok || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC)
	if t.Day() != day { // 31 days in a month of 30, or February's 29th in a common year
		return time.Time{}, false
	}
	return t, true
}

// OptString reads null (nil) or a string.
func (r *Reader) OptString(dst **string) bool {
	if r.Literal("null") {
		*dst = nil
		return true
	}
	var s string
	if !r.Str(&s) {
		return false
	}
	*dst = &s
	return true
}

// Object reads an object into v: field reads the value of one key, and
// reports false for a key it does not know. Each key may come once (up to 16
// of them). field is a plain function rather than a closure, which would be
// allocated for every object.
func Object[T any](r *Reader, v *T, field Field[T]) bool {
	if !r.Byte('{') {
		return false
	}
	if r.Byte('}') {
		return true
	}
	var seen [16][]byte
	for n := 0; ; n++ {
		if n == len(seen) {
			return false
		}
		tok, ok := r.raw()
		if !ok {
			return false
		}
		key := tok[1 : len(tok)-1]
		if slices.ContainsFunc(seen[:n], func(k []byte) bool { return bytes.Equal(k, key) }) || !r.Byte(':') || !field(r, v, key) {
			return false
		}
		seen[n] = key
		if r.Byte('}') {
			return true
		}
		if !r.Byte(',') {
			return false
		}
	}
}

// Skip passes over one value of any kind, strings and nesting included, and
// returns it; encoding/json checks it when it decodes it.
func (r *Reader) Skip() ([]byte, bool) {
	r.ws()
	start, depth, inString := r.i, 0, false
	for ; r.i < len(r.b); r.i++ {
		c := r.b[r.i]
		switch {
		case inString:
			if c == '\\' {
				r.i++
			} else if c == '"' {
				inString = false
				if depth == 0 {
					r.i++
					return r.b[start:r.i], true
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth < 0 {
				return nil, false
			}
			if depth == 0 {
				r.i++
				return r.b[start:r.i], true
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return r.b[start:r.i], r.i > start
		}
	}
	return r.b[start:r.i], depth == 0 && !inString && r.i > start
}

// Strings reads null (nil) or an array of strings.
func (r *Reader) Strings(dst *[]string) bool {
	if r.Literal("null") {
		*dst = nil
		return true
	}
	if !r.Byte('[') {
		return false
	}
	out := []string{}
	if !r.Byte(']') {
		for {
			var s string
			if !r.Str(&s) {
				return false
			}
			out = append(out, s)
			if r.Byte(']') {
				break
			}
			if !r.Byte(',') {
				return false
			}
		}
	}
	*dst = out
	return true
}

// Int64 reads an integer as encoding/json reads one into an int64: digits,
// with an optional minus sign, without a fraction or exponent, in range
// (anything else, including a leading zero, is left to encoding/json).
func (r *Reader) Int64(dst *int64) bool {
	r.ws()
	start := r.i
	if r.i < len(r.b) && r.b[r.i] == '-' {
		r.i++
	}
	digits := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	n := r.i - digits
	if n == 0 || n > 18 || (n > 1 && r.b[digits] == '0') {
		return false
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		return false
	}
	var v int64
	for _, c := range r.b[digits:r.i] {
		v = v*10 + int64(c-'0')
	}
	if r.b[start] == '-' {
		v = -v
	}
	*dst = v
	return true
}

// OptObject reads null (nil) or an object into a new T.
func OptObject[T any](r *Reader, dst **T, field Field[T]) bool {
	if r.Literal("null") {
		*dst = nil
		return true
	}
	*dst = new(T)
	return Object(r, *dst, field)
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
