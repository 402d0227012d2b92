//go:build !js

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// IsolateMemory is a worker's isolate memory after a full collection, read
// through wrangler dev's V8 inspector by memory.mjs, when the worker had
// served Requests requests.
type IsolateMemory struct {
	Requests  int
	HeapUsed  int64 // V8's JavaScript heap: live objects (usedSize)
	HeapTotal int64 // V8's JavaScript heap: what it holds for them (totalSize)
	// Embedder is workerd's own objects in the isolate (embedderHeapUsedSize),
	// Backing the backing stores of ArrayBuffers and external strings outside
	// the heap (backingStorageSize), which do not include WebAssembly memories.
	Embedder, Backing int64
	Wasm              int64 // the byte length of every WebAssembly.Memory: the Go program's linear memory (none in the peer)
}

// Total is the isolate's memory: the heap V8 holds, workerd's objects, the
// backing stores outside it and WebAssembly memories.
func (m IsolateMemory) Total() int64 { return m.HeapTotal + m.Embedder + m.Backing + m.Wasm }

// Live is the same with the heap's live objects only, which is what a leak
// grows: V8 sizes the heap it holds by its own policy.
func (m IsolateMemory) Live() int64 { return m.HeapUsed + m.Embedder + m.Backing + m.Wasm }

// isolateMemory reads t's isolate memory (memory.mjs: node, wrangler's
// inspector and the ws package of node_modules); served is what t has served.
func (t *Target) isolateMemory(ctx context.Context, root string, served int) (IsolateMemory, error) {
	ctx, cancel := context.WithTimeout(ctx, 40*time.Second)
	defer cancel()
	port := t.Srv.InspectorPort()
	if port == 0 {
		return IsolateMemory{}, fmt.Errorf("%s: no inspector port", t.Name)
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "worker", "test", "bench", "memory.mjs"), strconv.Itoa(port), t.Srv.URL)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return IsolateMemory{}, fmt.Errorf("%s: memory.mjs: %w: %s", t.Name, err, strings.TrimSpace(stderr.String()))
	}
	var r struct {
		UsedSize, TotalSize, EmbedderHeapUsedSize, BackingStorageSize int64
		WasmMemories                                                  []int64
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return IsolateMemory{}, fmt.Errorf("%s: memory.mjs printed %.200q: %w", t.Name, out, err)
	}
	m := IsolateMemory{Requests: served, HeapUsed: r.UsedSize, HeapTotal: r.TotalSize, Embedder: r.EmbedderHeapUsedSize, Backing: r.BackingStorageSize}
	for _, n := range r.WasmMemories {
		m.Wasm += n
	}
	if m.HeapUsed <= 0 || m.HeapTotal < m.HeapUsed {
		return m, fmt.Errorf("%s: implausible heap usage %s", t.Name, out)
	}
	return m, nil
}

// Issue 18's goal for the isolate's memory after 10,000 requests: at most
// 32 MiB, and flat after the warm-up. Flat is a growth of the live figure
// (Live) from the reading after the warm-up to the last of at most
// FlatGrowth of the first or FlatSlack, whichever is larger. Not zero: the
// Go program's linear memory only grows, in 64 KiB pages, whenever TinyGo's
// heap finds too little free after a collection, and V8's live heap after
// a collection moves by tens of KiB between readings of an idle isolate.
// Not more: a leak of 150 bytes a request shows over the 7,000 requests
// between the readings of `make bench`; smaller ones need a longer run.
const (
	MemoryGoal = 32 << 20
	FlatGrowth = 0.10
	FlatSlack  = 1 << 20

	memoryGoalStr = "isolate memory ≤ 32 MiB and flat after warm-up"
)

// flat is whether the live figure grew from first to last by at most the
// goal's allowance, and by how much.
func flat(first, last IsolateMemory) (ok bool, growth int64) {
	growth = last.Live() - first.Live()
	allow := max(int64(FlatGrowth*float64(first.Live())), FlatSlack)
	return growth <= allow, growth
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", mibf(n)) }
