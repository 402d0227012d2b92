package contract

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// LoopbackLoadVars are the wrangler dev vars of a rig whose every simulated
// client calls from 127.0.0.1 (soak, webhooke2e, e2e): the per-address rate
// limits off, the per-device ones kept; the pairs of more add or replace.
func LoopbackLoadVars(more ...string) map[string]string {
	vars := map[string]string{"RATE_LIMIT_CONTACTS_PER_IP": "0", "RATE_LIMIT_MESSAGES_PER_IP": "0"}
	for i := 0; i+1 < len(more); i += 2 {
		vars[more[i]] = more[i+1]
	}
	return vars
}

// Pages calls page with the cursor of each answer's next_cursor ("" first)
// until it is null or empty, at most max pages; a cursor that repeats is an
// error.
func Pages(max int, page func(cursor string) (next *string, err error)) error {
	cursor := ""
	for range max {
		next, err := page(cursor)
		switch {
		case err != nil:
			return err
		case next == nil || *next == "":
			return nil
		case *next == cursor:
			return errors.New("next_cursor repeats the cursor")
		}
		cursor = *next
	}
	return fmt.Errorf("more than %d pages", max)
}

// KVEntry is a key of the worker's KV, as GET /v1/admin/debug/kv shows it.
type KVEntry struct{ Name, Value, Metadata string }

// DumpKV reads every key of the KV through the development-only GET
// /v1/admin/debug/kv (DEMO_ROUTES=1, the admin token in opts), which is
// outside the document, so c must not validate. found is false when the
// worker has no such route.
func (c *Client) DumpKV(ctx context.Context, opts ...Option) (keys []KVEntry, found bool, err error) {
	err = Pages(100000, func(cursor string) (*string, error) {
		r, err := c.Do(ctx, "GET", withQuery("/v1/admin/debug/kv", Page{Cursor: cursor}.query(nil)), nil, opts...)
		if err != nil || r.Status == 404 {
			return nil, err
		}
		var page struct {
			Keys       []KVEntry
			NextCursor *string `json:"next_cursor"`
		}
		if err := Fits(r, nil, 200); err != nil {
			return nil, err
		}
		if p := JSONTypeProblems(r); len(p) > 0 {
			return nil, fmt.Errorf("%s: %s", r.What(), strings.Join(p, "; "))
		}
		if err := r.Decode(&page); err != nil {
			return nil, err
		}
		found, keys = true, append(keys, page.Keys...)
		return page.NextCursor, nil
	})
	return keys, found, err
}

// Holding returns the names of the keys whose name, value or metadata holds
// one of marks, ASCII case folded.
func Holding(keys []KVEntry, marks ...string) []string {
	var out []string
	for _, k := range keys {
		hay := strings.ToLower(k.Name + "\x00" + k.Value + "\x00" + k.Metadata)
		if slices.ContainsFunc(marks, func(m string) bool { return m != "" && strings.Contains(hay, strings.ToLower(m)) }) {
			out = append(out, k.Name)
		}
	}
	return out
}
