package stripetest

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startDyingWithParent starts cmd so that the kernel kills it when the test binary
// exits, however it exits: a binary whose TestMain does not call StopMock, or that go
// test kills on -timeout, leaves no stripe-mock behind.
//
// The parent-death signal is sent when the thread that started the child exits, not
// the process. The Go runtime ends a thread only when a goroutine locked to it exits
// still locked; locking the thread for the start means the child is started from one
// the runtime keeps, unless the caller itself holds a lock it never releases.
func startDyingWithParent(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return cmd.Start()
}
