package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// The records every request reads (the org behind a widget token, an api
// key, a session, the summaries of a listing) are decoded without
// encoding/json's reflection, which was the largest part of the worker's own
// work on a request. A record in the shape the store writes (json.Marshal of
// the type: known keys, each once, strings, booleans, times) is read
// directly; anything else (an unknown, repeated or differently cased key, a
// number where none is written, invalid UTF-8, invalid JSON) goes to
// json.Unmarshal. Either way the result is what json.Unmarshal gives, which
// the Fuzz tests of summary_test.go and decode_test.go check. Free-form parts
// (custom data) are handed to json.Unmarshal on their own.

// decodeRecord decodes b into the zero value *v: directly with field, which
// reads the value of one key (false for a key it does not know), or, if b is
// not in that shape, with json.Unmarshal.
func decodeRecord[T any](b []byte, v *T, field func(*reader, *T, []byte) bool) error {
	if fast, ok := readRecord(b, field); ok {
		*v = fast
		return nil
	}
	return json.Unmarshal(b, v)
}

// readRecord is decodeRecord's direct path; ok is false when b is not in
// the shape it reads.
func readRecord[T any](b []byte, field func(*reader, *T, []byte) bool) (v T, ok bool) {
	r := reader{b: b}
	ok = readObject(&r, &v, field) && r.end()
	return v, ok
}

// reader reads the JSON the store writes. Its methods report false for
// anything they do not handle, and the caller falls back to encoding/json.
type reader struct {
	b []byte
	i int
}

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// byte consumes c, after white space.
func (r *reader) byte(c byte) bool {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

func (r *reader) end() bool {
	r.ws()
	return r.i == len(r.b)
}

// literal consumes the literal word (null, true, false) if it comes next.
func (r *reader) literal(word string) bool {
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
func (r *reader) raw() ([]byte, bool) {
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

// str reads a string, unescaped as encoding/json does (an unpaired
// surrogate becomes U+FFFD); invalid UTF-8, which encoding/json replaces
// byte by byte, is left to it.
func (r *reader) str(dst *string) bool {
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
			j += 6
			if utf16.IsSurrogate(rr) {
				if rr1, ok := hex4(r.b[j+2:]); ok && r.b[j] == '\\' && r.b[j+1] == 'u' {
					if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
						out = utf8.AppendRune(out, dec)
						j += 6
						continue
					}
				}
				rr = utf8.RuneError
			}
			out = utf8.AppendRune(out, rr)
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

func (r *reader) boolean(dst *bool) bool {
	switch {
	case r.literal("true"):
		*dst = true
	case r.literal("false"):
		*dst = false
	default:
		return false
	}
	return true
}

func (r *reader) time(dst *time.Time) bool {
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

// optString reads null (nil) or a string.
func (r *reader) optString(dst **string) bool {
	if r.literal("null") {
		*dst = nil
		return true
	}
	var s string
	if !r.str(&s) {
		return false
	}
	*dst = &s
	return true
}

// readObject reads an object into v: field reads the value of one key, and
// reports false for a key it does not know. Each key may come once (up to 16
// of them). field is a plain function rather than a closure, which would be
// allocated for every object.
func readObject[T any](r *reader, v *T, field func(*reader, *T, []byte) bool) bool {
	if !r.byte('{') {
		return false
	}
	if r.byte('}') {
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
		if slices.ContainsFunc(seen[:n], func(k []byte) bool { return bytes.Equal(k, key) }) || !r.byte(':') || !field(r, v, key) {
			return false
		}
		seen[n] = key
		if r.byte('}') {
			return true
		}
		if !r.byte(',') {
			return false
		}
	}
}

// skip passes over one value of any kind, strings and nesting included, and
// returns it; encoding/json checks it when it decodes it.
func (r *reader) skip() ([]byte, bool) {
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

// strings reads null (nil) or an array of strings.
func (r *reader) strings(dst *[]string) bool {
	if r.literal("null") {
		*dst = nil
		return true
	}
	if !r.byte('[') {
		return false
	}
	out := []string{}
	if !r.byte(']') {
		for {
			var s string
			if !r.str(&s) {
				return false
			}
			out = append(out, s)
			if r.byte(']') {
				break
			}
			if !r.byte(',') {
				return false
			}
		}
	}
	*dst = out
	return true
}
