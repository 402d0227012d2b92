package kv_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
)

var ctx = context.Background()

// The in-memory KV is what every other package's tests run on; it is a KV.
var _ kv.KV = (*kv.Memory)(nil)

func mustPut(t testing.TB, m *kv.Memory, key, value string, opts kv.PutOptions) {
	t.Helper()
	if err := m.Put(ctx, key, []byte(value), opts); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func TestMemoryPutLimits(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		value []byte
		opts  kv.PutOptions
		want  error
	}{
		{"plain", "k", []byte("v"), kv.PutOptions{}, nil},
		{"nil value", "k", nil, kv.PutOptions{}, nil},
		{"key 512 bytes", strings.Repeat("k", 512), nil, kv.PutOptions{}, nil},
		{"key 513 bytes", strings.Repeat("k", 513), nil, kv.PutOptions{}, kv.ErrKeyTooLong},
		{"key 256 runes of 2 bytes", strings.Repeat("é", 256), nil, kv.PutOptions{}, nil},
		{"key 257 runes of 2 bytes is 514 bytes", strings.Repeat("é", 257), nil, kv.PutOptions{}, kv.ErrKeyTooLong},
		{"empty key", "", nil, kv.PutOptions{}, kv.ErrEmptyKey},
		{"metadata 1024 bytes", "k", nil, kv.PutOptions{Metadata: []byte(`"` + strings.Repeat("m", 1022) + `"`)}, nil},
		{"metadata 1025 bytes", "k", nil, kv.PutOptions{Metadata: []byte(`"` + strings.Repeat("m", 1023) + `"`)}, kv.ErrMetadataTooLarge},
		{"TTL 60s", "k", nil, kv.PutOptions{TTL: 60 * time.Second}, nil},
		{"TTL 59.999s", "k", nil, kv.PutOptions{TTL: 60*time.Second - time.Millisecond}, kv.ErrTTLTooShort},
		{"TTL 1s", "k", nil, kv.PutOptions{TTL: time.Second}, kv.ErrTTLTooShort},
		{"TTL negative", "k", nil, kv.PutOptions{TTL: -time.Minute}, kv.ErrTTLTooShort},
		{"TTL zero is none", "k", nil, kv.PutOptions{TTL: 0}, nil},
		{"value 25 MiB", "k", make([]byte, 25<<20), kv.PutOptions{}, nil},
		{"value 25 MiB + 1", "k", make([]byte, 25<<20+1), kv.PutOptions{}, kv.ErrValueTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := kv.NewMemory()
			err := m.Put(ctx, tt.key, tt.value, tt.opts)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Put = %v, want %v", err, tt.want)
			}
			if want := kv.CheckPut(tt.key, tt.value, tt.opts); !errors.Is(want, tt.want) || (tt.want == nil && want != nil) {
				t.Errorf("CheckPut = %v, want %v", want, tt.want)
			}
			if tt.want != nil {
				if m.Len() != 0 || m.Ops()["put"] != 0 {
					t.Errorf("refused put stored something or counted: len %d ops %v", m.Len(), m.Ops())
				}
				return
			}
			if _, found, err := m.Get(ctx, tt.key); !found || err != nil {
				t.Errorf("Get after Put: found %v, %v", found, err)
			}
		})
	}
}

func TestMemoryKeyLimitsOnEveryCall(t *testing.T) {
	m := kv.NewMemory()
	long := strings.Repeat("k", 513)
	if _, _, err := m.Get(ctx, long); !errors.Is(err, kv.ErrKeyTooLong) {
		t.Errorf("Get(long) = %v", err)
	}
	if _, _, err := m.Get(ctx, ""); !errors.Is(err, kv.ErrEmptyKey) {
		t.Errorf("Get(\"\") = %v", err)
	}
	if err := m.Delete(ctx, long); !errors.Is(err, kv.ErrKeyTooLong) {
		t.Errorf("Delete(long) = %v", err)
	}
	if err := m.Delete(ctx, ""); !errors.Is(err, kv.ErrEmptyKey) {
		t.Errorf("Delete(\"\") = %v", err)
	}
}

func TestMemoryGetPutDelete(t *testing.T) {
	m := kv.NewMemory()
	if v, found, err := m.Get(ctx, "a"); found || err != nil || v != nil {
		t.Fatalf("Get missing = %q %v %v", v, found, err)
	}
	mustPut(t, m, "a", "1", kv.PutOptions{})
	mustPut(t, m, "a", "2", kv.PutOptions{}) // replaces
	v, found, err := m.Get(ctx, "a")
	if string(v) != "2" || !found || err != nil {
		t.Fatalf("Get = %q %v %v", v, found, err)
	}
	if err := m.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, "a"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	if _, found, _ := m.Get(ctx, "a"); found {
		t.Fatal("found after delete")
	}
	want := map[string]int{"get": 3, "put": 2, "delete": 2}
	got := m.Ops()
	for k, n := range want {
		if got[k] != n {
			t.Errorf("Ops()[%q] = %d, want %d (all %v)", k, got[k], n, got)
		}
	}
	if got["list"] != 0 {
		t.Errorf("Ops()[list] = %d", got["list"])
	}
}

func TestMemoryCopiesValues(t *testing.T) {
	m := kv.NewMemory()
	in := []byte("value")
	meta := []byte(`{"a":1}`)
	if err := m.Put(ctx, "k", in, kv.PutOptions{Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	in[0], meta[2] = 'X', 'X'
	out, _, _ := m.Get(ctx, "k")
	if string(out) != "value" {
		t.Fatalf("Put kept the caller's slice: %q", out)
	}
	out[0] = 'Y'
	again, _, _ := m.Get(ctx, "k")
	if string(again) != "value" {
		t.Fatalf("Get returned the stored slice: %q", again)
	}
	res, _ := m.List(ctx, kv.ListOptions{})
	if string(res.Keys[0].Metadata) != `{"a":1}` {
		t.Fatalf("metadata = %q", res.Keys[0].Metadata)
	}
	res.Keys[0].Metadata[0] = 'Z'
	res, _ = m.List(ctx, kv.ListOptions{})
	if string(res.Keys[0].Metadata) != `{"a":1}` {
		t.Fatalf("List returned the stored metadata: %q", res.Keys[0].Metadata)
	}
}

func TestMemoryCanceledContext(t *testing.T) {
	m := kv.NewMemory()
	c, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.Put(c, "k", nil, kv.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put = %v", err)
	}
	if _, _, err := m.Get(c, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get = %v", err)
	}
	if _, err := m.List(c, kv.ListOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("List = %v", err)
	}
	if err := m.Delete(c, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete = %v", err)
	}
	if m.Len() != 0 {
		t.Error("stored under a canceled context")
	}
}

func names(keys []kv.ListKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}

func TestMemoryListOrderAndPrefix(t *testing.T) {
	m := kv.NewMemory()
	// Inserted out of order; byte order is what List returns ("B" < "a",
	// "a/" < "a0", "é" after every ASCII key).
	for _, k := range []string{"b/2", "a/10", "a/2", "é", "a/1", "B", "a0", "a", "a/", "b/1"} {
		mustPut(t, m, k, "", kv.PutOptions{Metadata: []byte(`"` + k + `"`)})
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"B", "a", "a/", "a/1", "a/10", "a/2", "a0", "b/1", "b/2", "é"}},
		{"a/", []string{"a/", "a/1", "a/10", "a/2"}},
		{"a/1", []string{"a/1", "a/10"}},
		{"a", []string{"a", "a/", "a/1", "a/10", "a/2", "a0"}},
		{"b/", []string{"b/1", "b/2"}},
		{"A", nil},
		{"c", nil},
		{"é", []string{"é"}},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			res, err := m.List(ctx, kv.ListOptions{Prefix: tt.prefix})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(res.Keys); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if !res.Complete || res.Cursor != "" {
				t.Errorf("Complete %v Cursor %q", res.Complete, res.Cursor)
			}
			for _, k := range res.Keys {
				if string(k.Metadata) != `"`+k.Name+`"` {
					t.Errorf("metadata of %q = %q", k.Name, k.Metadata)
				}
			}
		})
	}
}

func TestMemoryListWithoutMetadata(t *testing.T) {
	m := kv.NewMemory()
	mustPut(t, m, "k", "v", kv.PutOptions{})
	res, _ := m.List(ctx, kv.ListOptions{})
	if len(res.Keys) != 1 || len(res.Keys[0].Metadata) != 0 {
		t.Fatalf("got %+v", res.Keys)
	}
}

func TestMemoryListPagination(t *testing.T) {
	m := kv.NewMemory()
	var all []string
	for i := range 25 {
		k := fmt.Sprintf("p/%03d", i)
		all = append(all, k)
		mustPut(t, m, k, "", kv.PutOptions{})
	}
	mustPut(t, m, "q/other", "", kv.PutOptions{})
	for _, limit := range []int{1, 2, 3, 7, 24, 25, 26, 1000} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > 30 {
					t.Fatal("no end")
				}
				res, err := m.List(ctx, kv.ListOptions{Prefix: "p/", Cursor: cursor, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Keys) > limit {
					t.Fatalf("page of %d keys, limit %d", len(res.Keys), limit)
				}
				got = append(got, names(res.Keys)...)
				if res.Complete {
					if res.Cursor != "" {
						t.Errorf("complete page with cursor %q", res.Cursor)
					}
					break
				}
				if res.Cursor == "" {
					t.Fatal("incomplete page without cursor")
				}
				if len(res.Keys) != limit {
					t.Errorf("incomplete page of %d keys, limit %d", len(res.Keys), limit)
				}
				cursor = res.Cursor
			}
			if !slices.Equal(got, all) {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestMemoryListLimitDefaults(t *testing.T) {
	m := kv.NewMemory()
	for i := range kv.MaxListLimit + 5 {
		mustPut(t, m, fmt.Sprintf("k%05d", i), "", kv.PutOptions{})
	}
	for _, limit := range []int{0, -1, kv.MaxListLimit + 1} {
		res, err := m.List(ctx, kv.ListOptions{Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Keys) != kv.MaxListLimit || res.Complete || res.Cursor == "" {
			t.Errorf("limit %d: %d keys, complete %v", limit, len(res.Keys), res.Complete)
		}
		next, err := m.List(ctx, kv.ListOptions{Cursor: res.Cursor, Limit: limit})
		if err != nil || len(next.Keys) != 5 || !next.Complete {
			t.Errorf("limit %d, second page: %d keys, %v", limit, len(next.Keys), err)
		}
	}
}

func TestMemoryListBadCursor(t *testing.T) {
	m := kv.NewMemory()
	mustPut(t, m, "k", "", kv.PutOptions{})
	// Cursors List never returns: they are refused, never misread.
	for _, c := range []string{"x", "1", "MEM:1", " mem:1", "mem:!!!", "mem:a b", "mem:%%", "cursor"} {
		if _, err := m.List(ctx, kv.ListOptions{Cursor: c}); !errors.Is(err, kv.ErrBadCursor) {
			t.Errorf("cursor %q: %v, want ErrBadCursor", c, err)
		}
	}
}

// TestMemoryListStableUnderWrites: a cursor continues after the last key
// returned, so keys written or deleted between two pages neither repeat nor
// shift the listing.
func TestMemoryListStableUnderWrites(t *testing.T) {
	m := kv.NewMemory()
	for _, k := range []string{"k/b", "k/d", "k/f", "k/h", "k/j"} {
		mustPut(t, m, k, "", kv.PutOptions{})
	}
	first, err := m.List(ctx, kv.ListOptions{Prefix: "k/", Limit: 2})
	if err != nil || !slices.Equal(names(first.Keys), []string{"k/b", "k/d"}) || first.Complete {
		t.Fatalf("first page %q %v", names(first.Keys), err)
	}
	mustPut(t, m, "k/a", "", kv.PutOptions{})    // before the cursor
	mustPut(t, m, "k/c", "", kv.PutOptions{})    // before the cursor
	mustPut(t, m, "k/e", "", kv.PutOptions{})    // after it
	if err := m.Delete(ctx, "k/d"); err != nil { // the cursor's own key
		t.Fatal(err)
	}
	var rest []string
	cursor := first.Cursor
	for {
		page, err := m.List(ctx, kv.ListOptions{Prefix: "k/", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, names(page.Keys)...)
		if page.Complete {
			break
		}
		cursor = page.Cursor
	}
	if want := []string{"k/e", "k/f", "k/h", "k/j"}; !slices.Equal(rest, want) {
		t.Errorf("after the first page: %q, want %q", rest, want)
	}
}

func TestMemorySnapshot(t *testing.T) {
	m := kv.NewMemory()
	mustPut(t, m, "a", "1", kv.PutOptions{Metadata: []byte("{}")})
	snap := m.Snapshot()
	if len(snap) != 1 || snap["a"] == "" {
		t.Fatalf("snapshot = %q", snap)
	}
	// Same value, other metadata: the snapshot sees the difference.
	mustPut(t, m, "a", "1", kv.PutOptions{Metadata: []byte(`{"x":1}`)})
	if m.Snapshot()["a"] == snap["a"] {
		t.Error("snapshot ignores metadata")
	}
	// Reads change nothing.
	before := m.Snapshot()
	_, _, _ = m.Get(ctx, "a")
	_, _ = m.List(ctx, kv.ListOptions{})
	after := m.Snapshot()
	if len(before) != len(after) || before["a"] != after["a"] {
		t.Error("reads changed the snapshot")
	}
	// The snapshot is a copy.
	after["b"] = "x"
	if m.Len() != 1 {
		t.Error("snapshot shares the map")
	}
}

// TestMemoryConcurrent is for -race: many goroutines on overlapping keys.
func TestMemoryConcurrent(t *testing.T) {
	m := kv.NewMemory()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprintf("w%d/%03d", w, i)
				shared := fmt.Sprintf("shared/%d", i%5)
				if err := m.Put(ctx, key, []byte(key), kv.PutOptions{Metadata: []byte(`1`)}); err != nil {
					t.Error(err)
					return
				}
				_ = m.Put(ctx, shared, []byte(key), kv.PutOptions{})
				if v, found, err := m.Get(ctx, key); err != nil || !found || string(v) != key {
					t.Errorf("Get(%q) = %q %v %v", key, v, found, err)
					return
				}
				if _, err := m.List(ctx, kv.ListOptions{Prefix: fmt.Sprintf("w%d/", w), Limit: 10}); err != nil {
					t.Error(err)
					return
				}
				if i%10 == 0 {
					_ = m.Delete(ctx, shared)
				}
				_ = m.Snapshot()
				_ = m.Ops()
				_ = m.Len()
			}
		}()
	}
	wg.Wait()
	for w := range workers {
		res, err := m.List(ctx, kv.ListOptions{Prefix: fmt.Sprintf("w%d/", w)})
		if err != nil || len(res.Keys) != each {
			t.Errorf("worker %d: %d keys, %v", w, len(res.Keys), err)
		}
	}
	ops := m.Ops()
	if ops["put"] != 2*workers*each || ops["get"] != workers*each {
		t.Errorf("ops = %v", ops)
	}
}

// FuzzMemoryListCursor: a cursor is a parser too. List never panics on one;
// it either refuses it with ErrBadCursor or returns a page of keys under the
// prefix, in order.
func FuzzMemoryListCursor(f *testing.F) {
	m := kv.NewMemory()
	for i := range 10 {
		mustPut(f, m, fmt.Sprintf("k/%d", i), "", kv.PutOptions{})
	}
	first, _ := m.List(ctx, kv.ListOptions{Prefix: "k/", Limit: 3})
	for _, s := range []string{"", first.Cursor, "mem:0", "mem:3", "mem:-1", "mem:", "x", "mem:+3", "mem:!!", "mem:azo", "mem:9223372036854775807"} {
		f.Add(s, 3)
	}
	f.Add("mem:5", 0)
	f.Add("", -7)
	f.Fuzz(func(t *testing.T, cursor string, limit int) {
		res, err := m.List(ctx, kv.ListOptions{Prefix: "k/", Cursor: cursor, Limit: limit})
		if err != nil {
			if !errors.Is(err, kv.ErrBadCursor) {
				t.Fatalf("error %v", err)
			}
			return
		}
		got := names(res.Keys)
		if !slices.IsSorted(got) || len(got) > 10 {
			t.Fatalf("page %q", got)
		}
		for _, k := range got {
			if !strings.HasPrefix(k, "k/") {
				t.Fatalf("key %q outside the prefix", k)
			}
		}
		if res.Complete == (res.Cursor != "") {
			t.Fatalf("complete %v with cursor %q", res.Complete, res.Cursor)
		}
	})
}

func ExampleMemory_List() {
	m := kv.NewMemory()
	ctx := context.Background()
	for _, k := range []string{"msg/s1/003", "msg/s1/001", "msg/s2/001", "msg/s1/002"} {
		_ = m.Put(ctx, k, nil, kv.PutOptions{Metadata: []byte(`{"n":1}`)})
	}
	cursor := ""
	for {
		page, _ := m.List(ctx, kv.ListOptions{Prefix: "msg/s1/", Cursor: cursor, Limit: 2})
		for _, k := range page.Keys {
			fmt.Println(k.Name, string(k.Metadata))
		}
		if page.Complete {
			break
		}
		cursor = page.Cursor
	}
	fmt.Println(m.Ops()["list"], "list calls")
	// Output:
	// msg/s1/001 {"n":1}
	// msg/s1/002 {"n":1}
	// msg/s1/003 {"n":1}
	// 2 list calls
}

func ExampleCheckPut() {
	fmt.Println(kv.CheckPut("session/1", []byte("{}"), kv.PutOptions{TTL: 30 * time.Second}))
	fmt.Println(kv.CheckPut(strings.Repeat("k", 513), nil, kv.PutOptions{}))
	fmt.Println(kv.CheckPut("k", nil, kv.PutOptions{TTL: time.Minute}))
	// Output:
	// kv: expiration TTL shorter than 60 seconds
	// kv: key longer than 512 bytes
	// <nil>
}
