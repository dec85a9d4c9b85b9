//go:build !unix

package deadletter

// lockFile is a no-op where flock is not available.
func lockFile(string, bool, bool) (func() error, error) { return func() error { return nil }, nil }
