package store

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/chatwidget/identity/internal/conc"

	"github.com/chatwidget/identity/internal/identity"
	"github.com/chatwidget/identity/internal/kv"
)

// Export limits: at most ExportPageSessions sessions a page, and a page ends
// before a session once exportPageOps KV operations are spent, so that a
// page stays under Workers' 1,000 per invocation with room for the request's
// own (a session's messages are read up to 1,000 keys a list call, plus one
// bulk read for each 100 messages too long to ride in their keys' metadata,
// as many as one read of messages holds).
const (
	ExportPageSessions = 20
	exportPageOps      = 600
)

// SessionExport is one session of an export, with its messages (all, or
// those of this page for a session that goes on to the next).
type SessionExport struct {
	Session  *identity.Session
	Messages []*identity.Message
}

// countingKV counts the operations made through it.
type countingKV struct {
	kv.KV
	n atomic.Int64
}

func (c *countingKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	c.n.Add(1)
	return c.KV.Get(ctx, key)
}

// GetMany counts one operation, a bulk read's (see getMany).
func (c *countingKV) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	c.n.Add(1)
	return getMany(ctx, c.KV, keys)
}

func (c *countingKV) List(ctx context.Context, o kv.ListOptions) (kv.ListResult, error) {
	c.n.Add(1)
	return c.KV.List(ctx, o)
}

// ExportSessions returns a page of the principal's sessions, newest first,
// each with its messages, less those hide says are erased; next is the
// cursor of the next page ("" at the end). ops is the KV operations spent.
//
// A page holds what one read of messages holds (see maxMessagesListed),
// over all its sessions: it ends before a session once that is spent, and a
// session whose messages go past it ends the page with those that fit. The
// next page then starts with that session again, with the messages that
// follow (the cursor names the session's key and its last message given),
// so that the pages together hold every message of every session, once.
func (s *Store) ExportSessions(ctx context.Context, orgID, principalKey string, hide func(*identity.Session) bool, cursor string) (out []SessionExport, next string, ops int, err error) {
	prefix := ownerIndexPrefix(orgID, principalKey)
	cur, err := decodeCursor(cursor, prefix)
	if err != nil {
		return nil, "", 0, err
	}
	ck := &countingKV{KV: s.kv}
	cs := &Store{kv: ck, now: s.now, readMsgs: s.readMsgs, readBytes: s.readBytes}
	budget := s.newBudget()
	out = []SessionExport{}
	// passed moves the cursor past the session at key.
	passed := func(key string) { cur.After, cur.Session, cur.Message = key, "", "" }
	for {
		// One key past a page's sessions tells whether the export goes on;
		// KV hands the worker every key it lists, with its metadata.
		res, err := ck.List(ctx, kv.ListOptions{Prefix: prefix, Cursor: cur.KV, Limit: ExportPageSessions + 1})
		if err != nil {
			if cursor != "" {
				return nil, "", 0, ErrBadCursor
			}
			return nil, "", 0, unavailable(err)
		}
		for _, key := range res.Keys {
			if key.Name <= cur.After {
				continue
			}
			if len(out) == ExportPageSessions || ck.n.Load() >= exportPageOps || budget.spent() {
				return out, cur.String(), int(ck.n.Load()), nil
			}
			sess, err := cs.Session(ctx, orgID, invert(key.Name[len(prefix):]))
			if errors.Is(err, identity.ErrNotFound) {
				passed(key.Name)
				continue
			}
			if err != nil {
				return nil, "", 0, err
			}
			if sess.Owner.Key != principalKey || (hide != nil && hide(sess)) {
				passed(key.Name)
				continue
			}
			after := ""
			if key.Name == cur.Session {
				after = cur.Message
			}
			msgs, more, err := cs.readMessages(ctx, sess, after, budget)
			if err != nil {
				return nil, "", 0, err
			}
			if more && len(msgs) == 0 {
				return out, cur.String(), int(ck.n.Load()), nil
			}
			out = append(out, SessionExport{Session: sess, Messages: msgs})
			if more {
				cur.Session, cur.Message = key.Name, msgs[len(msgs)-1].ID
				return out, cur.String(), int(ck.n.Load()), nil
			}
			passed(key.Name)
		}
		if res.Complete || res.Cursor == "" {
			return out, "", int(ck.n.Load()), nil
		}
		cur.KV = res.Cursor
	}
}

// Dumped is a key of the KV with its value and metadata, for DumpKV.
type Dumped struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Metadata string `json:"metadata"`
}

// DumpKV returns a page of every key of the KV (at most 100), with its
// value and metadata, and the cursor of the next page ("" at the end). It
// exists for development only (the demo routes): tests read the whole store
// to prove an erasure left nothing.
func (s *Store) DumpKV(ctx context.Context, cursor string) ([]Dumped, string, error) {
	res, err := s.kv.List(ctx, kv.ListOptions{Cursor: cursor, Limit: 100})
	if err != nil {
		return nil, "", ErrBadCursor
	}
	out := make([]Dumped, len(res.Keys))
	fns := make([]func() error, len(res.Keys))
	for i, k := range res.Keys {
		out[i] = Dumped{Name: k.Name, Metadata: string(k.Metadata)}
		fns[i] = func() error {
			v, _, err := s.kv.Get(ctx, k.Name)
			out[i].Value = string(v)
			return orNil(err)
		}
	}
	if err := conc.All(fns...); err != nil {
		return nil, "", err
	}
	if res.Complete {
		return out, "", nil
	}
	return out, res.Cursor, nil
}
