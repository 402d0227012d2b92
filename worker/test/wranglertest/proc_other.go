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

func processCPU(pgid int, comm string) (time.Duration, error) { return 0, errUnsupported }

func processRSS(pgid int, comm string) (int64, error) { return 0, errUnsupported }
