//go:build !js

// Package wranglertest runs the worker under `wrangler dev` for end-to-end,
// browser, soak and bench tests:
//
//	s := wranglertest.StartT(t, wranglertest.Options{Vars: map[string]string{"DEMO_ROUTES": "1"}})
//	resp, err := http.Get(s.URL + "/.well-known/jwks.json")
//
// It serves what `make build` left in build/ (it never builds) with the repo's
// wrangler.toml, on a free loopback port, with its local KV in a fresh temp
// dir unless Options.PersistDir says otherwise. Start copies wrangler.toml and
// build/ into a temp dir and runs wrangler there: wrangler dev reloads the
// worker whenever its files change, so without the copy a `make build` (which
// starts by emptying build/) during a test run would restart every running
// worker mid-request. Options.AppDir serves another worker instead (the
// JavaScript peer of worker/test/bench), copied the same way.
//
// The worker's vars and secrets are passed explicitly and never come from a
// developer's .dev.vars, .env or shell: every value of Server.Vars (a fixed
// test ADMIN_TOKEN, SIGNING_KEYS made in this process, TOKEN_ISSUER = URL, and
// Options.Vars over them) is written to a dotenv file handed to wrangler with
// --env-file (wrangler then reads no .dev.vars or .env, and with
// CLOUDFLARE_INCLUDE_PROCESS_ENV=false nothing of its environment); these
// values override the [vars] of wrangler.toml.
//
// wrangler runs in its own process group (node, esbuild, workerd). Stop ends the
// whole group, SIGTERM then SIGKILL; a small watcher process ends it too when the
// test process dies without running its cleanups (a timeout, a kill).
package wranglertest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/token"
)

// Options configure Start.
type Options struct {
	PersistDir string            // "" = a fresh temp dir
	Vars       map[string]string // extra/overriding worker vars, e.g. {"DEMO_ROUTES":"1"}
	Log        io.Writer         // wrangler's output; nil = keep last lines in memory to show on failure

	// AppDir, when set, is served instead of the repo's wrangler.toml and
	// build/: a directory holding a wrangler.toml and every file it names
	// (a JavaScript worker, say). Start copies the whole directory (but any
	// node_modules or .wrangler in it) into its temp dir, links the repo's
	// node_modules there so that the worker's npm imports resolve when
	// wrangler bundles it, and does not require `make build`.
	AppDir string
	// AppWasm, when set, replaces build/app.wasm in the snapshot of build/:
	// the worker built another way (`make test-worker`, say) through the
	// same runtime.
	AppWasm string
	// ReadyPath is the path Start requests until the server answers (any
	// status); "" means /__wranglertest/ready, which reaches the worker. A
	// path of the static assets (such as "/widget.js") leaves the worker's
	// first request to the caller, to measure a cold start.
	ReadyPath string
}

// Server is a running `wrangler dev`.
type Server struct {
	URL        string // "http://127.0.0.1:PORT"
	Port       int
	PersistDir string
	AdminToken string // the admin token the worker was started with
	// Vars are all the vars and secrets the worker was started with
	// (ADMIN_TOKEN, SIGNING_KEYS, TOKEN_ISSUER, and Options.Vars). Do not modify.
	Vars map[string]string

	root   string // the repo root, holding node_modules
	srcDir string // the repo root, or Options.AppDir (or a probe's dir, in this package's tests)
	opts   Options
	tail   *Tail
	logOut io.Writer

	mu          sync.Mutex
	proc        *process // nil when stopped
	ownPersist  bool     // PersistDir was made by Start; Stop removes it
	persistGone bool     // Stop removed PersistDir; Restart makes it anew
	appDir      string   // the snapshot of wrangler.toml and build/ it serves
	startupTime time.Duration
	inspector   int // the port of wrangler's V8 inspector (--inspector-port) of the running start
}

// TestAdminToken is the ADMIN_TOKEN every Server gets unless Options.Vars sets one.
const TestAdminToken = "wranglertest-admin-token-not-a-secret-7d1c0b9e4f"

// SigningKeyID is the kid of the test signing key in SIGNING_KEYS.
const SigningKeyID = "wranglertest-1"

// ErrNotBuilt is returned (wrapped) by Start when build/ lacks what `make build`
// makes, or node_modules lacks wrangler.
var ErrNotBuilt = errors.New("wranglertest: the worker is not built")

// StartTimeout bounds how long Start waits for the worker to answer; the
// environment variable WRANGLERTEST_START_TIMEOUT (a Go duration, such as
// "3m") overrides it for slow or busy machines.
const StartTimeout = 60 * time.Second

func startTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("WRANGLERTEST_START_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return StartTimeout
}

// TestSigningKeys returns the SIGNING_KEYS value every Server of this process
// gets unless Options.Vars sets one: one Ed25519 seed, made once per process,
// as "kid:BASE64URL(seed)".
var TestSigningKeys = sync.OnceValue(func() string {
	spec, err := token.GenerateKeySpec(SigningKeyID)
	if err != nil {
		panic(err)
	}
	return spec
})

// RepoRoot returns the directory holding go.mod, searching up from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("wranglertest: no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

// snapshot copies what s serves into a new temp dir (the package doc says
// why) and returns it: wrangler.toml and build/ of s.srcDir, or the whole of
// it (Options.AppDir) with root's node_modules linked in, and
// Options.AppWasm as build/app.wasm. Its wrangler.toml gets the rate limits
// of Options.Vars (applyRateLimits).
func (s *Server) snapshot() (string, error) {
	dir, err := os.MkdirTemp("", "wranglertest-app-*")
	if err != nil {
		return "", err
	}
	if err = s.copyApp(dir); err != nil {
		err = fmt.Errorf("%w: %w", ErrNotBuilt, err)
	} else if err = applyRateLimits(filepath.Join(dir, "wrangler.toml"), s.opts.Vars); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	return "", err
}

func (s *Server) copyApp(dir string) error {
	if s.opts.AppDir != "" {
		if _, err := os.Stat(filepath.Join(s.srcDir, "wrangler.toml")); err != nil {
			return fmt.Errorf("AppDir %s: %w", s.srcDir, err)
		}
		if err := CopyTree(s.srcDir, dir, true); err != nil {
			return fmt.Errorf("copying %s: %w", s.srcDir, err)
		}
		return os.Symlink(filepath.Join(s.root, "node_modules"), filepath.Join(dir, "node_modules"))
	}
	if err := copyFile(filepath.Join(s.srcDir, "wrangler.toml"), filepath.Join(dir, "wrangler.toml")); err != nil {
		return err
	}
	if err := CopyTree(filepath.Join(s.srcDir, "build"), filepath.Join(dir, "build"), false); err != nil {
		return fmt.Errorf("copying build/ (run `make build`): %w", err)
	}
	if s.opts.AppWasm != "" {
		if err := copyFile(s.opts.AppWasm, filepath.Join(dir, "build", "app.wasm")); err != nil {
			return fmt.Errorf("AppWasm: %w", err)
		}
	}
	return nil
}

// CopyTree copies the directories and regular files under from into to;
// skipDeps leaves out node_modules and .wrangler directories.
func CopyTree(from, to string, skipDeps bool) error {
	return filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipDeps && rel != "." && (d.Name() == "node_modules" || d.Name() == ".wrangler") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, filepath.Join(to, rel))
	})
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o755)
	}
	if err == nil {
		err = os.WriteFile(to, b, 0o644)
	}
	return err
}

// Start runs `wrangler dev` on what `make build` built and returns once the
// worker answers HTTP (any status), within StartTimeout.
func Start(ctx context.Context, opts Options) (*Server, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	if err := checkBuilt(root, opts.AppDir != ""); err != nil {
		return nil, err
	}
	srcDir := root
	if opts.AppDir != "" {
		if srcDir, err = filepath.Abs(opts.AppDir); err != nil {
			return nil, err
		}
	}
	return start(ctx, opts, root, srcDir)
}

// MakeWasm builds a worker program as the worker is built, through the
// Makefile's target that writes it where its variable outVar says:
// MakeWasm("test-worker", "TEST_WORKER_OUT", dir+"/app.wasm"), say. It needs
// `make build` first (the TinyGo toolchain and the trimmed golang-jwt).
func MakeWasm(target, outVar, out string) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("make", "--no-print-directory", target, outVar+"="+out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make %s: %w\n%s", target, err, b)
	}
	return nil
}

// checkBuilt checks that node_modules holds wrangler and, unless appDir,
// build/ what `make build` makes.
func checkBuilt(root string, appDir bool) error {
	if _, err := os.Stat(wranglerJS(root)); err != nil {
		return fmt.Errorf("%w: %s is missing: run `npm ci` (or `make build`) in %s", ErrNotBuilt, wranglerJS(root), root)
	}
	if appDir {
		return nil
	}
	for _, f := range []string{"build/worker.mjs", "build/runtime.mjs", "build/wasm_exec.js", "build/app.wasm", "build/public"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			return fmt.Errorf("%w: %s is missing: run `make build` in %s first", ErrNotBuilt, f, root)
		}
	}
	return nil
}

func wranglerJS(root string) string {
	return filepath.Join(root, "node_modules", "wrangler", "bin", "wrangler.js")
}

// start serves what srcDir holds (Server.snapshot), with the node_modules
// of root.
func start(ctx context.Context, opts Options, root, srcDir string) (*Server, error) {
	if opts.AppWasm != "" && opts.AppDir != "" {
		return nil, errors.New("wranglertest: AppWasm replaces build/app.wasm; with AppDir, put it in the directory")
	}
	opts.ReadyPath = cmp.Or(opts.ReadyPath, "/__wranglertest/ready")
	s := &Server{root: root, srcDir: srcDir, opts: opts, tail: NewTail(200)}
	appDir, err := s.snapshot()
	if err != nil {
		return nil, err
	}
	s.appDir = appDir
	s.logOut = s.tail
	if opts.Log != nil {
		s.logOut = io.MultiWriter(s.tail, opts.Log)
	}
	s.PersistDir = opts.PersistDir
	if s.PersistDir == "" {
		dir, err := os.MkdirTemp("", "wranglertest-kv-*")
		if err != nil {
			os.RemoveAll(appDir)
			return nil, err
		}
		s.PersistDir, s.ownPersist = dir, true
	} else if abs, err := filepath.Abs(s.PersistDir); err == nil {
		s.PersistDir = abs
	}

	if err := s.launchRetrying(ctx, true); err != nil {
		if s.ownPersist {
			os.RemoveAll(s.PersistDir)
		}
		os.RemoveAll(s.appDir)
		return nil, err
	}
	return s, nil
}

// launchRetrying launches s, and again after a failure the next launch may
// not have: the port taken meanwhile (up to 3 launches, on a new free port
// when newPort), or wrangler exiting before the worker answered (workerd
// sometimes fails to start: "The Workers runtime failed to start"), retried
// once, with the first launch's error kept in the error if the second fails
// too.
func (s *Server) launchRetrying(ctx context.Context, newPort bool) error {
	var exited error
	for tries := 1; ; tries++ {
		if newPort {
			p, err := freePort()
			if err != nil {
				return err
			}
			s.setPort(p)
		}
		err := s.launch(ctx)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil || tries == 3:
		case errors.Is(err, errAddrInUse):
			if !newPort {
				time.Sleep(500 * time.Millisecond) // give the kernel a moment if someone else binds it
			}
			continue
		case errors.Is(err, errExited) && exited == nil:
			fmt.Fprintf(s.logOut, "wranglertest: launching again: %v\n", errExited)
			exited = err
			continue
		}
		if exited != nil {
			return fmt.Errorf("%w\n--- the first launch, which exited before the worker answered too ---\n%v", err, exited)
		}
		return err
	}
}

func (s *Server) setPort(port int) {
	s.Port = port
	s.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	vars := map[string]string{
		"ADMIN_TOKEN":  TestAdminToken,
		"SIGNING_KEYS": TestSigningKeys(),
		"TOKEN_ISSUER": s.URL,
	}
	maps.Copy(vars, s.opts.Vars)
	s.Vars = vars
	s.AdminToken = vars["ADMIN_TOKEN"]
}

var (
	errAddrInUse = errors.New("address already in use")
	errExited    = errors.New("wrangler exited before the worker answered")
)

// node is the program that runs wrangler.js; this package's test puts a fake
// wrangler in its place.
var node = "node"

// launch starts wrangler on s.Port and waits until it answers.
func (s *Server) launch(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("wranglertest: already running")
	}
	// Something else answering on the port would pass for the worker.
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port))
	if err != nil {
		return fmt.Errorf("wranglertest: port %d: %w: %w", s.Port, errAddrInUse, err)
	}
	l.Close()
	runDir, err := os.MkdirTemp("", "wranglertest-run-*")
	if err != nil {
		return err
	}
	defer func() {
		if s.proc == nil {
			os.RemoveAll(runDir) // not launched
		}
	}()
	envFile := filepath.Join(runDir, "vars.env")
	if err := writeEnvFile(envFile, s.Vars); err != nil {
		return err
	}
	inspector, err := freePort()
	if err != nil {
		return err
	}
	args := []string{
		wranglerJS(s.root), "dev",
		"--config", filepath.Join(s.appDir, "wrangler.toml"),
		"--ip", "127.0.0.1",
		"--port", strconv.Itoa(s.Port),
		"--inspector-ip", "127.0.0.1",
		"--inspector-port", strconv.Itoa(inspector),
		"--persist-to", s.PersistDir,
		"--env-file", envFile,
		"--show-interactive-dev-session=false",
		"--log-level", "info",
	}
	fmt.Fprintf(s.logOut, "wranglertest: node %s\n", strings.Join(args, " "))
	began := time.Now()
	cleanup := []string{runDir, s.appDir}
	if s.ownPersist {
		cleanup = append(cleanup, s.PersistDir)
	}
	p, err := startProcess(s.appDir, runDir, node, args, childEnv(runDir), s.logOut, cleanup)
	if err != nil {
		return fmt.Errorf("wranglertest: starting wrangler (is node installed?): %w", err)
	}
	if err := waitReady(ctx, s.URL+s.opts.ReadyPath, p.done); err != nil {
		p.stop()
		out := s.tail.String()
		if strings.Contains(out, "EADDRINUSE") || strings.Contains(out, "ddress already in use") {
			err = fmt.Errorf("%w: %w", errAddrInUse, err)
		}
		return fmt.Errorf("wranglertest: wrangler dev on %s: %w\n--- last lines of wrangler's output ---\n%s", s.URL, err, out)
	}
	s.startupTime = time.Since(began)
	fmt.Fprintf(s.logOut, "wranglertest: %s answered after %v\n", s.URL, s.startupTime.Round(time.Millisecond))
	s.proc = p
	s.inspector = inspector
	return nil
}

// InspectorPort is the loopback port of wrangler dev's V8 inspector for the
// worker (--inspector-port; Chrome DevTools protocol, targets at /json) of
// the running start: a Restart picks a new one.
func (s *Server) InspectorPort() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inspector
}

// StartupTime is how long the last start took until the worker answered.
func (s *Server) StartupTime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startupTime
}

// Usage is what processes have used, summed over them.
type Usage struct {
	CPU time.Duration // user and system time so far, in 10 ms ticks
	RSS int64         // resident memory (VmRSS) now, in bytes
	// Isolate is the CPU of the Isolates processes among them that run the
	// worker's isolate (workerd started with an inspector, as wrangler dev
	// starts the runtime it runs the worker in; its proxy's has none).
	Isolate  time.Duration
	Isolates int
}

// Workerd is the usage of the server's workerd processes: the runtime that
// runs the worker (and, under wrangler dev, the local KV it calls), not
// wrangler's Node.js. Read it before and after a load for the CPU per request.
func (s *Server) Workerd() (Usage, error) {
	pgid, err := s.group()
	if err != nil {
		return Usage{}, err
	}
	return groupUsage(pgid, "workerd")
}

// group is the process group of the running wrangler dev.
func (s *Server) group() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0, errors.New("wranglertest: the server is stopped")
	}
	return s.proc.pgid, nil
}

// Output returns the last lines wrangler printed.
func (s *Server) Output() string { return s.tail.String() }

// Stop ends wrangler and every process it started: SIGTERM to the process
// group, SIGKILL to what is left after a grace period. It is idempotent. A
// PersistDir that Start made is removed; one given in Options is kept.
func (s *Server) Stop() error {
	err := s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ownPersist && s.PersistDir != "" {
		err = errors.Join(err, os.RemoveAll(s.PersistDir))
		s.ownPersist, s.persistGone = false, true
	}
	if s.appDir != "" {
		os.RemoveAll(s.appDir)
		s.appDir = ""
	}
	return err
}

func (s *Server) stop() error {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return nil
	}
	err := p.stop()
	os.RemoveAll(p.runDir)
	return err
}

// Restart stops the server and starts it again on the same port with the same
// PersistDir, vars and build, so that the data written before is there again.
// After Stop it also works, on a new copy of build/; a PersistDir that Start
// made and Stop removed then starts empty. (wasm/browsertest's outage test
// stops the worker and restarts it so.)
func (s *Server) Restart(ctx context.Context) error {
	if err := s.stop(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.appDir == "" {
		// Stopped for good: take a new snapshot of the build.
		dir, err := s.snapshot()
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.appDir = dir
	}
	if s.persistGone {
		// Stop removed the temp dir it had made: a new, empty one, again ours.
		if err := os.MkdirAll(s.PersistDir, 0o700); err != nil {
			s.mu.Unlock()
			return err
		}
		s.ownPersist, s.persistGone = true, false
	}
	s.mu.Unlock()
	return s.launchRetrying(ctx, false)
}

// StartT is Start for tests: it stops the server (and its whole process group)
// in t.Cleanup, also when the test fails or panics, and on failure to start it
// fails the test with wrangler's last output lines. A PersistDir of "" becomes
// t.TempDir(), so that it outlives a Stop followed by Restart.
func StartT(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.PersistDir == "" {
		opts.PersistDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*startTimeout()+30*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if t.Failed() && opts.Log == nil {
			t.Logf("wranglertest: last lines of wrangler's output:\n%s", s.Output())
		}
		if err := s.Stop(); err != nil {
			t.Errorf("wranglertest: stopping %s: %v", s.URL, err)
		}
	})
	return s
}

// waitReady polls url (the server's URL and the ready path) until it answers
// HTTP with any status.
func waitReady(ctx context.Context, url string, exited <-chan struct{}) error {
	timeout := startTimeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return fmt.Errorf("the worker did not answer within %v (WRANGLERTEST_START_TIMEOUT sets another limit): %w", timeout, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is wrangler's environment: this process's, without any Cloudflare or
// wrangler settings of the developer, plus settings that keep it offline-quiet
// and isolated in runDir.
func childEnv(runDir string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "CLOUDFLARE_") || strings.HasPrefix(name, "WRANGLER_") || strings.HasPrefix(name, "CF_")
	})
	return append(env,
		"WRANGLER_SEND_METRICS=false",
		"WRANGLER_SEND_ERROR_REPORTS=false",
		// Only the --env-file values; never the shell's environment.
		"CLOUDFLARE_INCLUDE_PROCESS_ENV=false",
		// --env-file is only read while this is true (its default).
		"CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=true",
		"WRANGLER_LOG_PATH="+filepath.Join(runDir, "logs"),
		"WRANGLER_REGISTRY_PATH="+filepath.Join(runDir, "registry"),
		"NO_COLOR=1",
		"FORCE_COLOR=0",
	)
}

// writeEnvFile writes vars as a dotenv file that wrangler 4.86 reads back
// exactly: wrangler parses it with dotenv and then expands $NAME and ${NAME}
// (dotenv-expand), also inside single quotes, so '$' is escaped as '\$'. Values
// are single-quoted (or backquoted, or double-quoted) so that '#' and spaces
// stay; newlines are refused.
func writeEnvFile(path string, vars map[string]string) error {
	var b bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if !varName.MatchString(k) {
			return fmt.Errorf("wranglertest: invalid var name %q", k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("wranglertest: var %s: values with line breaks are not supported", k)
		}
		v = strings.ReplaceAll(v, "$", `\$`)
		var q string
		switch {
		case !strings.Contains(v, "'"):
			q = "'"
		case !strings.Contains(v, "`"):
			q = "`"
		case !strings.Contains(v, `"`) && !strings.Contains(v, `\n`) && !strings.Contains(v, `\r`):
			q = `"`
		default:
			return fmt.Errorf("wranglertest: var %s: cannot quote its value for a dotenv file", k)
		}
		fmt.Fprintf(&b, "%s=%s%s%s\n", k, q, v, q)
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Tail keeps the last lines written to it (a wrangler dev's output, to show
// when a test fails); it is safe for concurrent use.
type Tail struct {
	mu    sync.Mutex
	max   int
	lines []string // the last one is the line being written ("" after a newline)
}

// NewTail returns a Tail of the last max lines.
func NewTail(max int) *Tail { return &Tail{max: max} }

func (b *Tail) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) == 0 {
		b.lines = []string{""}
	}
	more := strings.Split(string(p), "\n")
	b.lines[len(b.lines)-1] += more[0]
	b.lines = append(b.lines, more[1:]...)
	if len(b.lines[len(b.lines)-1]) > 64<<10 {
		b.lines = append(b.lines, "") // cut a line that does not end
	}
	if over := len(b.lines) - 1 - b.max; over > 0 {
		b.lines = slices.Clone(b.lines[over:])
	}
	return len(p), nil
}

func (b *Tail) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSuffix(strings.Join(b.lines, "\n"), "\n")
}

// process is a running wrangler: the leader of its own process group, and a
// watcher that ends that group when this test process dies.
type process struct {
	cmd     *exec.Cmd
	pgid    int
	done    chan struct{} // closed when the leader has exited
	watcher *exec.Cmd
	runDir  string
}

// watcherPipes holds the write ends of the watchers' pipes, so that they stay
// open (no finalizer closes them) until stop, even if a Server is dropped
// without Stop: then the watcher ends wrangler when this process exits.
var watcherPipes sync.Map // *process -> *os.File

// startProcess starts name in its own process group, and a watcher that ends
// that group and removes the dirs in cleanup if this process dies first.
func startProcess(dir, runDir, name string, args, env []string, out io.Writer, cleanup []string) (*process, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = 2 * time.Second
	setOwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{}), runDir: runDir}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	w, pipe, err := startWatcher(p.pgid, cleanup)
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("starting the watcher: %w", err)
	}
	p.watcher = w
	watcherPipes.Store(p, pipe)
	return p, nil
}

// stop ends the watcher, then the whole process group (killGroup also waits
// for the leader to be reaped).
func (p *process) stop() error {
	if p.watcher != nil {
		p.watcher.Process.Kill()
		p.watcher.Wait()
		p.watcher = nil
	}
	if pipe, ok := watcherPipes.LoadAndDelete(p); ok {
		pipe.(*os.File).Close()
	}
	return killGroup(p.pgid, p.done, 10*time.Second)
}
