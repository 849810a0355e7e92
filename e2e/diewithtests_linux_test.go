package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTests has the kernel kill cmd's process when the test binary dies without running its
// cleanups (a panicking test, -timeout, an interrupted go test).
func dieWithTests(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
