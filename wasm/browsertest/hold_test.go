//go:build !js

package browsertest

import (
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// An open chat calls the core's sync every 2 s for as long as the page stays
// open, so the core must let go of the JavaScript values it has used (fetch's
// Response, promises, strings, the callbacks of each await). TinyGo 0.42's
// syscall/js lets go through finalizers, as its GC runs, and it runs a
// collection at the latest after max(32, registered/2) new finalizers
// (runtime/gc_finalizer.go): what it holds beyond the values in use is
// bounded by that, whatever the number of rounds. A core that keeps its
// values (TinyGo 0.41, which had no finalizers, without the hand-freeing
// it needed then: 27 more values and some 12 KB more a sync) fails here.
//
// Measured (hold.cjs): TinyGo 0.41 with hand-freeing, 28 values held before
// and 28 after 500 rounds, memory 1 -> 8 MiB (bare: 26 -> 26, 2 -> 16 MiB);
// TinyGo 0.42 with finalizers only, 62 -> 76 and 1 -> 2 MiB (bare: 66 ->
// 88, 2 -> 2 MiB); over two runs of both modes the growth was -1 to 22.
func TestTheCoreLetsGoOfTheJavaScriptValuesItUsed(t *testing.T) {
	srv := sharedServer(t)
	o := newOrg(t, srv, "https://hold.example")
	b := builtCore(t)
	for _, mode := range []struct {
		name   string
		rounds int
	}{
		{"", 500},     // with web/widget.js's HOST
		{"bare", 100}, // with its call only: the core makes its own Promises and reads fetch's answer itself
	} {
		t.Run("host="+cmp.Or(mode.name, "full"), func(t *testing.T) {
			h := runHold(t, b, b.core, srv.URL, o.WidgetToken, mode.rounds, mode.name)
			t.Logf("%d JavaScript values held before, %d after %d rounds; memory %d -> %d bytes",
				h.before, h.after, mode.rounds, h.memBefore, h.memAfter)
			// What the next collection would free: at most twice the
			// 32 finalizers that start one. A leak of one value a round
			// exceeds it in either mode (500 and 100 rounds).
			limit := h.before + 2*32
			if h.after > limit {
				t.Errorf("after %d rounds the core holds %d JavaScript values (%d before), more than %d: it does not release them", mode.rounds, h.after, h.before, limit)
			}
			// TinyGo's memory only grows, doubling: 16 MiB after 600 rounds
			// and after 2,000 with 32 KB stacks, 32 MiB with 64 KB ones.
			if h.memAfter > 32<<20 {
				t.Errorf("after %d rounds the core's memory is %d bytes (%d before), more than 32 MiB", mode.rounds, h.memAfter, h.memBefore)
			}
		})
	}
}

// TinyGo cannot grow a goroutine's stack: each has the CORE_STACK the core
// was built with (make web), and one that overflows panics or, past the
// stack's canary, corrupts memory. So the same core built with half of it
// must still do all that hold.cjs does, the deepest configs included: the
// stack keeps twice what the core's calls were seen to need.
func TestTheCoreRunsOnHalfItsStack(t *testing.T) {
	b := builtCore(t)
	var size int
	if _, err := fmt.Sscanf(b.stack, "%dKB", &size); err != nil {
		t.Fatalf("build/core-stack: %q: %v", b.stack, err)
	}
	half := filepath.Join(t.TempDir(), "half.wasm")
	build := exec.Command(filepath.Join(b.root, "wasm/tinygo/tinygo.sh"), filepath.Join(b.root, ".tinygo"),
		"build", "-target=wasm/tinygo/wasm.json", "-no-debug", fmt.Sprintf("-stack-size=%dKB", size/2), "-o", half, "./wasm")
	build.Dir = b.root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the core with %d KB stacks: %v\n%s", size/2, err, out)
	}
	srv := sharedServer(t)
	o := newOrg(t, srv, "https://half.example")
	h := runHold(t, b, half, srv.URL, o.WidgetToken, 20, "")
	t.Logf("with %d KB stacks: %d rounds, %d values held before and %d after", size/2, 20, h.before, h.after)
}

type core struct{ root, core, stack string }

// builtCore is build/public's core, and the stack size make web gave it.
func builtCore(t *testing.T) core {
	t.Helper()
	root, err := wranglertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	stack, err := os.ReadFile(filepath.Join(root, "build/core-stack"))
	if err != nil {
		t.Fatal(err)
	}
	return core{root: root, core: filepath.Join(root, "build/public/widget-core.wasm"),
		stack: strings.TrimSpace(string(stack))}
}

type held struct{ before, after, memBefore, memAfter int }

// runHold runs testdata/hold.cjs: wasmFile, with b's wasm_exec.js, against
// the worker for rounds rounds. It fails the test when hold.cjs does or
// wasm_exec.js complains.
func runHold(t *testing.T, b core, wasmFile, apiURL, widgetToken string, rounds int, mode string) held {
	t.Helper()
	cmd := exec.Command("node", filepath.Join("testdata", "hold.cjs"),
		filepath.Join(b.root, "build/public/wasm_exec.js"), wasmFile, apiURL, widgetToken, fmt.Sprint(rounds), mode)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node hold.cjs: %v\n%s", err, out)
	}
	var h held
	var n, complaints, widgets int
	if _, err := fmt.Sscanf(lastLine(out), "held %d %d %d memory %d %d errors %d widgets %d", &h.before, &h.after, &n, &h.memBefore, &h.memAfter, &complaints, &widgets); err != nil || n != rounds {
		t.Fatalf("unexpected output %q: %v", out, err)
	}
	if complaints != 0 {
		t.Errorf("wasm_exec.js printed %d errors (a value freed twice shows as \"unknown id\"):\n%s", complaints, out)
	}
	// hold.cjs keeps one widget and releases the others it made (one every
	// 10 rounds, as each ChatWidget.init releases the one before).
	if widgets != 1 {
		t.Errorf("the core holds %d widgets after hold.cjs released all but one", widgets)
	}
	return h
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
