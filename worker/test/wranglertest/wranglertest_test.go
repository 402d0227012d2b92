//go:build !js && unix

package wranglertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatwidget/identity/worker/test/contract"
)

// TestMain is, with FAKEWRANGLER_DIR set, a fake wrangler for
// TestStartRetriesALaunchThatExited: it notes each launch in that dir, exits
// as workerd sometimes does for the first FAKEWRANGLER_FAILS launches, and
// then answers every request on its --port.
func TestMain(m *testing.M) {
	dir := os.Getenv("FAKEWRANGLER_DIR")
	if dir == "" {
		os.Exit(m.Run())
	}
	f, _ := os.OpenFile(filepath.Join(dir, "launches"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintln(f, "launch")
	f.Close()
	b, _ := os.ReadFile(filepath.Join(dir, "launches"))
	n := strings.Count(string(b), "launch")
	if fails, _ := strconv.Atoi(os.Getenv("FAKEWRANGLER_FAILS")); n <= fails {
		fmt.Printf("fake launch %d: The Workers runtime failed to start\n", n)
		os.Exit(1)
	}
	port := os.Args[slices.Index(os.Args, "--port")+1]
	fmt.Println(http.ListenAndServe("127.0.0.1:"+port, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "fake") })))
	os.Exit(1)
}

// TestStartRetriesALaunchThatExited: a wrangler that exits before the
// worker answers is launched once more; if that one exits too, Start fails
// with both launches' output.
func TestStartRetriesALaunchThatExited(t *testing.T) {
	defer func(n string) { node = n }(node)
	node = os.Args[0]
	for _, fails := range []int{1, 2} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"wrangler.toml": "name = \"fake\"\n", "build/.keep": ""})
		t.Setenv("FAKEWRANGLER_DIR", dir)
		t.Setenv("FAKEWRANGLER_FAILS", strconv.Itoa(fails))
		s, err := start(context.Background(), Options{}, dir, dir)
		if b, _ := os.ReadFile(filepath.Join(dir, "launches")); strings.Count(string(b), "launch") != 2 {
			t.Errorf("%d failing launches: %d launches, want 2", fails, strings.Count(string(b), "launch"))
		}
		if fails == 1 {
			if err != nil {
				t.Fatalf("one failing launch: %v", err)
			}
			if got := do(t, s, "GET", "/", "", 200); got != "fake" {
				t.Errorf("GET / = %q from the second launch", got)
			}
			if err := s.Stop(); err != nil {
				t.Error(err)
			}
		} else if err == nil || !strings.Contains(err.Error(), "fake launch 1") || !strings.Contains(err.Error(), "the first launch") ||
			!strings.Contains(err.Error(), "fake launch 2") {
			t.Errorf("two failing launches: %v, want an error with both launches' output", err)
		}
	}
}

// skipUnlessBuilt skips when `make build` has not been run, except in CI
// (CI=true), where a missing build is a failure.
func skipUnlessBuilt(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("wranglertest needs a Unix system")
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkBuilt(root, false); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: a missing build is a failure)", err)
		}
		t.Skipf("skipping: %v", err)
	}
	return root
}

func TestStartStop(t *testing.T) {
	skipUnlessBuilt(t)
	ctx := context.Background()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	t.Logf("wrangler dev answered on %s after %v", s.URL, s.StartupTime())
	if s.Port == 0 || s.URL != "http://127.0.0.1:"+strconv.Itoa(s.Port) {
		t.Errorf("URL %q, Port %d", s.URL, s.Port)
	}
	if s.AdminToken != TestAdminToken || s.PersistDir == "" {
		t.Errorf("AdminToken %q, PersistDir %q", s.AdminToken, s.PersistDir)
	}

	if r, err := contract.New(s.URL, nil).Do(ctx, "GET", "/", nil); err != nil {
		t.Fatalf("GET /: %v", err)
	} else {
		t.Logf("GET / -> %d", r.Status)
	}
	checkAdminToken(t, s)

	pgid, _ := s.group()
	family := descendants(pgid)
	if len(family) < 2 {
		t.Errorf("expected wrangler to have started child processes, found %v", family)
	}
	t.Logf("process group %d: %v", pgid, family)

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if left := groupMembers(pgid); len(left) > 0 {
		t.Errorf("processes of group %d left after Stop: %v", pgid, left)
	}
	for _, pid := range family {
		if st, ok := readStat(pid); ok && st.state != "Z" {
			t.Errorf("process %d (started by wrangler) still alive after Stop: %+v", pid, st)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(s.PersistDir); !os.IsNotExist(err) {
		t.Errorf("temp PersistDir %s not removed: %v", s.PersistDir, err)
	}
	if _, err := contract.New(s.URL, nil).Do(ctx, "GET", "/", nil); err == nil {
		t.Errorf("%s still answers after Stop", s.URL)
	}
}

// checkAdminToken shows that ADMIN_TOKEN reaches the worker: the right
// token creates an org, a wrong one is refused.
func checkAdminToken(t *testing.T, s *Server) {
	t.Helper()
	for token, want := range map[string]int{s.AdminToken: 201, "wrong-" + s.AdminToken: 401} {
		r, err := contract.New(s.URL, nil).CreateOrg(context.Background(), contract.CreateOrgRequest{Name: "wranglertest",
			AllowedOrigins: []string{"http://127.0.0.1:1"}}, contract.Bearer(token))
		if err != nil || r.Status != want {
			t.Errorf("POST /v1/admin/orgs with the token %q: %v %+v, want %d", token, err, r, want)
		}
	}
}

// descendants lists pgid and every process below it.
func descendants(root int) []int {
	children := map[int][]int{}
	stats, _ := processes()
	for pid, st := range stats {
		children[st.ppid] = append(children[st.ppid], pid)
	}
	var out []int
	var walk func(int)
	walk = func(pid int) {
		out = append(out, pid)
		for _, c := range children[pid] {
			walk(c)
		}
	}
	walk(root)
	return out
}

// TestProbeWorker runs worker/test/kvprobe/probeworker, a worker that only
// exposes cfkv and its env through the worker's runtime, to show that cfkv works against wrangler's local
// KV (metadata, TTL, paging), that the vars Start passes reach the worker
// exactly and nothing from the shell does, and that Restart keeps the data.
func TestProbeWorker(t *testing.T) {
	root := skipUnlessBuilt(t)
	dir := t.TempDir()
	buildProbe(t, root, dir)
	// Neither the repo's .dev.vars / .env (wrangler runs on a copy of
	// wrangler.toml elsewhere, with --env-file) nor the shell may reach the worker.
	t.Setenv("LEAK_SHELL", "1")
	t.Setenv("TOKEN_ISSUER", "from-shell")

	tricky := `a$HOME ${PATH} #b 'c' "d" :e=f \$g`
	persist := t.TempDir()
	ctx := context.Background()
	var logw io.Writer
	if os.Getenv("WRANGLERTEST_VERBOSE") != "" {
		logw = os.Stderr
	}
	s, err := start(ctx, Options{
		Log:        logw,
		PersistDir: persist,
		Vars:       map[string]string{"DEMO_ROUTES": "1", "TRICKY": tricky, "EMPTYISH": " "},
	}, root, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	t.Logf("probe worker answered after %v", s.StartupTime())

	// Vars.
	want := map[string]string{
		"ADMIN_TOKEN":  TestAdminToken,
		"SIGNING_KEYS": TestSigningKeys(),
		"TOKEN_ISSUER": s.URL,
		"DEMO_ROUTES":  "1", // overrides [vars] DEMO_ROUTES = "0"
		"TRICKY":       tricky,
		"EMPTYISH":     " ",
	}
	names := url.Values{"name": append(slices.Collect(maps.Keys(want)), "LEAK_SHELL")}
	var env map[string]envEntry
	if body := do(t, s, "GET", "/_probe/env?"+names.Encode(), "", 200); json.Unmarshal([]byte(body), &env) != nil {
		t.Fatalf("env: %s", body)
	}
	for name, v := range want {
		sum := sha256.Sum256([]byte(v))
		if got := env[name]; !got.Set || got.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("var %s did not reach the worker as %q: %+v", name, v, got)
		}
		if s.Vars[name] != v {
			t.Errorf("Server.Vars[%s] = %q, want %q", name, s.Vars[name], v)
		}
	}
	if env["LEAK_SHELL"].Set {
		t.Error("a variable of the shell reached the worker")
	}
	if !strings.HasPrefix(TestSigningKeys(), SigningKeyID+":") {
		t.Errorf("SIGNING_KEYS %q", TestSigningKeys())
	}

	// cfkv against wrangler's local KV.
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"PUT", "/_probe/kv/org/1?metadata=" + url.QueryEscape(`{"name": "Ünïcode ✓", "n": 1, "nested": {"a": [1, 2]}}`) + "&ttl=3600", "one", 204},
		{"PUT", "/_probe/kv/org/2", "", 204},
		{"PUT", "/_probe/kv/org/3?metadata=%5B%5D", "three\x00\xff", 204},
		{"PUT", "/_probe/kv/other", "x", 204},
		{"PUT", "/_probe/kv/bad?metadata=%7Bnope", "x", 400},
		{"PUT", "/_probe/kv/short-ttl?ttl=5", "x", 400},
		{"GET", "/_probe/kv/missing", "", 404},
	} {
		do(t, s, c.method, c.path, c.body, c.status)
	}
	for key, want := range map[string]string{"org/1": "one", "org/2": "", "org/3": "three\x00\xff"} {
		if got := do(t, s, "GET", "/_probe/kv/"+key, "", 200); got != want {
			t.Errorf("GET %s = %q, want %q", key, got, want)
		}
	}
	checkListing := func() {
		t.Helper()
		var got []string // name=metadata of each key listed, page by page
		for page, cursor := 0, ""; ; page++ {
			var res struct {
				Keys []struct {
					Name     string
					Metadata json.RawMessage
				}
				Cursor   string
				Complete bool
			}
			body := do(t, s, "GET", "/_probe/list?prefix=org/&limit=2&cursor="+url.QueryEscape(cursor), "", 200)
			if err := json.Unmarshal([]byte(body), &res); err != nil || page > 5 || !res.Complete && res.Cursor == "" {
				t.Fatalf("list, page %d (an incomplete page needs a cursor; the listing must end): %v: %s", page, err, body)
			}
			for _, k := range res.Keys {
				got = append(got, k.Name+"="+string(k.Metadata))
			}
			if res.Complete {
				break
			}
			cursor = res.Cursor
		}
		if want := []string{`org/1={"name":"Ünïcode ✓","n":1,"nested":{"a":[1,2]}}`, "org/2=", "org/3=[]"}; !slices.Equal(got, want) {
			t.Errorf("listed %q, want %q", got, want)
		}
	}
	checkListing()

	// Restart: same port, same data.
	port := s.Port
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	t.Logf("restarted in %v", s.StartupTime())
	if s.Port != port {
		t.Errorf("port changed from %d to %d", port, s.Port)
	}
	if got := do(t, s, "GET", "/_probe/kv/org/1", "", 200); got != "one" {
		t.Errorf("after Restart: GET org/1 = %q", got)
	}
	checkListing()
	do(t, s, "DELETE", "/_probe/kv/org/1", "", 204)
	do(t, s, "DELETE", "/_probe/kv/org/1", "", 204)
	do(t, s, "GET", "/_probe/kv/org/1", "", 404)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(persist); err != nil {
		t.Errorf("a PersistDir given in Options must be kept: %v", err)
	}
}

type envEntry struct {
	Set    bool   `json:"set"`
	SHA256 string `json:"sha256"`
}

func do(t *testing.T, s *Server, method, path, body string, wantStatus int) string {
	t.Helper()
	r, err := contract.New(s.URL, nil).Do(context.Background(), method, path, contract.Raw(body))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != wantStatus {
		t.Errorf("%s %s: %d %s, want %d", method, path, r.Status, r.Body, wantStatus)
	}
	return string(r.Body)
}

// buildProbe puts the probe worker and a wrangler config for it into dir:
// build/'s runtime (worker.mjs, glue.js and what workers-assets-gen made)
// and the probe compiled as the worker is (make probe).
func buildProbe(t *testing.T, root, dir string) {
	t.Helper()
	files := map[string]string{"wrangler.toml": `name = "cfkv-probe"
main = "build/worker.mjs"
compatibility_date = "2026-04-01"

[[kv_namespaces]]
binding = "CHAT_KV"
id = "00000000000000000000000000000000"

[vars]
DEMO_ROUTES = "0"
`}
	for _, f := range []string{"worker.mjs", "glue.js", "runtime.mjs", "wasm_exec.js"} {
		b, err := os.ReadFile(filepath.Join(root, "build", f))
		if err != nil {
			t.Fatalf("make build first: %v", err)
		}
		files["build/"+f] = string(b)
	}
	writeFiles(t, dir, files)
	if err := MakeWasm("probe", "PROBE_OUT", filepath.Join(dir, "build", "app.wasm")); err != nil {
		t.Fatalf("building the probe worker: %v", err)
	}
}

// writeFiles writes each file of files (by its path under dir), making the
// directories they need.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOrphanedServerIsKilled shows that wrangler does not outlive a test
// process that dies without its cleanups (a -timeout panic, a kill): a child
// test process starts a server and exits at once, and the watcher ends the
// process group.
func TestOrphanedServerIsKilled(t *testing.T) {
	if os.Getenv("WRANGLERTEST_ORPHAN_CHILD") == "1" {
		s, err := Start(context.Background(), Options{})
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		s.mu.Lock()
		fmt.Printf("orphan %d %s %s %s\n", s.proc.pgid, s.proc.runDir, s.appDir, s.PersistDir)
		s.mu.Unlock()
		os.Exit(3) // no Stop, no cleanups
	}
	skipUnlessBuilt(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestOrphanedServerIsKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WRANGLERTEST_ORPHAN_CHILD=1")
	out, _ := cmd.Output()
	var pgid int
	var dirs [3]string // its run dir, its snapshot of build/, its PersistDir
	if _, err := fmt.Sscanf(string(out), "orphan %d %s %s %s", &pgid, &dirs[0], &dirs[1], &dirs[2]); err != nil {
		t.Fatalf("child did not start a server: %v: %s", err, out)
	}
	reaped := make(chan struct{}) // the leader's parent, the child test process, has exited
	close(reaped)
	if !waitGroupGone(pgid, reaped, 15*time.Second) {
		left := groupMembers(pgid)
		syscall.Kill(-pgid, syscall.SIGKILL)
		t.Fatalf("process group %d of a dead test process still alive after 15s: %v", pgid, left)
	}
	// The watcher then removes the temp dirs of that server.
	for _, dir := range dirs {
		for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				break
			}
			if time.Since(start) > 10*time.Second {
				os.RemoveAll(dir)
				t.Errorf("%s left behind by a dead test process", dir)
				break
			}
		}
	}
}

func TestWriteEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.env")
	if err := writeEnvFile(path, map[string]string{"B": "it's $X", "A": "plain #x"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if got, want := string(b), "A='plain #x'\nB=`it's \\$X`\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []map[string]string{{"A": "x\ny"}, {"1A": "x"}, {"A-B": "x"}, {"A": "'`\""}} {
		if err := writeEnvFile(path, bad); err == nil {
			t.Errorf("writeEnvFile(%q) succeeded", bad)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	b := NewTail(3)
	for i := range 10 {
		fmt.Fprintf(b, "line %d\n", i)
	}
	b.Write([]byte("partial"))
	if got, want := b.String(), "line 7\nline 8\nline 9\npartial"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestStartWithoutBuild(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644)
	t.Chdir(dir)
	_, err := Start(context.Background(), Options{})
	if !errors.Is(err, ErrNotBuilt) || !strings.Contains(err.Error(), "make build") && !strings.Contains(err.Error(), "npm ci") {
		t.Errorf("Start without build: %v", err)
	}
}

// TestAppDirAndReadyPath serves a JavaScript worker from Options.AppDir,
// whose npm import (jose, from the repo's node_modules) must resolve, and
// waits on a static file (Options.ReadyPath), so that the worker's first
// request is the test's own.
func TestAppDirAndReadyPath(t *testing.T) {
	root := skipUnlessBuilt(t)
	if _, err := os.Stat(filepath.Join(root, "node_modules", "jose")); err != nil {
		t.Skip("jose is not installed: run `npm ci`")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"wrangler.toml": `name = "appdir-probe"
main = "src/worker.js"
compatibility_date = "2026-04-01"

[assets]
directory = "public"
`,
		"public/ready.txt": "ready\n",
		"src/worker.js": `import { base64url } from "jose";
let n = 0;
export default {
  async fetch(req, env) {
    n++;
    return new Response(JSON.stringify({ n, b: base64url.encode("ok"), admin: env.ADMIN_TOKEN === "` + TestAdminToken + `" }));
  },
};
`,
	})
	s := StartT(t, Options{AppDir: dir, ReadyPath: "/ready.txt"})
	for n := 1; n <= 2; n++ {
		if got, want := do(t, s, "GET", "/anything", "", 200), fmt.Sprintf(`{"n":%d,"b":"b2s","admin":true}`, n); got != want {
			t.Errorf("request %d: %s, want %s", n, got, want)
		}
	}
	// The copy, not the source, is served: the source dir is left alone.
	if _, err := os.Stat(filepath.Join(dir, ".wrangler")); err == nil {
		t.Errorf("wrangler wrote into AppDir itself")
	}
}
