//go:build !js && !unix

package wranglertest

import (
	"errors"
	"os"
	"os/exec"
	"time"
)

var errUnsupported = errors.New("wranglertest: only supported on Unix (process groups)")

func setOwnProcessGroup(cmd *exec.Cmd) {}

func startWatcher(pgid int, cleanup []string) (*exec.Cmd, *os.File, error) {
	return nil, nil, errUnsupported
}

func killGroup(pgid int, leaderDone <-chan struct{}, grace time.Duration) error {
	return errUnsupported
}

func groupMembers(pgid int) []int { return nil }

func groupUsage(pgid int, comm string) (Usage, error) { return Usage{}, errUnsupported }
