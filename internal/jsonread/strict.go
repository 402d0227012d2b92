package jsonread

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// StrictError is why Strict refused a text: Key is the repeated key, ""
// when the text is not JSON; or, when Deep, the text nests containers
// deeper than MaxDepth, and Key is the outer object's member that does
// ("" when the text is not an object or keep is nil); or, when Surrogate, a
// string escapes half of a UTF-16 surrogate pair alone.
type StrictError struct {
	Key       string
	Deep      bool
	Surrogate bool
}

// MaxDepth is how deep Strict lets containers nest in what it keeps (the
// outer value is level 1). encoding/json, which decodes what Strict passes,
// recurses once per level into a map, a slice or an interface, up to 10,000
// levels; under TinyGo a goroutine's stack is fixed (the worker's 64 KB
// overflows at a few thousand levels, which traps the instance), so no
// request may nest deeper than this. No field of the API nests deeper than
// custom_data's 3 levels.
const MaxDepth = 32

func (e *StrictError) Error() string {
	if e.Deep {
		return "jsonread: nested deeper than " + strconv.Itoa(MaxDepth) + " levels"
	}
	if e.Surrogate {
		return "jsonread: a string escapes a lone UTF-16 surrogate"
	}
	if e.Key == "" {
		return "jsonread: invalid JSON"
	}
	return "jsonread: repeated key " + e.Key
}

// Strict checks that b is one JSON value (white space around it allowed) in
// which no object repeats a key, at any depth: keys are compared as
// encoding/json compares them, after unescaping ("a" and "\u0061" are the
// same key) and exactly (case included). encoding/json would keep the last
// of two repeated keys; Strict refuses them.
//
// A string, key or value, that escapes half of a UTF-16 surrogate pair
// without the other ("\ud800", "\udc00\ud800") is refused too (a
// Surrogate error): it names no character, so it cannot be UTF-8, and
// encoding/json would make it U+FFFD, so that "\ud800", "\udbff" and "\ufffd"
// would be one user_id. Its raw UTF-8 spelling (ED A0 80) is not valid
// UTF-8 either, which the API refuses before Strict runs. (I-JSON, RFC 7493,
// refuses both, as it refuses repeated keys.)
//
// When b is an object and keep is not nil, Strict also drops the members
// of that outer object whose key keep refuses, so that encoding/json, which
// matches a struct's field names case-insensitively (and with Unicode
// folding: "USER_ID" and "u\u017fer_id" are its user_id), sees only keys
// that match exactly: out is b itself when every key is kept, else a new
// object of the members kept, in order. Nested objects are left as they
// are: callers decode them into maps, whose keys encoding/json matches
// exactly.
//
// Containers nested deeper than MaxDepth are refused (a Deep error), but in
// the members of the outer object that keep drops, which encoding/json never
// sees.
//
// It walks b once, without recursion and without recover, so it runs
// anywhere the widget runs.
func Strict(b []byte, keep func(key []byte) bool) (out []byte, err error) {
	st := strict{r: Reader{b: b}, keep: keep}
	st.stack = st.stackBuf[:0]
	st.keys = st.keysBuf[:0]
	return st.run()
}

// strict is Strict's state: the open containers and, for the objects among
// them, the keys they have had, in one slice.
type strict struct {
	r     Reader
	keep  func([]byte) bool
	stack []strictFrame
	keys  [][]byte
	kept  [][2]int // spans of the outer object's members kept
	// where the outer object's current member starts and whether it is kept
	member    int
	keepIt    bool
	memberKey []byte // the outer object's current member's key
	dropped   bool   // whether a member of the outer object was dropped

	stackBuf [8]strictFrame
	keysBuf  [32][]byte
}

// strictFrame is an open array or object; an object's keys are
// keys[start:], or set once there are many.
type strictFrame struct {
	obj   bool
	start int
	set   map[string]struct{}
}

func (st *strict) run() ([]byte, error) {
	r := &st.r
	b := r.b
	bad := func() ([]byte, error) { return nil, &StrictError{Surrogate: r.surrogate} }
	for {
		// A value.
		r.ws()
		if r.i >= len(b) {
			return bad()
		}
		closed := false
		if c := b[r.i]; (c == '{' || c == '[') && len(st.stack) >= MaxDepth && !st.inDropped() {
			e := &StrictError{Deep: true}
			if st.keep != nil {
				e.Key = string(st.memberKey)
			}
			return nil, e
		}
		switch c := b[r.i]; {
		case c == '{':
			r.i++
			st.stack = append(st.stack, strictFrame{obj: true, start: len(st.keys)})
			if closed = r.Byte('}'); !closed {
				if err := st.key(); err != nil {
					return nil, err
				}
				continue
			}
		case c == '[':
			r.i++
			st.stack = append(st.stack, strictFrame{})
			if closed = r.Byte(']'); !closed {
				continue
			}
		case c == '"':
			if _, ok := r.scanString(); !ok {
				return bad()
			}
		case c == 't':
			if !r.Literal("true") {
				return bad()
			}
		case c == 'f':
			if !r.Literal("false") {
				return bad()
			}
		case c == 'n':
			if !r.Literal("null") {
				return bad()
			}
		default:
			if !r.number() {
				return bad()
			}
		}
		if closed {
			st.pop()
		}
		// After a value: the end of b, or a comma or the end of the
		// containers that hold it.
	after:
		for {
			if len(st.stack) == 0 {
				if !r.End() {
					return bad()
				}
				if !st.dropped {
					return b, nil
				}
				return joinMembers(b, st.kept), nil
			}
			top := st.stack[len(st.stack)-1]
			if len(st.stack) == 1 && top.obj && st.keep != nil && st.keepIt {
				st.kept = append(st.kept, [2]int{st.member, r.i})
			}
			if r.Byte(',') {
				if top.obj {
					if err := st.key(); err != nil {
						return nil, err
					}
				}
				break after
			}
			end := byte(']')
			if top.obj {
				end = '}'
			}
			if !r.Byte(end) {
				return bad()
			}
			st.pop()
		}
	}
}

// inDropped reports whether the value being read is in a member of the outer
// object that keep drops.
func (st *strict) inDropped() bool {
	return st.keep != nil && len(st.stack) > 0 && st.stack[0].obj && !st.keepIt
}

func (st *strict) pop() {
	f := st.stack[len(st.stack)-1]
	if f.obj {
		st.keys = st.keys[:f.start]
	}
	st.stack = st.stack[:len(st.stack)-1]
}

// key reads an object's key and its colon into the top frame.
func (st *strict) key() error {
	r := &st.r
	r.ws()
	start := r.i
	tok, ok := r.scanString()
	if !ok {
		return &StrictError{Surrogate: r.surrogate}
	}
	k := unquote(tok)
	f := &st.stack[len(st.stack)-1]
	if st.seen(f, k) {
		return &StrictError{Key: string(k)}
	}
	if len(st.stack) == 1 && st.keep != nil {
		st.member, st.keepIt, st.memberKey = start, st.keep(k), k
		st.dropped = st.dropped || !st.keepIt
	}
	if !r.Byte(':') {
		return &StrictError{}
	}
	return nil
}

// seen records k in f, reporting whether the object had it already.
func (st *strict) seen(f *strictFrame, k []byte) bool {
	if f.set != nil {
		if _, ok := f.set[string(k)]; ok {
			return true
		}
		f.set[string(k)] = struct{}{}
		return false
	}
	for _, s := range st.keys[f.start:] {
		if bytes.Equal(s, k) {
			return true
		}
	}
	st.keys = append(st.keys, k)
	if n := len(st.keys) - f.start; n > 16 {
		f.set = make(map[string]struct{}, 2*n)
		for _, s := range st.keys[f.start:] {
			f.set[string(s)] = struct{}{}
		}
		st.keys = st.keys[:f.start]
	}
	return false
}

// scanString passes over a string token, checking its escapes, and returns
// it without its quotes. A \u escape of a surrogate must be the high half
// followed by the \u escape of the low half; when it is not, scanString
// fails and sets r.surrogate.
func (r *Reader) scanString() ([]byte, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false
	}
	start := r.i + 1
	for j := start; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			r.i = j + 1
			return r.b[start:j], true
		case c < 0x20:
			return nil, false
		case c == '\\':
			if j+1 >= len(r.b) {
				return nil, false
			}
			switch r.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				rr, ok := hex4(r.b[j+2:])
				if !ok {
					return nil, false
				}
				j += 5
				if utf16.IsSurrogate(rr) {
					// A pair is a high half, then a low half's escape.
					low, ok := rune(0), false
					if rr < 0xdc00 && j+6 < len(r.b) && r.b[j+1] == '\\' && r.b[j+2] == 'u' {
						low, ok = hex4(r.b[j+3:])
					}
					if !ok || low < 0xdc00 || low > 0xdfff {
						r.surrogate = true
						return nil, false
					}
					j += 6
				}
			default:
				return nil, false
			}
		}
	}
	return nil, false
}

// unquote is the text of a string token checked by scanString, as
// encoding/json decodes it: escapes resolved, an unpaired surrogate and each
// byte of invalid UTF-8 replaced by U+FFFD.
func unquote(s []byte) []byte {
	simple := true
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple || (utf8.Valid(s) && !containsByte(s, '\\')) {
		return s
	}
	out := make([]byte, 0, len(s))
	for j := 0; j < len(s); {
		c := s[j]
		if c >= utf8.RuneSelf {
			rr, n := utf8.DecodeRune(s[j:])
			out = utf8.AppendRune(out, rr) // RuneError for a bad byte
			j += n
			continue
		}
		if c != '\\' {
			out = append(out, c)
			j++
			continue
		}
		switch e := s[j+1]; e {
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
			rr, _ := hex4(s[j+2:]) // scanString checked it
			out, j = appendEscapedRune(out, s, j+6, rr)
			continue
		default: // '"', '\\', '/'
			out = append(out, e)
		}
		j += 2
	}
	return out
}

func containsByte(s []byte, c byte) bool {
	for _, x := range s {
		if x == c {
			return true
		}
	}
	return false
}

// number passes over a number as JSON spells it.
func (r *Reader) number() bool {
	b, i := r.b, r.i
	digits := func() bool {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	r.i = i
	return true
}

// joinMembers is the object of b's members at spans, in order.
func joinMembers(b []byte, spans [][2]int) []byte {
	out := make([]byte, 0, len(b))
	out = append(out, '{')
	for i, s := range spans {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b[s[0]:s[1]]...)
	}
	return append(out, '}')
}
