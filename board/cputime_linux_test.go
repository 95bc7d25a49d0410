package board_test

import "syscall"

// threadCPU is the CPU time the calling OS thread has used, in
// nanoseconds (getrusage RUSAGE_THREAD), or -1 when it cannot be read.
func threadCPU() int64 {
	const rusageThread = 1 // RUSAGE_THREAD, Linux only
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
