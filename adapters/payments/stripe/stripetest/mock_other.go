//go:build !linux

package stripetest

import "os/exec"

// startDyingWithParent starts cmd. Only Linux has a parent-death signal: elsewhere a
// test binary that exits without calling StopMock leaves stripe-mock running.
func startDyingWithParent(cmd *exec.Cmd) error { return cmd.Start() }
