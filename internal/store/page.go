package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// Listing limits.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
	// maxListCalls bounds the KV list calls one page may take when a filter
	// skips many keys; the page then ends early with a cursor.
	maxListCalls = 5
	// maxPageOps bounds the KV operations of one page, its list calls and
	// the reads its decode makes (a session whose summary cannot decide a
	// filter is read): the page ends early with a cursor before a key whose
	// reads could pass it, so that a request stays under Workers' limit of
	// 1,000 per invocation with room for its own. A filter that only
	// records decide would otherwise read up to 5,000 a page.
	maxPageOps = 800
)

// ErrBadCursor is returned for a cursor this store did not make.
// It is identity.Invalid("cursor", ...) written out: a literal, which TinyGo
// builds at compile time, where the call's fmt.Sprintf ran at every start.
var ErrBadCursor = &identity.Error{Code: identity.CodeInvalidRequest, Message: "cursor is not a cursor this API returned."}

// pageCursor is where a listing goes on: the KV cursor of the KV page that
// holds the next item, and the last key already returned. KV lists have no
// "start after", so a listing resumes inside a KV page by passing over the
// keys up to After; keys written since (newer sessions, which sort first) are
// passed over too, so no item is returned twice.
//
// Edge says that After is the last key of its KV page, so that the next KV
// page (KV) starts with the next item: a listing that resumes there asks
// KV for only the keys it needs.
//
// Session and Message are an export's (ExportSessions): the key of the
// session that the previous page ended inside of, the first after After, and
// the last of its messages given.
type pageCursor struct {
	KV      string `json:"c,omitempty"`
	After   string `json:"a,omitempty"`
	Edge    bool   `json:"e,omitempty"`
	Session string `json:"s,omitempty"`
	Message string `json:"m,omitempty"`
}

// decodeCursor reads a cursor of the listing of the keys under prefix. A
// cursor of another listing (another org's, another owner's, the org's
// listing for an owner's) is refused like a forged one: its last key is
// not under prefix, and resuming after it would silently start that
// listing over or end it.
func decodeCursor(s, prefix string) (pageCursor, error) {
	var c pageCursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 2048 {
		return c, ErrBadCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if dec.Decode(&c) != nil || (c.KV == "" && c.After == "" && c.Session == "") || (c.After != "" && !strings.HasPrefix(c.After, prefix)) {
		return c, ErrBadCursor
	}
	// A position inside a session is one of that listing's keys past After,
	// with a message id; the listing reads only that key's messages with it.
	if (c.Session == "") != (c.Message == "") || (c.Session != "" && (!strings.HasPrefix(c.Session, prefix) || c.Session <= c.After || len(c.Message) > 64)) {
		return c, ErrBadCursor
	}
	return c, nil
}

func (c pageCursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// listPage returns up to limit items of the keys under prefix for which decode
// says ok, resuming at cursor, and the cursor of the next page ("" at the end).
// With no filter a page costs one KV list call. decode says how many KV
// operations it made, at most reads; a page ends, short, with a cursor
// before a key once reads more could pass maxPageOps.
//
// It asks KV for only the keys the page still needs, as long as none was
// passed over: KV hands every key it lists to the worker with its metadata,
// which Go then decodes, so that a page of 20 asked of 1,000 keys cost a
// listing of an identity with 100 sessions 1.6 ms of the isolate's CPU
// against 0.5 for the JavaScript peer (worker/test/bench/README.md, session
// 21). Once a key is passed over (a filter, or a resume inside a KV page),
// it asks for KV's most, so that a filter that matches few keys still
// fills a page in maxListCalls calls.
func listPage[T any](ctx context.Context, k kv.KV, prefix, cursor string, limit, reads int, decode func(kv.ListKey) (T, bool, int, error)) ([]T, string, error) {
	cur, err := decodeCursor(cursor, prefix)
	if err == nil && cur.Session != "" {
		err = ErrBadCursor // an export's cursor
	}
	if err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > MaxPageLimit {
		limit = DefaultPageLimit
	}
	var out []T
	skipping := cur.After != "" && !cur.Edge
	ops := 0
	for calls := 0; calls < maxListCalls; calls++ {
		ask := kv.MaxListLimit
		if !skipping {
			ask = limit - len(out)
		}
		res, err := k.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cur.KV, Limit: ask})
		ops++
		if err != nil {
			if cur.KV != "" && errors.Is(err, kv.ErrBadCursor) {
				return nil, "", ErrBadCursor
			}
			if cursor != "" && calls == 0 {
				// A forged KV cursor is refused by KV itself; say so rather
				// than blame storage.
				return nil, "", ErrBadCursor
			}
			return nil, "", unavailable(err)
		}
		for i, key := range res.Keys {
			if key.Name <= cur.After {
				skipping = true
				continue
			}
			if ops+reads > maxPageOps {
				// Every key before this one was returned or passed over.
				if i == 0 {
					return out, cur.String(), nil
				}
				return out, pageCursor{KV: cur.KV, After: max(cur.After, res.Keys[i-1].Name)}.String(), nil
			}
			item, ok, n, err := decode(key)
			ops += n
			if err != nil {
				return nil, "", err
			}
			if !ok {
				skipping = true
				continue
			}
			out = append(out, item)
			if len(out) == limit {
				if i == len(res.Keys)-1 && res.Complete {
					return out, "", nil
				}
				if i == len(res.Keys)-1 {
					return out, pageCursor{KV: res.Cursor, After: key.Name, Edge: true}.String(), nil
				}
				return out, pageCursor{KV: cur.KV, After: key.Name}.String(), nil
			}
		}
		if res.Complete || res.Cursor == "" {
			return out, "", nil
		}
		cur = pageCursor{KV: res.Cursor, After: cur.After}
		if n := len(res.Keys); n > 0 && res.Keys[n-1].Name > cur.After {
			// Every key of this KV page was returned or passed over. The
			// cursor names the last, so that it is of this listing
			// (decodeCursor): KV's alone would be taken by another.
			cur.After, cur.Edge = res.Keys[n-1].Name, true
		}
	}
	return out, cur.String(), nil
}
