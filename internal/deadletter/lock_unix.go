//go:build unix

package deadletter

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockFile takes an advisory lock on path+".lock": shared for writers (any
// number of scans may append), exclusive for Rewrite's callers. With nowait
// a busy lock fails at once with ErrBusy.
func lockFile(path string, exclusive, nowait bool) (func() error, error) {
	lf, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock dead-letter file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if nowait {
		how |= syscall.LOCK_NB
	}
	if err := syscall.Flock(int(lf.Fd()), how); err != nil {
		lf.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock dead-letter file %s: %w", path, ErrBusy)
		}
		return nil, fmt.Errorf("lock dead-letter file %s: %w", path, err)
	}
	return lf.Close, nil // closing the descriptor releases the lock
}
