//go:build unix

package store

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time, user and system, used by the process so far,
// and whether it is known. Benchmarks report work per CPU second besides
// work per second, since a shared machine makes wall time noisy.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
