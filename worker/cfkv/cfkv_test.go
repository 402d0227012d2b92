//go:build js && wasm

package cfkv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall/js"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/worker/jscall"

	"github.com/chatwidget/identity/worker/runtime/gluetest"
)

// fakeNamespace is a JavaScript object with the shape of a Workers KV
// namespace: every call answers through a promise settled on a later turn of
// the event loop, as the real one does. Keys starting with "hang" never
// settle, "reject" rejects, "throw" throws synchronously.
const fakeNamespace = `
const items = new Map();
const later = (f) => new Promise((resolve, reject) => setTimeout(() => { try { resolve(f()); } catch (e) { reject(e); } }, 0));
const ns = {
  lastPut: null,
  bulkReads: 0,
  get(key, opts) {
    if (Array.isArray(key)) {
      if (!opts || opts.type !== "text") return Promise.reject(new Error("want type text"));
      if (key.length > 100) return Promise.reject(new Error("more than 100 keys"));
      ns.bulkReads++;
      return later(() => new Map(key.map((k) => [k, items.has(k) ? new TextDecoder().decode(items.get(k).value) : null])));
    }
    if (key.startsWith("throw")) throw new TypeError("sync boom");
    if (key.startsWith("hang")) return new Promise(() => {});
    if (key.startsWith("late")) return new Promise((r) => setTimeout(() => r(null), 50));
    if (!opts || opts.type !== "arrayBuffer") return Promise.reject(new Error("want type arrayBuffer"));
    return later(() => {
      if (key.startsWith("reject")) throw new Error("backend down");
      const it = items.get(key);
      if (!it) return null;
      return it.value.buffer.slice(0);
    });
  },
  put(key, value, opts) {
    if (!(value instanceof Uint8Array)) return Promise.reject(new Error("value is not a Uint8Array"));
    ns.lastPut = opts;
    return later(() => { items.set(key, { value: new Uint8Array(value), metadata: opts && opts.metadata !== undefined ? structuredClone(opts.metadata) : undefined }); });
  },
  delete(key) { return later(() => { items.delete(key); }); },
  list(opts) {
    return later(() => {
      const prefix = opts.prefix || "";
      let start = 0;
      if (opts.cursor !== undefined) {
        if (!/^c[0-9]+$/.test(opts.cursor)) throw new Error("Invalid cursor");
        start = Number(opts.cursor.slice(1));
      }
      const names = [...items.keys()].filter((k) => k.startsWith(prefix)).sort();
      const page = names.slice(start, start + opts.limit);
      const complete = start + page.length >= names.length;
      const res = { keys: page.map((name) => { const k = { name }; const m = items.get(name).metadata; if (m !== undefined) k.metadata = m; return k; }), list_complete: complete, cacheStatus: null };
      if (!complete) res.cursor = "c" + (start + page.length);
      return res;
    });
  },
};
return ns;
`

func newFake(t *testing.T) (*Namespace, js.Value) {
	t.Helper()
	obj := js.Global().Get("Function").New(fakeNamespace).Invoke()
	return New(obj), obj
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	n, obj := newFake(t)

	if v, found, err := n.Get(ctx, "missing"); err != nil || found || v != nil {
		t.Fatalf("Get(missing) = %q, %v, %v; want nil, false, nil", v, found, err)
	}
	if err := n.Put(ctx, "a/1", []byte("one"), kv.PutOptions{Metadata: []byte(`{"n": 1, "s": "x"}`), TTL: 90500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if got := obj.Get("lastPut").Get("expirationTtl"); got.Int() != 91 {
		t.Errorf("expirationTtl = %v, want 91", got)
	}
	if got := obj.Get("lastPut").Get("metadata").Get("n"); got.Int() != 1 {
		t.Errorf("metadata passed as %v, want a parsed object", got)
	}
	if err := n.Put(ctx, "a/2", []byte{}, kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if lp := obj.Get("lastPut"); !lp.Get("metadata").IsUndefined() || !lp.Get("expirationTtl").IsUndefined() {
		t.Errorf("Put without options passed metadata %v, expirationTtl %v", lp.Get("metadata"), lp.Get("expirationTtl"))
	}
	bin := []byte{0, 1, 2, 255, 254}
	if err := n.Put(ctx, "b", bin, kv.PutOptions{Metadata: []byte(`"just a string"`)}); err != nil {
		t.Fatal(err)
	}

	if v, found, err := n.Get(ctx, "a/1"); err != nil || !found || string(v) != "one" {
		t.Fatalf("Get(a/1) = %q, %v, %v", v, found, err)
	}
	if v, found, err := n.Get(ctx, "a/2"); err != nil || !found || len(v) != 0 {
		t.Fatalf("Get(a/2) = %q, %v, %v; want empty, found", v, found, err)
	}
	if v, found, err := n.Get(ctx, "b"); err != nil || !found || string(v) != string(bin) {
		t.Fatalf("Get(b) = %v, %v, %v", v, found, err)
	}

	res, err := n.List(ctx, kv.ListOptions{Prefix: "a/"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Cursor != "" || len(res.Keys) != 2 {
		t.Fatalf("List = %+v", res)
	}
	if res.Keys[0].Name != "a/1" || string(res.Keys[0].Metadata) != `{"n":1,"s":"x"}` {
		t.Errorf("key 0 = %q %s", res.Keys[0].Name, res.Keys[0].Metadata)
	}
	if res.Keys[1].Name != "a/2" || res.Keys[1].Metadata != nil {
		t.Errorf("key 1 = %q %q, want nil metadata", res.Keys[1].Name, res.Keys[1].Metadata)
	}

	// Paging with a cursor.
	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		res, err := n.List(ctx, kv.ListOptions{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range res.Keys {
			names = append(names, k.Name)
		}
		if res.Complete {
			break
		}
		if pages > 5 {
			t.Fatal("listing does not end")
		}
		cursor = res.Cursor
	}
	if fmt.Sprint(names) != "[a/1 a/2 b]" {
		t.Errorf("paged names = %v", names)
	}
	if _, err := n.List(ctx, kv.ListOptions{Cursor: "garbage"}); !errors.Is(err, kv.ErrBadCursor) {
		t.Errorf("List with a bad cursor: %v, want ErrBadCursor", err)
	}

	if err := n.Delete(ctx, "a/1"); err != nil {
		t.Fatal(err)
	}
	if err := n.Delete(ctx, "never-there"); err != nil {
		t.Fatal(err)
	}
	if _, found, err := n.Get(ctx, "a/1"); err != nil || found {
		t.Fatalf("Get after Delete: found %v, %v", found, err)
	}
}

// TestGetMany: a bulk read answers the keys that have values (as UTF-8
// text, however long) in one call of the namespace, and leaves out the
// others; more than kv.MaxGetMany keys are refused before KV is asked.
func TestGetMany(t *testing.T) {
	ctx := context.Background()
	n, obj := newFake(t)
	long := strings.Repeat("é", 20000)
	for k, v := range map[string]string{"a": `{"x":1}`, "b": long} {
		if err := n.Put(ctx, k, []byte(v), kv.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := n.GetMany(ctx, []string{"a", "b", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["a"]) != `{"x":1}` || string(got["b"]) != long {
		t.Errorf("GetMany = %d values, a %q, b %d bytes", len(got), got["a"], len(got["b"]))
	}
	if r := obj.Get("bulkReads").Int(); r != 1 {
		t.Errorf("%d bulk reads, want 1", r)
	}
	if got, err := n.GetMany(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GetMany(nil) = %v, %v", got, err)
	}
	many := make([]string, kv.MaxGetMany+1)
	for i := range many {
		many[i] = fmt.Sprint("k", i)
	}
	if _, err := n.GetMany(ctx, many); !errors.Is(err, kv.ErrTooManyKeys) {
		t.Errorf("GetMany of %d keys: %v, want ErrTooManyKeys", len(many), err)
	}
	if _, err := n.GetMany(ctx, []string{""}); !errors.Is(err, kv.ErrEmptyKey) {
		t.Errorf("GetMany of an empty key: %v", err)
	}
	if r := obj.Get("bulkReads").Int(); r != 1 {
		t.Errorf("refused bulk reads reached KV: %d", r)
	}
}

func TestValidation(t *testing.T) {
	ctx := context.Background()
	n, _ := newFake(t)
	long := string(make([]byte, kv.MaxKeyBytes+1))
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"get empty key", get(n, ""), kv.ErrEmptyKey},
		{"get long key", get(n, long), kv.ErrKeyTooLong},
		{"delete empty key", n.Delete(ctx, ""), kv.ErrEmptyKey},
		{"put short ttl", n.Put(ctx, "k", nil, kv.PutOptions{TTL: time.Second}), kv.ErrTTLTooShort},
		{"put negative ttl", n.Put(ctx, "k", nil, kv.PutOptions{TTL: -time.Minute}), kv.ErrTTLTooShort},
		{"put big metadata", n.Put(ctx, "k", nil, kv.PutOptions{Metadata: make([]byte, kv.MaxMetadataBytes+1)}), kv.ErrMetadataTooLarge},
		{"put empty key", n.Put(ctx, "", nil, kv.PutOptions{}), kv.ErrEmptyKey},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	if err := n.Put(ctx, "k", nil, kv.PutOptions{Metadata: []byte(`{not json`)}); err == nil {
		t.Error("Put with invalid JSON metadata succeeded")
	}
}

func get(n *Namespace, key string) error {
	_, _, err := n.Get(context.Background(), key)
	return err
}

func TestJavaScriptFailuresAreErrors(t *testing.T) {
	ctx := context.Background()
	n, _ := newFake(t)
	if _, _, err := n.Get(ctx, "reject-me"); err == nil || !strings.Contains(err.Error(), "backend down") {
		t.Errorf("rejected get: %v", err)
	}
	if _, _, err := n.Get(ctx, "throw-me"); err == nil || !strings.Contains(err.Error(), "sync boom") {
		t.Errorf("throwing get: %v", err)
	}
	for _, ns := range []js.Value{js.Undefined(), js.Null(), js.ValueOf(3)} {
		m := New(ns)
		if _, _, err := m.Get(ctx, "k"); !errors.Is(err, ErrNoBinding) {
			t.Errorf("Get on %v: %v", ns, err)
		}
		if err := m.Put(ctx, "k", nil, kv.PutOptions{}); !errors.Is(err, ErrNoBinding) {
			t.Errorf("Put on %v: %v", ns, err)
		}
		if _, err := m.List(ctx, kv.ListOptions{}); !errors.Is(err, ErrNoBinding) {
			t.Errorf("List on %v: %v", ns, err)
		}
		if err := m.Delete(ctx, "k"); !errors.Is(err, ErrNoBinding) {
			t.Errorf("Delete on %v: %v", ns, err)
		}
	}
	// A namespace whose methods are missing or return junk.
	odd := New(js.Global().Get("Function").New(`return { get: 5, list() { return 42; } };`).Invoke())
	if _, _, err := odd.Get(ctx, "k"); err == nil {
		t.Error("Get with a non-function get succeeded")
	}
	if _, err := odd.List(ctx, kv.ListOptions{}); err == nil {
		t.Error("List returning 42 succeeded")
	}
	if err := odd.Delete(ctx, "k"); err == nil {
		t.Error("Delete without a delete method succeeded")
	}
}

func TestContextCancellation(t *testing.T) {
	n, _ := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := n.Get(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get on a cancelled ctx: %v", err)
	}
	if err := n.Put(ctx, "a", nil, kv.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put on a cancelled ctx: %v", err)
	}
	if _, err := n.List(ctx, kv.ListOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("List on a cancelled ctx: %v", err)
	}
	if err := n.Delete(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Errorf("Delete on a cancelled ctx: %v", err)
	}

	// A promise that never settles: the deadline ends the wait.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := n.Get(ctx, "hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get of a hanging key: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cancellation took %v", d)
	}

	// A promise that settles after the caller gave up must not crash anything.
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, _, err := n.Get(ctx, "late"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get of a late key: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if err := n.Put(context.Background(), "after-late", []byte("ok"), kv.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentAwaits(t *testing.T) {
	ctx := context.Background()
	n, _ := newFake(t)
	const workers = 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("c/%03d", i)
			want := fmt.Sprintf("value %d", i)
			if err := n.Put(ctx, key, []byte(want), kv.PutOptions{Metadata: []byte(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
				errs <- err
				return
			}
			got, found, err := n.Get(ctx, key)
			if err != nil || !found || string(got) != want {
				errs <- fmt.Errorf("Get(%s) = %q, %v, %v", key, got, found, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res, err := n.List(ctx, kv.ListOptions{Prefix: "c/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Keys) != workers || !res.Complete {
		t.Fatalf("listed %d keys, complete %v", len(res.Keys), res.Complete)
	}
	for i, k := range res.Keys {
		if want := fmt.Sprintf(`{"i":%d}`, i); string(k.Metadata) != want {
			t.Errorf("%s metadata %s, want %s", k.Name, k.Metadata, want)
		}
	}
}

// TestMain loads worker/runtime/glue.js, the file worker.mjs imports, so that
// KV calls go through its goKVAwaiter as in the Worker (Node, unlike
// Workers, allows new Function); worker/test/wranglertest runs cfkv against
// wrangler dev's KV (worker/test/kvprobe).
func TestMain(m *testing.M) {
	gluetest.Load()
	if js.Global().Get(jscall.AwaiterGlobal).Type() != js.TypeFunction {
		panic("glue.js did not define " + jscall.AwaiterGlobal)
	}
	if kvAwaiter() == nil {
		panic("glue.js did not define " + KVAwaiterGlobal)
	}
	os.Exit(m.Run())
}

// BenchmarkGet is one KV get through cfkv, over a namespace that answers on
// the next turn of the event loop.
func BenchmarkGet(b *testing.B) {
	ns := js.Global().Get("Function").New(`
const v = new Uint8Array([1, 2, 3]).buffer;
return { get(key, opts) { return new Promise((r) => setImmediate(() => r(v.slice(0)))); } };
`).Invoke()
	n := New(ns)
	ctx := context.Background()
	for b.Loop() {
		if _, found, err := n.Get(ctx, "k"); err != nil || !found {
			b.Fatal(err)
		}
	}
}
