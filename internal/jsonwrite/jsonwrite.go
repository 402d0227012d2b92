// Package jsonwrite writes JSON of a known shape without encoding/json's
// reflection: the counterpart of jsonread for the records the worker writes
// and the answers it sends on every request (a listing, a message, a
// session).
//
// Its functions append to a byte slice and write exactly what json.Marshal
// writes for the same value: strings escaped as encoding/json escapes them
// (HTML-safe, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped), times as
// time.Time's MarshalJSON writes them. Free-form parts (custom data) go
// through encoding/json ([Value]). Each user of the package holds its writer
// to json.Marshal with a differential fuzz test, so the bytes on the wire do
// not depend on which of the two wrote them.
package jsonwrite

import (
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"
)

// ErrTime is returned for a time that time.Time's MarshalJSON refuses: a year
// outside [0, 9999] or a zone offset of a day or more. json.Marshal refuses
// the value holding it, so a caller falls back to json.Marshal for the error.
var ErrTime = errors.New("jsonwrite: time out of JSON's range")

const hex = "0123456789abcdef"

// String appends s as a JSON string, escaped as json.Marshal escapes it.
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe(b) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default: // other control bytes, and <, > and &
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// htmlSafe reports whether json.Marshal writes the ASCII byte b as it is.
func htmlSafe(b byte) bool {
	return b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
}

// OptString appends *s as a JSON string, or null for nil.
func OptString(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return String(dst, *s)
}

// Bool appends true or false.
func Bool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// Time appends t as time.Time's MarshalJSON writes it (RFC 3339 with the
// nanoseconds it has), or returns ErrTime where MarshalJSON fails.
func Time(dst []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, ErrTime
	}
	if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
		return dst, ErrTime
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}

// Value appends v as json.Marshal writes it: for the free-form parts of a
// record.
func Value(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// Appender is a value that appends itself as json.Marshal writes it, or
// returns the error json.Marshal would return.
type Appender interface {
	AppendJSON(dst []byte) ([]byte, error)
}

// Marshal returns v as json.Marshal does, through v's AppendJSON when it has
// one. Where AppendJSON fails it returns json.Marshal's answer, error included.
func Marshal(v any) ([]byte, error) {
	if a, ok := v.(Appender); ok {
		if b, err := a.AppendJSON(make([]byte, 0, 512)); err == nil {
			return b, nil
		}
	}
	return json.Marshal(v)
}

// Ptr appends v through its AppendJSON, or null for a nil v, as json.Marshal
// writes a pointer.
func Ptr[T any, P interface {
	*T
	Appender
}](dst []byte, v P) ([]byte, error) {
	if v == nil {
		return append(dst, "null"...), nil
	}
	return v.AppendJSON(dst)
}

// Slice appends vs as a JSON array of [Ptr]s, or null for a nil slice, as
// json.Marshal writes a slice of pointers.
func Slice[T any, P interface {
	*T
	Appender
}](dst []byte, vs []P) ([]byte, error) {
	if vs == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = Ptr(dst, v); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}
