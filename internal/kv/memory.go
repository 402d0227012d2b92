package kv

import (
	"context"
	"encoding/base64"
	"sort"
	"strings"
	"sync"
	"time"
)

// Memory is an in-memory KV with the limits of Workers KV, safe for
// concurrent use. It is strongly consistent, which real KV is not.
type Memory struct {
	mu    sync.Mutex
	items map[string]memItem
	now   func() time.Time

	// Ops counts the calls made, by kind, for tests that assert how many KV
	// operations a request costs.
	ops map[string]int
}

type memItem struct {
	value    []byte
	metadata []byte
	expires  time.Time
}

// NewMemory returns an empty in-memory KV.
func NewMemory() *Memory {
	return &Memory{items: map[string]memItem{}, now: time.Now, ops: map[string]int{}}
}

// Ops returns how many calls of each kind ("get", "put", "list", "delete")
// were made so far.
func (m *Memory) Ops() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.ops))
	for k, v := range m.ops {
		out[k] = v
	}
	return out
}

// Len returns the number of live keys.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, it := range m.items {
		if m.live(it) {
			n++
		}
	}
	return n
}

// Snapshot returns a copy of every live key and value, for tests that assert
// that a refused request changed nothing.
func (m *Memory) Snapshot() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for k, it := range m.items {
		if m.live(it) {
			out[k] = string(it.value) + "\x00" + string(it.metadata)
		}
	}
	return out
}

func (m *Memory) live(it memItem) bool {
	return it.expires.IsZero() || m.now().Before(it.expires)
}

// Get implements KV.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if err := CheckKey(key); err != nil {
		return nil, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops["get"]++
	it, ok := m.items[key]
	if !ok || !m.live(it) {
		return nil, false, nil
	}
	return append([]byte(nil), it.value...), true, nil
}

var _ ManyGetter = (*Memory)(nil)

// GetMany implements ManyGetter: one operation ("get_many") for up to
// MaxGetMany keys.
func (m *Memory) GetMany(ctx context.Context, keys []string) (map[string][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := CheckGetMany(keys); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops["get_many"]++
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		if it, ok := m.items[k]; ok && m.live(it) {
			out[k] = append([]byte(nil), it.value...)
		}
	}
	return out, nil
}

// Put implements KV.
func (m *Memory) Put(ctx context.Context, key string, value []byte, opts PutOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckPut(key, value, opts); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops["put"]++
	it := memItem{value: append([]byte(nil), value...)}
	if len(opts.Metadata) > 0 {
		it.metadata = append([]byte(nil), opts.Metadata...)
	}
	if opts.TTL > 0 {
		it.expires = m.now().Add(opts.TTL)
	}
	m.items[key] = it
	return nil
}

// List implements KV. Its cursor names the last key returned, so keys written
// between two pages neither repeat nor shift the listing.
func (m *Memory) List(ctx context.Context, opts ListOptions) (ListResult, error) {
	if err := ctx.Err(); err != nil {
		return ListResult{}, err
	}
	limit := opts.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	after, hasAfter := "", false
	if opts.Cursor != "" {
		enc := strings.TrimPrefix(opts.Cursor, "mem:")
		b, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil || len(b) == 0 || !strings.HasPrefix(opts.Cursor, "mem:") || base64.RawURLEncoding.EncodeToString(b) != enc {
			return ListResult{}, ErrBadCursor
		}
		after, hasAfter = string(b), true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops["list"]++
	var names []string
	for k, it := range m.items {
		if strings.HasPrefix(k, opts.Prefix) && m.live(it) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	start := 0
	if hasAfter {
		start = sort.SearchStrings(names, after)
		if start < len(names) && names[start] == after {
			start++
		}
	}
	end := min(start+limit, len(names))
	res := ListResult{Complete: end == len(names)}
	for _, k := range names[start:end] {
		res.Keys = append(res.Keys, ListKey{Name: k, Metadata: append([]byte(nil), m.items[k].metadata...)})
	}
	if !res.Complete {
		res.Cursor = "mem:" + base64.RawURLEncoding.EncodeToString([]byte(names[end-1]))
	}
	return res, nil
}

// Delete implements KV.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := CheckKey(key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ops["delete"]++
	delete(m.items, key)
	return nil
}
