//go:build !unix

package cli

// maxRSS is unknown on this platform.
func maxRSS() int64 { return 0 }
