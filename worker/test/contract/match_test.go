package contract

import (
	"strings"
	"testing"
)

// TestMatch: each rule of Match can fail, and names the path that does.
func TestMatch(t *testing.T) {
	name := "Sam"
	got := struct {
		ID    string         `json:"id"`
		Name  *string        `json:"name"`
		Email *string        `json:"email"`
		Data  map[string]any `json:"data"`
		List  []string       `json:"list"`
	}{"c1", &name, nil, map[string]any{"a": 1, "b": "x"}, []string{"p", "q"}}
	for _, c := range []struct {
		want any
		diff string // "" matches; else a part of the difference
	}{
		{M{"id": "c1", "name": "Sam", "email": nil}, ""},
		{M{"data": M{"a": 1}}, ""},
		{M{"data": map[string]any{"a": 1}}, `.data.b: "x", want no such key`},
		{M{"data": map[string]any{"a": 2, "b": "x"}}, `.data.a: 1, want 2`},
		{M{"data": map[string]any{"a": 1, "b": "x"}}, ""},
		{M{"data": map[string]any{"a": 1, "b": "x", "c": nil}}, ".data.c: missing, want null"},
		{M{"name": "Ann"}, `.name: "Sam", want "Ann"`},
		{M{"email": ""}, `.email: null, want ""`},
		{M{"email": OneOf(nil, "")}, ""},
		{M{"name": OneOf(nil, "")}, `.name: "Sam", want one of`},
		{M{"id": Not("c1")}, "want anything else"},
		{M{"id": NonEmpty, "name": Fold("SAM")}, ""},
		{M{"email": NonEmpty}, "non-empty"},
		{M{"name": Fold("Ann")}, "in any case"},
		{M{"list": []any{"p", M{}}}, `.list[1]: "q", want an object`},
		{M{"list": []any{"p"}}, "want a list of 1"},
		{M{"list": []string{"p", "q"}}, ""},
		{M{"missing": M{}}, ".missing: null, want an object"},
		{M{"missing": Absent, "email": nil}, ""},
		{M{"email": Absent}, ".email: null, want no such key"},
		{M{"email": Present, "data": Present}, ""},
		{M{"missing": Present}, ".missing: missing, want the key"},
	} {
		d := Match(got, c.want)
		if c.diff == "" && d != "" || c.diff != "" && !strings.Contains(d, c.diff) {
			t.Errorf("Match(%s) = %q, want %q", show(c.want), d, c.diff)
		}
	}
}

// TestPages: the walk ends at a null or empty next_cursor, and fails on a
// cursor that repeats and on more pages than its bound.
func TestPages(t *testing.T) {
	for _, c := range []struct {
		next  []string // the answers' next_cursor in turn; "-" is null
		pages int      // pages asked for
		err   string   // "" no error; else a part of it
	}{
		{[]string{"a", "b", "-"}, 3, ""}, {[]string{"a", ""}, 2, ""},
		{[]string{"a", "a"}, 2, "repeats"}, {[]string{"a", "b", "c", "d"}, 3, "more than 3 pages"},
	} {
		var asked []string
		err := Pages(3, func(cursor string) (*string, error) {
			if asked = append(asked, cursor); len(asked) > len(c.next) {
				return nil, nil
			}
			if n := c.next[len(asked)-1]; n != "-" {
				return &n, nil
			}
			return nil, nil
		})
		if len(asked) != c.pages || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("next_cursors %q: asked %q, error %v; want %d pages, error %q", c.next, asked, err, c.pages, c.err)
		}
	}
}
