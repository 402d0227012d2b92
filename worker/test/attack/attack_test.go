//go:build !js

package attack_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatwidget/identity/internal/kv"
	"github.com/chatwidget/identity/worker/test/attack"
	"github.com/chatwidget/identity/worker/test/wranglertest"
)

// check fails t for every case not refused as expected and every case
// skipped, and logs the figures.
func check(t *testing.T, rep *attack.Report) {
	t.Helper()
	var table bytes.Buffer
	rep.WriteTable(&table)
	t.Logf("%d cases in %v\n%s", len(rep.Results), rep.Duration.Round(time.Millisecond), table.String())
	for _, res := range rep.Failures() {
		t.Errorf("NOT REFUSED %s / %s: got %s\n    %s", res.Class, res.Name, res.Got, strings.Join(res.Problems, "\n    "))
	}
	if len(rep.Results) == 0 {
		t.Error("no case was run") // and each skipped one fails below
	}
	for _, res := range rep.Results {
		if res.Skipped != "" {
			t.Errorf("%s / %s skipped: %s", res.Class, res.Name, res.Skipped)
		}
	}
}

func run(t *testing.T, target attack.Target, cases []attack.Case) *attack.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	rep, err := attack.Run(ctx, target, cases)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func inProcess(t *testing.T, wrap func(http.Handler, *kv.Memory) http.Handler) attack.Target {
	t.Helper()
	target, stop, err := attack.NewInProcess(wrap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return target
}

// TestAttackInProcess runs every case against internal/api over kv.Memory,
// comparing the whole store and what the API shows before and after each
// case.
func TestAttackInProcess(t *testing.T) {
	t.Parallel()
	target := inProcess(t, nil)
	target.ObserveAPIEveryCase = true
	check(t, run(t, target, nil))
}

// TestAttackWrangler runs every case against the built worker under
// wrangler dev (after `make build`), comparing the files of its local KV
// before and after each case and what the API shows after each class.
func TestAttackWrangler(t *testing.T) {
	if testing.Short() {
		t.Skip("starts wrangler dev; skipped with -short")
	}
	t.Parallel()
	s := wranglertest.StartT(t, wranglertest.Options{})
	check(t, run(t, attack.Target{URL: s.URL, AdminToken: s.AdminToken, SigningKeys: s.Vars["SIGNING_KEYS"],
		Snapshot: attack.PersistSnapshot(s.PersistDir)}, nil))
}

// wantCaught runs the cases of the classes named against a worker that wrap
// breaks and fails unless every class has a case not refused.
func wantCaught(t *testing.T, wrap func(http.Handler, *kv.Memory) http.Handler, classes ...string) {
	t.Helper()
	cases := slices.DeleteFunc(attack.Cases(), func(c attack.Case) bool { return !slices.Contains(classes, c.Class) })
	if len(cases) == 0 {
		t.Fatalf("no cases of %v", classes)
	}
	failed := map[string]int{}
	for _, res := range run(t, inProcess(t, wrap), cases).Failures() {
		failed[res.Class]++
	}
	for _, c := range classes {
		if failed[c] == 0 {
			t.Errorf("class %s: no case noticed the broken worker", c)
		}
	}
}

// rewrite serves h into a recorder and lets edit change the answer before
// it is sent.
func rewrite(h http.Handler, edit func(r *http.Request, status int, header http.Header, body []byte) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		b := edit(r, rec.Code, rec.Header(), rec.Body.Bytes())
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		w.Write(b)
	})
}

// editHeader is a worker whose every answer's header fn changes.
func editHeader(fn func(http.Header)) func(http.Handler, *kv.Memory) http.Handler {
	return func(h http.Handler, _ *kv.Memory) http.Handler {
		return rewrite(h, func(_ *http.Request, _ int, header http.Header, body []byte) []byte { fn(header); return body })
	}
}

// capture serves r and returns the string value that follows key in the
// answer ("" when there is none).
func capture(h http.Handler, w http.ResponseWriter, r *http.Request, key string) string {
	var v string
	rewrite(h, func(_ *http.Request, _ int, _ http.Header, body []byte) []byte {
		if i := bytes.Index(body, []byte(key)); i >= 0 {
			rest := body[i+len(key):]
			v = string(rest[:bytes.IndexByte(rest, '"')])
		}
		return body
	}).ServeHTTP(w, r)
	return v
}

// TestCatches shows that the suite can fail: each row breaks the worker in
// one way and wants the cases of the classes named to report it.
func TestCatches(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wrap    func(http.Handler, *kv.Memory) http.Handler
		classes []string
	}{
		{"PermissiveCORS", // every page may read every answer
			editHeader(func(h http.Header) { h.Set("Access-Control-Allow-Origin", "*") }),
			[]string{"cors-origin-not-allowed", "cors-server-routes", "cors-preflight-unknown", "security-headers"}},
		{"EchoedCredential", func(h http.Handler, _ *kv.Memory) http.Handler { // quotes the Authorization header in its refusals
			return rewrite(h, func(r *http.Request, status int, _ http.Header, body []byte) []byte {
				if status != 401 {
					return body
				}
				quoted := strings.ReplaceAll(r.Header.Get("Authorization"), `"`, "")
				return bytes.Replace(body, []byte(`"message":"`), []byte(`"message":"`+quoted+` `), 1)
			})
		}, []string{"api-key-forged", "admin-token-forged", "alg-none"}},
		{"WriteOnRefusal", func(h http.Handler, mem *kv.Memory) http.Handler { // writes on every request, even refused ones
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/v1/widget/sessions/") {
					mem.Put(r.Context(), "audit/"+time.Now().Format(time.RFC3339Nano), []byte("x"), kv.PutOptions{})
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"session-other-device", "token-tampered"}},
		// Accepts any token with alg none as the contact it names, by
		// answering for it as if it were the genuine token.
		{"AcceptedForgery", func(h http.Handler, _ *kv.Memory) http.Handler {
			var genuine string
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if genuine == "" && strings.HasPrefix(r.URL.Path, "/v1/widget/contacts") {
					genuine = capture(h, w, r, `"token":"`)
					return
				}
				if genuine != "" && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer eyJhbGciOiJub25l") {
					r.Header.Set("Authorization", "Bearer "+genuine)
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"alg-none"}},
		// Its 404 for a session that exists but is not the caller's differs
		// from the one for a session that does not exist.
		{"TellingNotFound", func(h http.Handler, mem *kv.Memory) http.Handler {
			return rewrite(h, func(r *http.Request, status int, _ http.Header, body []byte) []byte {
				id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/widget/sessions/"), "/messages")
				if status != 404 || id == r.URL.Path {
					return body
				}
				for k, v := range mem.Snapshot() {
					if strings.HasPrefix(k, "sessions/") && strings.Contains(v, `"id":"`+id+`"`) {
						return bytes.Replace(body, []byte("Not found."), []byte("Not yours."), 1)
					}
				}
				return body
			})
		}, []string{"session-other-device", "contact-claims-email", "external-id-outside-token"}},
		{"MissingSecurityHeader", editHeader(func(h http.Header) { h.Del("X-Content-Type-Options") }),
			[]string{"security-headers"}},
		{"LeakyListing", func(h http.Handler, _ *kv.Memory) http.Handler { // a contact token lists every session of its org
			var apiKey string
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/admin/orgs" && apiKey == "" {
					apiKey = capture(h, w, r, `"secret":"`)
					return
				}
				if r.Method == "GET" && r.URL.Path == "/v1/widget/sessions" && apiKey != "" {
					r2 := r.Clone(r.Context())
					r2.URL.Path = "/v1/sessions"
					r2.Header.Del("X-Widget-Token")
					r2.Header.Set("Authorization", "Bearer "+apiKey)
					r = r2
				}
				h.ServeHTTP(w, r)
			})
		}, []string{"contact-claims-email", "contact-as-verified"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantCaught(t, tc.wrap, tc.classes...)
		})
	}
}

// The report's table: one line per class and a total.
func TestReportTable(t *testing.T) {
	rep := &attack.Report{Results: []attack.Result{
		{Class: "a", Name: "1"}, {Class: "a", Name: "2", Problems: []string{"x"}},
		{Class: "b", Name: "3"}, {Class: "b", Name: "4", Skipped: "no key"},
	}}
	var b bytes.Buffer
	rep.WriteTable(&b)
	want := "a      tried    2  refused    1\n" +
		"b      tried    1  refused    1  (skipped 1)\n" +
		"total  tried    3  refused    2  (skipped 1)\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	if rep.OK() || len(rep.Failures()) != 1 {
		t.Errorf("OK %v, failures %d", rep.OK(), len(rep.Failures()))
	}
}

// Every case has a class, a unique name within it and a request.
func TestCasesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range attack.Cases() {
		if c.Class == "" || c.Name == "" || c.Req == nil || c.Want.Status == 0 {
			t.Errorf("incomplete case %q / %q", c.Class, c.Name)
		}
		if seen[c.Class+"/"+c.Name] {
			t.Errorf("duplicate case %q / %q", c.Class, c.Name)
		}
		seen[c.Class+"/"+c.Name] = true
	}
}

// PersistSnapshot sees every new blob of the local KV (a put), and neither
// a blob that went away (miniflare's expiry) nor SQLite's files.
func TestPersistSnapshot(t *testing.T) {
	dir := t.TempDir()
	ns := filepath.Join(dir, "v3", "kv", "ns")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string) { must(os.WriteFile(filepath.Join(ns, name), []byte(name), 0o644)) }
	must(os.MkdirAll(filepath.Join(ns, "blobs"), 0o755))
	write("blobs/1")
	write("db.sqlite")
	snap := attack.PersistSnapshot(dir)
	last := snap()
	if len(last) != 1 {
		t.Fatalf("snapshot %v: want the one blob", last)
	}
	for _, step := range []struct {
		do      func()
		changed bool
		wrong   string
	}{
		{func() { write("db.sqlite-wal") }, false, "a change of SQLite's files counted"},
		{func() { write("blobs/2") }, true, "a new blob was not seen"},
		{func() { must(os.Remove(filepath.Join(ns, "blobs", "1"))) }, false, "a removed blob counted (miniflare removes expired keys by itself)"},
		{func() { must(os.RemoveAll(filepath.Join(dir, "v3"))) }, true, "a missing directory went unnoticed"},
	} {
		step.do()
		now := snap()
		if maps.Equal(last, now) == step.changed {
			t.Error(step.wrong)
		}
		last = now
	}
}

// A snapshot that sees nothing is refused before any case runs.
func TestBlindSnapshotRefused(t *testing.T) {
	target := inProcess(t, nil)
	target.Snapshot = func() map[string]string { return map[string]string{} }
	_, err := attack.Run(context.Background(), target, attack.Cases()[:1])
	if err == nil || !strings.Contains(err.Error(), "Snapshot") {
		t.Fatalf("Run with a blind snapshot: %v", err)
	}
}
