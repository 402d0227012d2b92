//go:build tinygo && js

package initmaps

import (
	"strconv"
	"syscall/js"
	"testing"
	"unsafe"
)

// A package that imports syscall/js is initialized after it, as the worker's
// and the core's packages are.
var _ = js.Global

// words is a map literal of a package initializer: 300 entries, enough to
// need many buckets.
var words = func() map[string]int {
	m := make(map[string]int)
	for i := range 300 {
		m["word-"+strconv.Itoa(i)] = i
	}
	return m
}()

// codes is a map literal as the API's tables are.
var codes = map[string]int{"invalid_json": 400, "unauthorized": 401, "not_found": 404, "rate_limited": 429, "unavailable": 503}

// heapBase is the linker's __heap_base: what lies below it is the binary's
// data, what is above it the heap.
//
//go:extern __heap_base
var heapBase [0]byte

// header is the address of a map's runtime header.
func header[K comparable, V any](m map[K]V) uintptr { return *(*uintptr)(unsafe.Pointer(&m)) }

func TestInitMapsAreData(t *testing.T) {
	base := uintptr(unsafe.Pointer(&heapBase))
	for name, h := range map[string]uintptr{"words": header(words), "codes": header(codes)} {
		if h >= base {
			t.Errorf("%s: its header is at %#x, in the heap (from %#x): made at startup, not at compile time", name, h, base)
		}
	}
	if runtimeMap := make(map[string]int); header(runtimeMap) < base && header(runtimeMap) != 0 {
		t.Errorf("a map made at runtime is below the heap: the test cannot tell one from the other")
	}
}

func TestInitMapsBehaveAsMaps(t *testing.T) {
	if len(words) != 300 || codes["not_found"] != 404 || codes["unavailable"] != 503 {
		t.Fatalf("len(words) = %d, codes = %v", len(words), codes)
	}
	for i := range 300 {
		if v, ok := words["word-"+strconv.Itoa(i)]; !ok || v != i {
			t.Fatalf("words[word-%d] = %d, %v", i, v, ok)
		}
	}
	if _, ok := words["word-300"]; ok {
		t.Fatal("a key never put is found")
	}
	seen := map[int]bool{}
	for k, v := range words {
		if k != "word-"+strconv.Itoa(v) || seen[v] {
			t.Fatalf("iteration gave %q: %d (seen before: %v)", k, v, seen[v])
		}
		seen[v] = true
	}
	if len(seen) != 300 {
		t.Fatalf("iteration gave %d keys", len(seen))
	}
	// Inserts at runtime grow the map made at compile time; deletes remove.
	for i := 300; i < 2000; i++ {
		words["word-"+strconv.Itoa(i)] = i
	}
	for i := 0; i < 2000; i += 2 {
		delete(words, "word-"+strconv.Itoa(i))
	}
	if len(words) != 1000 {
		t.Fatalf("after the inserts and deletes: %d keys, want 1000", len(words))
	}
	for i := range 2000 {
		v, ok := words["word-"+strconv.Itoa(i)]
		if ok != (i%2 == 1) || (ok && v != i) {
			t.Fatalf("words[word-%d] = %d, %v after the inserts and deletes", i, v, ok)
		}
	}
}

// seed is a map's hash seed: the runtime's hashmap header starts with its
// buckets pointer and then its seed (src/runtime/hashmap.go).
func seed[K comparable, V any](m map[K]V) uintptr {
	return *(*uintptr)(unsafe.Add(unsafe.Pointer(header(m)), unsafe.Sizeof(uintptr(0))))
}

// Maps made at runtime take their seeds from the runtime's own state, not
// from the interpreter's sequence: no two of them in a row share one, and
// none has the seed of a map made at compile time.
func TestRuntimeMapsHaveTheirOwnSeeds(t *testing.T) {
	a, b := make(map[string]int), make(map[string]int)
	if seed(a) == seed(b) {
		t.Errorf("two maps made at runtime share the seed %#x", seed(a))
	}
	for _, s := range []uintptr{seed(a), seed(b)} {
		if s == seed(words) || s == seed(codes) {
			t.Errorf("a map made at runtime has a compile-time map's seed %#x", s)
		}
	}
}
