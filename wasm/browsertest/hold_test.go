//go:build !js

package browsertest

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chatwidget/identity/worker/wranglertest"
)

// An open chat calls the core's sync every 2 s for as long as the page stays
// open, so the core must let go of the JavaScript values it has used (fetch's
// Response, promises, strings): with Go's compiler, finalizers release them
// as Go's GC runs. A core that never releases them (TinyGo's, which has no
// finalizers: 27 values and some 12 KB a call) fails here.
func TestTheCoreLetsGoOfTheJavaScriptValuesItUsed(t *testing.T) {
	srv := sharedServer(t)
	o := newOrg(t, srv, "https://hold.example")
	root, err := wranglertest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	const calls = 2000
	cmd := exec.Command("node", filepath.Join("testdata", "hold.cjs"),
		filepath.Join(root, "build/public/wasm_exec.js"), filepath.Join(root, "build/public/widget-core.wasm"),
		srv.URL, o.WidgetToken, fmt.Sprint(calls))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node hold.cjs: %v\n%s", err, out)
	}
	var before, after, n int
	if _, err := fmt.Sscanf(string(out), "held %d %d %d", &before, &after, &n); err != nil || n != calls {
		t.Fatalf("unexpected output %q: %v", out, err)
	}
	t.Logf("JavaScript values held by the core: %d before, %d after %d syncs", before, after, calls)
	// A core that keeps everything holds some 27 a call; Go's holds what
	// its GC has not collected yet (11,424 here after 2,000 calls, 9,318 after 3,000).
	if limit := before + 27*calls/2; after > limit {
		t.Errorf("after %d syncs the core holds %d JavaScript values (%d before), more than %d: it does not release them", calls, after, before, limit)
	}
}
