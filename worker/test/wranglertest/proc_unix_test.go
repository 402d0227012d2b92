//go:build !js && unix

package wranglertest

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// inspected tells the workerd that runs the worker (started with
// --inspector-addr) from the one that runs wrangler's proxy, by the
// process's command line: an argument that only starts with the flag's
// name counts, one that merely contains it does not.
func TestInspectedReadsTheCommandLine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/PID/cmdline is Linux's")
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"-c", "sleep 30; :", "workerd", "serve", "-", "--inspector-addr=localhost:0"}, true},
		{[]string{"-c", "sleep 30; :", "workerd", "serve", "--socket-addr=entry=localhost:8787"}, false},
		{[]string{"-c", "sleep 30; :", "workerd", "x--inspector-addr=y"}, false},
	} {
		cmd := exec.Command("/bin/sh", tc.args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Until the child has exec'd, its command line is this test's.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)); strings.HasPrefix(string(b), "/bin/sh\x00") {
				break
			}
		}
		got := inspected(cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		if got != tc.want {
			t.Errorf("inspected(%q) = %v, want %v", tc.args[2:], got, tc.want)
		}
	}
	if inspected(os.Getpid()) {
		t.Error("the test's own process counted as inspected")
	}
}
