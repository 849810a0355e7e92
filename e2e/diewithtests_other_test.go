//go:build !linux

package e2e

import "os/exec"

// dieWithTests is a no-op where the kernel cannot tie a child's life to its parent's.
func dieWithTests(*exec.Cmd) {}
