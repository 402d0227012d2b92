//go:build !js

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chatwidget/identity/worker/wranglertest"
)

// The one wrangler dev of this package run, started by the first test that
// needs it and stopped after the last one.
var (
	shared      *wranglertest.Server
	sharedErr   error
	sharedSkip  string
	sharedOnce  sync.Once
	sharedTB    = newMainTB()
	wranglerLog = &tailBuffer{max: 256 << 10}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 && shared != nil {
		fmt.Fprintf(os.Stderr, "\n--- last output of wrangler dev ---\n%s\n", wranglerLog.String())
	}
	sharedTB.runCleanups()
	os.Exit(code)
}

// e2eVars are the worker vars of the shared server. The whole suite calls
// from one address, so the per-address rate limits (meant for real traffic
// from many) are turned off; the per-device limits keep their defaults.
var e2eVars = map[string]string{
	"DEMO_ROUTES":                "1", // GET /v1/admin/debug/kv: the erasure tests read the whole KV
	"RATE_LIMIT_CONTACTS_PER_IP": "0",
	"RATE_LIMIT_MESSAGES_PER_IP": "0",
}

// server returns the shared server, starting it on first use.
func server(t testing.TB) *wranglertest.Server {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "e2e-kv-")
		if err != nil {
			sharedErr = err
			return
		}
		sharedTB.Cleanup(func() { os.RemoveAll(dir) })
		var w io.Writer = wranglerLog
		if os.Getenv("E2E_VERBOSE") != "" {
			w = io.MultiWriter(wranglerLog, os.Stderr)
		}
		func() {
			defer func() {
				if r := recover(); r != nil && r != errMainTBFailNow && r != errMainTBSkipNow {
					panic(r)
				}
			}()
			shared = wranglertest.StartT(sharedTB, wranglertest.Options{PersistDir: dir, Log: w, Vars: e2eVars})
		}()
		switch {
		case sharedTB.skipped:
			sharedSkip = sharedTB.messages()
			shared = nil
		case sharedTB.failed || shared == nil:
			sharedErr = fmt.Errorf("starting wrangler dev failed (run `make build` first):\n%s\n%s",
				sharedTB.messages(), wranglerLog.String())
			shared = nil
		case shared.AdminToken == "":
			sharedErr = errors.New("wranglertest.Server.AdminToken is empty")
		}
	})
	if sharedSkip != "" {
		t.Skip(sharedSkip)
	}
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

var (
	errMainTBFailNow = errors.New("mainTB: FailNow")
	errMainTBSkipNow = errors.New("mainTB: SkipNow")
)

// mainTB is the testing.TB given to wranglertest.StartT from outside any
// single test, so that the server's cleanup runs after every test, in
// TestMain. FailNow and SkipNow panic with a sentinel that server recovers.
type mainTB struct {
	testing.TB // nil; only supplies the unexported method

	mu       sync.Mutex
	cleanups []func()
	failed   bool
	skipped  bool
	log      strings.Builder
	ctx      context.Context
	cancel   context.CancelFunc
}

func newMainTB() *mainTB {
	ctx, cancel := context.WithCancel(context.Background())
	return &mainTB{ctx: ctx, cancel: cancel}
}

func (m *mainTB) runCleanups() {
	m.cancel()
	m.mu.Lock()
	cs := m.cleanups
	m.cleanups = nil
	m.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (m *mainTB) messages() string { m.mu.Lock(); defer m.mu.Unlock(); return m.log.String() }

func (m *mainTB) logln(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log.WriteString(s)
	if !strings.HasSuffix(s, "\n") {
		m.log.WriteString("\n")
	}
}

func (m *mainTB) ArtifactDir() string          { return m.TempDir() }
func (m *mainTB) Attr(key, value string)       {}
func (m *mainTB) Cleanup(f func())             { m.mu.Lock(); m.cleanups = append(m.cleanups, f); m.mu.Unlock() }
func (m *mainTB) Error(args ...any)            { m.logln(fmt.Sprint(args...)); m.Fail() }
func (m *mainTB) Errorf(f string, args ...any) { m.logln(fmt.Sprintf(f, args...)); m.Fail() }
func (m *mainTB) Fail()                        { m.mu.Lock(); m.failed = true; m.mu.Unlock() }
func (m *mainTB) FailNow()                     { m.Fail(); panic(errMainTBFailNow) }
func (m *mainTB) Failed() bool                 { m.mu.Lock(); defer m.mu.Unlock(); return m.failed }
func (m *mainTB) Fatal(args ...any)            { m.logln(fmt.Sprint(args...)); m.FailNow() }
func (m *mainTB) Fatalf(f string, args ...any) { m.logln(fmt.Sprintf(f, args...)); m.FailNow() }
func (m *mainTB) Helper()                      {}
func (m *mainTB) Log(args ...any)              { m.logln(fmt.Sprint(args...)) }
func (m *mainTB) Logf(f string, args ...any)   { m.logln(fmt.Sprintf(f, args...)) }
func (m *mainTB) Name() string                 { return "e2e" }
func (m *mainTB) Skip(args ...any)             { m.logln(fmt.Sprint(args...)); m.SkipNow() }
func (m *mainTB) SkipNow()                     { m.mu.Lock(); m.skipped = true; m.mu.Unlock(); panic(errMainTBSkipNow) }
func (m *mainTB) Skipf(f string, args ...any)  { m.logln(fmt.Sprintf(f, args...)); m.SkipNow() }
func (m *mainTB) Skipped() bool                { m.mu.Lock(); defer m.mu.Unlock(); return m.skipped }
func (m *mainTB) Context() context.Context     { return m.ctx }
func (m *mainTB) Output() io.Writer            { return os.Stderr }

func (m *mainTB) Setenv(key, value string) {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	m.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
}

func (m *mainTB) Chdir(dir string) {
	old, err := os.Getwd()
	if err != nil {
		m.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		m.Fatal(err)
	}
	m.Cleanup(func() { os.Chdir(old) })
}

func (m *mainTB) TempDir() string {
	dir, err := os.MkdirTemp("", "e2e-")
	if err != nil {
		m.Fatal(err)
	}
	m.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
