//go:build unix

package cli

import "syscall"

// maxRSS returns the process's peak resident set size in bytes (0 if unknown).
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss * 1024 // Linux reports KiB
}
