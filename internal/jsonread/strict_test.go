package jsonread_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/chatwidget/identity/internal/jsonread"
)

// uniqueKeys is Strict's verdict the slow way: encoding/json's tokenizer,
// one set of keys per open object.
func uniqueKeys(b []byte) (dup string, ok bool) {
	if !json.Valid(b) || loneSurrogate(b) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // any valid number: float64 would refuse 1e400, which json.Valid takes
	type frame struct {
		obj    bool
		keys   map[string]bool
		expect bool // the next string is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", true
		}
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if top != nil && top.obj {
					top.expect = true
				}
				stack = append(stack, &frame{obj: t == '{', keys: map[string]bool{}, expect: t == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		case string:
			if top != nil && top.obj && top.expect {
				if top.keys[t] {
					return t, false
				}
				top.keys[t] = true
				top.expect = false
				continue
			}
		}
		if top != nil && top.obj {
			top.expect = true
		}
	}
}

// loneSurrogate reports whether a string of b, valid JSON, escapes half of
// a UTF-16 surrogate pair without the other: each string's \u escapes read
// as UTF-16 code units, a high half must be followed at once by the escape
// of a low half, and a low half must follow a high half's.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		// A string: its units, from \u escapes only (-1 for anything else).
		var units []int
		for i++; b[i] != '"'; i++ {
			if b[i] != '\\' {
				units = append(units, -1)
				continue
			}
			i++
			if b[i] == 'u' {
				n, _ := strconv.ParseUint(string(b[i+1:i+5]), 16, 16)
				units = append(units, int(n))
				i += 4
			} else {
				units = append(units, -1)
			}
		}
		for k, u := range units {
			high := u >= 0xd800 && u <= 0xdbff
			low := u >= 0xdc00 && u <= 0xdfff
			next := k+1 < len(units) && units[k+1] >= 0xdc00 && units[k+1] <= 0xdfff
			prev := k > 0 && units[k-1] >= 0xd800 && units[k-1] <= 0xdbff
			if high && !next || low && !prev {
				return true
			}
		}
	}
	return false
}

// unmarshalNumbers is json.Unmarshal into an interface with numbers kept as
// json.Number: as float64, 1e400 would not decode, yet it is JSON.
func unmarshalNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one value")
	}
	return v, nil
}

func keepEven(k []byte) bool { return len(k)%2 == 0 }

// keptDepth is how deep b nests once the outer object's members that
// keepEven drops are gone; 0 when b is not JSON.
func keptDepth(b []byte) int {
	v, err := unmarshalNumbers(b)
	if err != nil {
		return 0
	}
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			if !keepEven([]byte(k)) {
				delete(m, k)
			}
		}
	}
	var depth func(v any) int
	depth = func(v any) int {
		d := 0
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				d = max(d, depth(e))
			}
		case []any:
			for _, e := range v {
				d = max(d, depth(e))
			}
		default:
			return 0
		}
		return d + 1
	}
	return depth(v)
}

func checkStrict(t *testing.T, b []byte) {
	out, err := jsonread.Strict(b, keepEven)
	if se := (*jsonread.StrictError)(nil); errors.As(err, &se) && se.Deep {
		// Of a text that is both too deep and not JSON (or repeating a
		// key), either verdict will do.
		if _, ok := uniqueKeys(b); ok && keptDepth(b) <= jsonread.MaxDepth {
			t.Fatalf("Strict(%q): %v, but it nests %d levels in what it keeps", b, err, keptDepth(b))
		}
		return
	}
	if err == nil && keptDepth(b) > jsonread.MaxDepth {
		t.Fatalf("Strict(%q) accepted %d levels in what it keeps", b, keptDepth(b))
	}
	dup, ok := uniqueKeys(b)
	if se := (*jsonread.StrictError)(nil); errors.As(err, &se) && se.Surrogate && json.Valid(b) && !loneSurrogate(b) {
		t.Fatalf("Strict(%q) = %v, but no string escapes a lone surrogate", b, err)
	}
	if (err == nil) != ok {
		t.Fatalf("Strict(%q) = %v, want ok %v (dup %q)", b, err, ok, dup)
	}
	if err != nil {
		var se *jsonread.StrictError
		// Of a text that is not JSON, either verdict will do.
		if !errors.As(err, &se) || json.Valid(b) && se.Key != dup {
			t.Fatalf("Strict(%q): %v, want repeated key %q", b, err, dup)
		}
		return
	}
	want, err := unmarshalNumbers(b)
	if err != nil {
		t.Fatalf("Strict accepted %q", b)
	}
	if m, ok := want.(map[string]any); ok {
		for k := range m {
			if !keepEven([]byte(k)) {
				delete(m, k)
			}
		}
	}
	if got, err := unmarshalNumbers(out); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Strict(%q) = %q (%v), want the value %v", b, out, err, want)
	}
}

var strictCases = []string{
	`{}`, `[]`, `1`, `"s"`, `null`, ` {"ab":1} `, `{"a":1}`, `{"a":1,"bc":2,"d":3}`, `{"ab":1,"c":2}`,
	`{"user_id":"a","user_id":"b"}`, `{"a":1,"\u0061":2}`, `{"USER_ID":"x"}`, `{"user_id":"a","USER_ID":"b"}`,
	`{"x":{"k":1,"k":2}}`, `{"x":[{"k":1},{"k":2}]}`, `[{"k":1,"k":2}]`, `{"a":{"b":{"c":{"d":1,"d":2}}}}`,
	`{"\ud800":1,"\ufffd":2}`, `{"a":"\ud800"}`, `["\udc00\ud800"]`, `{"\udfff":1}`, `{"a":"x\ud83d\ude00\ud83d"}`, `{"a":"\ud83d\u0041"}`,
	`{"a":"\ud83d\\ude00"}`, `{"a":"\ud83d\ude0"}`, `{"a":"\\ud800"}`, `{"a":"\uDBFF\uDFFF"}`, `{"a":"\ud83d"`, "{\"\xff\":1,\"\xfe\":2}", `{"\ud83d\ude00":1,"😀":2}`, `{"a":1,}`, `{"a" 1}`,
	`{"a":1}{}`, `{"a":01}`, `{"a":-}`, `{"a":1.}`, `{"a":1e}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"\u12"}`,
	`[1,2,]`, `{"a":[1,{"b":[]}],"cd":{"e":{}},"ef":"}"}`, `{"":1,"":2}`, `{"k\"":1,"k\\":2}`, `{"a":"` + "\x01" + `"}`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"a":19}`,
	strings.Repeat("[", 600) + strings.Repeat("]", 600),
	strings.Repeat("[", 32) + strings.Repeat("]", 32), strings.Repeat("[", 33) + strings.Repeat("]", 33),
	`{"ab":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`, `{"ab":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`,
	`{"odd":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `,"ab":1}`,
	`{"ab":` + strings.Repeat("[", 600) + `}`,
}

// Strict refuses what nests deeper than MaxDepth, naming the outer member
// that does, but in members keep drops (encoding/json never sees them).
func TestStrictDepth(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	for _, c := range []struct {
		in   string
		keep func([]byte) bool
		key  string // "" = accepted
		deep bool
	}{
		{deep(jsonread.MaxDepth), nil, "", false},
		{deep(jsonread.MaxDepth + 1), nil, "", true},
		{`{"ab":` + deep(jsonread.MaxDepth-1) + `}`, keepEven, "", false},
		{`{"ab":` + deep(jsonread.MaxDepth) + `}`, keepEven, "ab", true},
		{`{"abc":` + deep(5000) + `,"ab":1}`, keepEven, "", false},
		{`{"ab":1,"cd":[` + strings.Repeat("[", 9000) + `}`, keepEven, "cd", true},
	} {
		_, err := jsonread.Strict([]byte(c.in), c.keep)
		var se *jsonread.StrictError
		switch {
		case !c.deep && err != nil:
			t.Errorf("Strict(%.40s…) = %v, want it accepted", c.in, err)
		case c.deep && (!errors.As(err, &se) || !se.Deep || se.Key != c.key):
			t.Errorf("Strict(%.40s…) = %#v, want Deep naming %q", c.in, err, c.key)
		}
	}
	for in, want := range map[string]int{`1`: 0, `[]`: 1, `{"a":[{}]}`: 3, `["[[[", "\"[["]`: 1, `[[]`: 2, `]]]`: 0} {
		if got := jsonread.Depth([]byte(in)); got != want {
			t.Errorf("Depth(%s) = %d, want %d", in, got, want)
		}
	}
}

func TestStrict(t *testing.T) {
	for _, c := range strictCases {
		checkStrict(t, []byte(c))
	}
	// The cases of the issue.
	for in, key := range map[string]string{`{"user_id":"a","user_id":"b"}`: "user_id", `{"c":{"x":1,"x":2}}`: "x", `{"a":1,"\u0061":2}`: "a"} {
		_, err := jsonread.Strict([]byte(in), nil)
		var se *jsonread.StrictError
		if !errors.As(err, &se) || se.Key != key {
			t.Errorf("Strict(%s) = %v, want the repeated key %q", in, err, key)
		}
	}
	exact := func(k []byte) bool { return string(k) == "user_id" || string(k) == "external_id" }
	for in, want := range map[string]string{
		`{"USER_ID":"x"}`:                             `{}`,
		`{"user_id":"a","USER_ID":"b"}`:               `{"user_id":"a"}`,
		`{"External_Id":"e","user_id":"u"}`:           `{"user_id":"u"}`,
		`{"u\u017fer_id":"x","external_id":"e"}`:      `{"external_id":"e"}`,
		`{"user_id":"u","custom_data":{"A":1}}`:       `{"user_id":"u"}`,
		`{"user_id":"u","external_id":{"USER_ID":1}}`: `{"user_id":"u","external_id":{"USER_ID":1}}`,
	} {
		out, err := jsonread.Strict([]byte(in), exact)
		if err != nil || string(out) != want {
			t.Errorf("Strict(%s) = %s, %v; want %s", in, out, err, want)
		}
	}
	// Nothing to drop: b itself.
	b := []byte(`{"user_id":"u"}`)
	if out, _ := jsonread.Strict(b, exact); &out[0] != &b[0] {
		t.Error("Strict copied a body it kept whole")
	}
}

func FuzzStrict(f *testing.F) {
	for _, c := range strictCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkStrict(t, b) })
}

var benchBody = []byte(`{"user_id":"u-123456","email":"ann@example.com","name":"Ann Example","external_id":"ws-1","custom_data":{"plan":"pro","seats":12,"tags":["a","b","c"],"billing":{"country":"FR","vat":true}},"ttl_seconds":3600}`)

type benchReq struct {
	UserID     *string         `json:"user_id"`
	Email      *string         `json:"email"`
	Name       *string         `json:"name"`
	ExternalID *string         `json:"external_id"`
	CustomData json.RawMessage `json:"custom_data"`
	TTLSeconds *int64          `json:"ttl_seconds"`
}

// BenchmarkStrict is Strict's cost next to what it guards: decoding the
// body into its struct.
func BenchmarkStrict(b *testing.B) {
	known := map[string]bool{"user_id": true, "email": true, "name": true, "external_id": true, "custom_data": true, "ttl_seconds": true}
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jsonread.Strict(benchBody, func(k []byte) bool { return known[string(k)] }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v benchReq
			if err := json.NewDecoder(bytes.NewReader(benchBody)).Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A string that escapes half of a surrogate pair alone names no character:
// Strict refuses it, key or value, at any depth, where encoding/json would
// make it U+FFFD (and "\ud800", "\udbff" and "\ufffd" one user_id).
func TestStrictRefusesLoneSurrogates(t *testing.T) {
	for _, in := range []string{
		`{"user_id":"\ud800"}`, `{"user_id":"\udc00"}`, `{"user_id":"\udc00\ud800"}`, `{"user_id":"a\ud83d"}`,
		`{"user_id":"\ud83d\ud83d\ude00"}`, `{"user_id":"\ud83d\u0041"}`, `{"user_id":"\ud83d\n"}`, `{"user_id":"\ud83dx"}`,
		`{"\ud800":1}`, `{"custom_data":{"a":["\uDFFF"]}}`, `["\ud800"]`, `"\ud800"`,
	} {
		_, err := jsonread.Strict([]byte(in), keepEven)
		var se *jsonread.StrictError
		if !errors.As(err, &se) || !se.Surrogate {
			t.Errorf("Strict(%s) = %v, want a Surrogate error", in, err)
		}
	}
	for _, in := range []string{`{"user_id":"\ud83d\ude00"}`, `{"user_id":"\uD83D\uDE00x"}`, `{"user_id":"\ufffd"}`, `{"user_id":"\\ud800"}`, `{"user_id":"\udbff\udfff"}`} {
		if _, err := jsonread.Strict([]byte(in), keepEven); err != nil {
			t.Errorf("Strict(%s) = %v, want it accepted", in, err)
		}
	}
}
