// Package jsonl holds what the JSON Lines files trailwarden appends to (the
// findings file output, the dead-letter file) share.
package jsonl

import "os"

// Terminate appends a newline to f when it is not empty and does not end in
// one — the torn last line of a write cut short by a crash — so that the next
// line starts on a line of its own. It returns the resulting size.
func Terminate(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	if size == 0 {
		return 0, nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return 0, err
	}
	if last[0] == '\n' {
		return size, nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return 0, err
	}
	return size + 1, nil
}
