//go:build !js && unix

package wranglertest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func setOwnProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// startWatcher starts a shell, outside wrangler's process group, that waits for
// its stdin to close, then ends the group and removes the dirs in cleanup.
// This process keeps the write end of that pipe open (and never writes), so the
// pipe closes exactly when this process exits, however it exits. stop kills the
// watcher first.
func startWatcher(pgid int, cleanup []string) (*exec.Cmd, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	// Plain "kill -SIG -PGID": dash, Debian's /bin/sh, takes no "--".
	script := fmt.Sprintf(`read -r _; kill -TERM -%d 2>/dev/null; sleep 5; kill -KILL -%d 2>/dev/null; sleep 1; rm -rf "$@"`, pgid, pgid)
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "wranglertest-watcher"}, cleanup...)...)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, nil, err
	}
	r.Close()
	return cmd, w, nil
}

// killGroup sends SIGTERM to the process group, waits up to grace for it to
// be gone, then sends SIGKILL and waits 5 s more.
func killGroup(pgid int, leaderDone <-chan struct{}, grace time.Duration) error {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if err := syscall.Kill(-pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("wranglertest: %v to process group %d: %w", sig, pgid, err)
		}
		if waitGroupGone(pgid, leaderDone, grace) {
			return nil
		}
		grace = 5 * time.Second
	}
	return fmt.Errorf("wranglertest: process group %d still has processes after SIGKILL: %v", pgid, groupMembers(pgid))
}

// waitGroupGone waits up to d for the group to have no live process and its
// leader to be reaped (by the goroutine waiting for it).
func waitGroupGone(pgid int, leaderDone <-chan struct{}, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for len(groupMembers(pgid)) > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-leaderDone:
		return true
	case <-time.After(time.Until(deadline)):
		return false
	}
}

// groupMembers lists the live (not zombie) processes of process group pgid.
// Where /proc is missing it answers from kill(-pgid, 0), which also counts
// zombies.
func groupMembers(pgid int) []int {
	stats, err := processes()
	if err != nil {
		if syscall.Kill(-pgid, 0) == nil {
			return []int{-pgid}
		}
		return nil
	}
	var pids []int
	for pid, st := range stats {
		if st.pgrp == pgid && st.state != "Z" && st.state != "X" {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids
}

// processes reads /proc/PID/stat of every process, by pid.
func processes() (map[int]procStat, error) {
	entries, err := os.ReadDir("/proc")
	out := map[int]procStat{}
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			if st, ok := readStat(pid); ok {
				out[pid] = st
			}
		}
	}
	return out, err
}

type procStat struct {
	comm       string // the executable's name, as /proc/PID/stat has it
	state      string
	ppid, pgrp int
	cpu        time.Duration // user + system time
}

// clockTicks is the kernel's USER_HZ, in which /proc/PID/stat counts CPU
// time: 100 on every Linux ABI Go runs on.
const clockTicks = 100

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	pgrp, _ := strconv.Atoi(f[2])
	st := procStat{state: f[0], ppid: ppid, pgrp: pgrp}
	if j := strings.IndexByte(s, '('); j >= 0 && j < i {
		st.comm = s[j+1 : i]
	}
	if len(f) > 12 { // utime and stime are fields 14 and 15 of the line
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		st.cpu = time.Duration(utime+stime) * time.Second / clockTicks
	}
	return st, true
}

// groupUsage sums the CPU time (/proc/PID/stat) and VmRSS (/proc/PID/status)
// of the processes of group pgid named comm, and apart the CPU of those among
// them started with an inspector (Usage.Isolate); it fails when it could
// read them of none.
func groupUsage(pgid int, comm string) (Usage, error) {
	var u Usage
	n := 0
	for _, pid := range groupMembers(pgid) {
		st, ok := readStat(pid)
		if !ok || st.comm != comm {
			continue
		}
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		_, rss, _ := strings.Cut(string(b), "\nVmRSS:") // "  45828 kB"
		var kb int64
		if _, err := fmt.Sscan(rss, &kb); err != nil {
			continue
		}
		u.CPU += st.cpu
		u.RSS += kb << 10
		if inspected(pid) {
			u.Isolate += st.cpu
			u.Isolates++
		}
		n++
	}
	if n == 0 {
		return u, fmt.Errorf("wranglertest: no %s process in group %d", comm, pgid)
	}
	return u, nil
}

// inspected reports whether process pid was started with an inspector
// (--inspector-addr in /proc/PID/cmdline): under wrangler dev, the workerd
// that runs the worker's isolate (and the local KV it calls), not the one
// that runs wrangler's proxy in front of it.
func inspected(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	for _, arg := range strings.Split(string(b), "\x00") {
		if strings.HasPrefix(arg, "--inspector-addr") {
			return true
		}
	}
	return false
}
