package contract

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// M is the part of a JSON object that Match compares: only its keys, each
// by its own rule; a []any is a list of exactly that length, each item by
// its own rule. Any other value of a want (a map[string]any, a []string, a
// string, null) is compared whole.
type M map[string]any

// Matcher is a want that is a test rather than a value: it says what is
// wrong with got (its JSON form), or "".
type Matcher func(got any) string

// Absent, as the value of a key of an M, wants the object without that key;
// Present wants the key, whatever its value, null too. Elsewhere a missing
// key is taken as null.
var Absent, Present any = presence(false), presence(true)

type presence bool

// matcher matches the JSON forms ok holds; want names them in the message.
func matcher(want string, ok func(got any) bool) Matcher {
	return func(got any) string {
		if ok(got) {
			return ""
		}
		return fmt.Sprintf("%s, want %s", show(got), want)
	}
}

// Not matches anything whose JSON form differs from v's.
func Not(v any) Matcher {
	return matcher("anything else", func(got any) bool { return !reflect.DeepEqual(got, generic(v)) })
}

// OneOf matches a JSON form equal to one of vs'.
func OneOf(vs ...any) Matcher {
	return matcher("one of "+show(vs), func(got any) bool {
		return slices.ContainsFunc(vs, func(v any) bool { return reflect.DeepEqual(got, generic(v)) })
	})
}

// Fold matches a string equal to s under Unicode case folding.
func Fold(s string) Matcher {
	return matcher(fmt.Sprintf("%q in any case", s), func(got any) bool {
		g, ok := got.(string)
		return ok && strings.EqualFold(g, s)
	})
}

// NonEmpty matches a string that is not "".
var NonEmpty = matcher("a non-empty string", func(got any) bool {
	s, ok := got.(string)
	return ok && s != ""
})

// Match compares got with want by their JSON forms, and names each path
// where they differ, as ".contact.name: "Sam", want "Ann"" ("" when
// none does). Only the keys of an M are compared; anything else must
// equal got whole, so a test states exactly the fields it checks.
func Match(got, want any) string {
	var diffs []string
	match(&diffs, "", generic(got), want)
	return strings.Join(diffs, "; ")
}

func match(diffs *[]string, path string, got, want any) {
	switch w := want.(type) {
	case M:
		obj, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: %s, want an object", cmpPath(path), show(got)))
			return
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			switch v, has := obj[k]; {
			case w[k] == Absent && has:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: %s, want no such key", path, k, show(v)))
			case w[k] == Present && !has:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing, want the key (null when empty)", path, k))
			case w[k] != Absent && w[k] != Present:
				match(diffs, path+"."+k, v, w[k])
			}
		}
	case []any:
		list, ok := got.([]any)
		if !ok || len(list) != len(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: %s, want a list of %d", cmpPath(path), show(got), len(w)))
			return
		}
		for i := range w {
			match(diffs, fmt.Sprintf("%s[%d]", path, i), list[i], w[i])
		}
	case Matcher:
		if d := w(got); d != "" {
			*diffs = append(*diffs, cmpPath(path)+": "+d)
		}
	default:
		exact(diffs, path, got, generic(want))
	}
}

// exact names where got and want, both JSON forms, differ: the keys of two
// objects (both ways) and the items of two lists of one length, else the
// whole value.
func exact(diffs *[]string, path string, got, want any) {
	g, gok := got.(map[string]any)
	w, wok := want.(map[string]any)
	if gok && wok {
		keys := slices.Sorted(maps.Keys(w))
		for k := range g {
			if _, has := w[k]; !has {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			gv, ghas := g[k]
			wv, whas := w[k]
			switch {
			case !ghas:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing, want %s", path, k, show(wv)))
			case !whas:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: %s, want no such key", path, k, show(gv)))
			default:
				exact(diffs, path+"."+k, gv, wv)
			}
		}
		return
	}
	gl, gok := got.([]any)
	wl, wok := want.([]any)
	if gok && wok && len(gl) == len(wl) {
		for i := range wl {
			exact(diffs, fmt.Sprintf("%s[%d]", path, i), gl[i], wl[i])
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		*diffs = append(*diffs, fmt.Sprintf("%s: %s, want %s", cmpPath(path), show(got), show(want)))
	}
}

// generic is v's JSON form: maps, lists, float64, string, bool, nil.
func generic(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%T: %v>", v, err)
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func cmpPath(p string) string {
	if p == "" {
		return "."
	}
	return p
}

// Expect fails t with what, naming each difference, unless got matches want
// (Match).
func Expect(t testing.TB, what string, got, want any) {
	t.Helper()
	if d := Match(got, want); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}

// Check fails t unless an answer was received and keeps the rules that hold
// for every answer: no 5xx, no 429 (fatal: a suite must not be rate
// limited), an answer that fits the OpenAPI document, and no request that the
// document refuses accepted.
func Check(t testing.TB, r *Response, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if r.Status >= 500 {
		t.Errorf("%s: got %d, no request may get a 5xx\n%s", r.What(), r.Status, Excerpt(r))
	}
	if r.Status == 429 {
		t.Fatalf("%s: rate limited (429); Retry-After=%q\n%s", r.What(), r.Header.Get("Retry-After"), Excerpt(r))
	}
	if r.AnswerErr != nil {
		t.Errorf("%s: the answer drifts from internal/api/openapi/openapi.json: %v\n%s", r.What(), r.AnswerErr, Excerpt(r))
	}
	if r.RequestErr != nil && r.Status < 300 {
		t.Errorf("%s: the worker accepted (%d) a request internal/api/openapi/openapi.json refuses: %v", r.What(), r.Status, r.RequestErr)
	}
}

// Excerpt shows an answer's Content-Type and the start of its body, for
// failure messages.
func Excerpt(r *Response) string {
	s := string(r.Body)
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return fmt.Sprintf("  content-type: %q\n  body: %s", r.Header.Get("Content-Type"), s)
}

// JSONTypeProblems is what is wrong with r's Content-Type for a JSON answer:
// application/json, in UTF-8 when it names a charset.
func JSONTypeProblems(r *Response) []string {
	var out []string
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		out = append(out, fmt.Sprintf("Content-Type %q, want application/json", ct))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		out = append(out, fmt.Sprintf("Content-Type charset %q, want utf-8", cs))
	}
	return out
}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// ErrorProblems is what is wrong with r as an error answer of the contract
// (none: nil): JSON in UTF-8, a body of exactly {"error": {"code",
// "message"}}, a snake_case code, and a message that is a sentence, not a
// stack trace or an internal error.
func ErrorProblems(r *Response) []string {
	out := JSONTypeProblems(r)
	if r.Error == nil {
		return append(out, fmt.Sprint(r.ErrorErr))
	}
	var shape map[string]map[string]any
	if err := json.Unmarshal(r.Body, &shape); err != nil || len(shape) != 1 || len(shape["error"]) != 2 {
		out = append(out, fmt.Sprintf(`error body is not exactly {"error": {code, message}}: %s`, r.Body))
	}
	if !snakeCase.MatchString(r.Error.Code) {
		out = append(out, fmt.Sprintf("error code %q is not snake_case", r.Error.Code))
	}
	msg := strings.ToLower(r.Error.Message)
	if strings.TrimSpace(msg) == "" {
		out = append(out, "error message is empty")
	}
	for _, leak := range []string{"goroutine", "panic", "runtime error", ".go:"} {
		if strings.Contains(msg, leak) {
			out = append(out, fmt.Sprintf("error message looks like a stack trace or internal error: %q", r.Error.Message))
			break
		}
	}
	return out
}
