package board_test

import (
	"syscall"
	"unsafe"
)

// threadCPU is the CPU time the calling OS thread has used, in
// nanoseconds, or -1 when it cannot be read. It asks for
// CLOCK_THREAD_CPUTIME_ID, which the scheduler keeps to the nanosecond
// (getrusage counts whole ticks).
func threadCPU() int64 {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID, Linux
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return -1
	}
	return ts.Nano()
}
