// Package deadletter keeps what trailwarden could not deliver or could not read:
// findings that an output refused or kept failing on, and input records that
// were quarantined. Entries are appended to a JSON Lines file, one entry per
// line, and each append is fsynced before Write returns, so an entry that was
// written survives a crash. The replay command reads the file back with Read,
// re-sends what it can and keeps the rest with Rewrite.
package deadletter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/jsonl"
)

// The entry kinds.
const (
	// KindFinding marks a finding that an output could not accept.
	KindFinding = "finding"
	// KindRecord marks an input record that was quarantined (undecodable,
	// invalid), kept raw in Entry.Record.
	KindRecord = "record"
)

// Entry is one dead-lettered item.
type Entry struct {
	// Time is when the entry was written. Write sets it to now when it is zero.
	Time time.Time `json:"time"`
	// Kind is KindFinding or KindRecord.
	Kind string `json:"kind"`
	// Output names the output that failed, for KindFinding.
	Output string `json:"output,omitempty"`
	// Error is the last error, as text.
	Error string `json:"error"`
	// Attempts is how many times delivery was tried.
	Attempts int `json:"attempts,omitempty"`
	// Origin names where the input came from (file, queue message).
	Origin string `json:"origin,omitempty"`
	// Finding is the undelivered finding, for KindFinding.
	Finding *finding.Finding `json:"finding,omitempty"`
	// Record is the raw quarantined record, for KindRecord, when it is
	// valid JSON.
	Record json.RawMessage `json:"record,omitempty"`
	// RecordBytes holds the quarantined record's exact bytes when they are
	// not valid JSON (base64 in the file).
	RecordBytes []byte `json:"record_bytes,omitempty"`
	// Index and Offset locate a quarantined record in its origin.
	Index  int   `json:"index,omitempty"`
	Offset int64 `json:"offset,omitempty"`
}

func (e *Entry) validate() error {
	switch e.Kind {
	case KindFinding:
		if e.Finding == nil {
			return errors.New("kind finding without a finding")
		}
	case KindRecord:
	default:
		return fmt.Errorf("unknown kind %q (want %q or %q)", e.Kind, KindFinding, KindRecord)
	}
	return nil
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("dead-letter file closed")

// File is an open dead-letter file. It is safe for concurrent use.
type File struct {
	path   string
	unlock func() error // releases the shared lock held while open

	mu     sync.Mutex
	f      *os.File
	size   int64 // bytes known to end in a complete line
	closed bool
}

// Open opens the dead-letter file at path for appending, creating it (mode
// 0600) and its parent directories (mode 0700) as needed. If a previous
// process died in the middle of a line, the torn line is terminated so that
// new entries start on a line of their own; Read reports the torn line.
func Open(path string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open dead-letter file: %w", err)
	}
	unlock, err := lockFile(path, false, false)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("open dead-letter file: %w", err)
	}
	size, err := terminateLastLine(f)
	if err != nil {
		f.Close()
		unlock()
		return nil, fmt.Errorf("open dead-letter file %s: %w", path, err)
	}
	return &File{path: path, unlock: unlock, f: f, size: size}, nil
}

// ErrBusy is returned by Lock when a writer (a running scan) has the file
// open: try again once it has finished.
var ErrBusy = errors.New("the dead-letter file is open in another process")

// Lock takes the exclusive lock that Rewrite's callers must hold from
// their Read to their Rewrite, so that no entry appended meanwhile by another
// process is lost. It fails at once with ErrBusy while a File is open on the
// path (in this process or another). Call the returned function to release.
func Lock(path string) (unlock func() error, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock dead-letter file: %w", err)
	}
	return lockFile(path, true, true)
}

// terminateLastLine ends a torn last line (see jsonl.Terminate), durably.
func terminateLastLine(f *os.File) (int64, error) {
	size, err := jsonl.Terminate(f)
	if err != nil {
		return 0, err
	}
	return size, f.Sync()
}

// Path returns the path the file was opened with.
func (d *File) Path() string { return d.path }

// Write appends e as one line and fsyncs the file before returning. A zero
// e.Time is set to the current time. ctx is checked before writing; the write
// itself is local and is not interrupted.
func (d *File) Write(ctx context.Context, e Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("write dead-letter entry: %w", err)
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if err := e.validate(); err != nil {
		return fmt.Errorf("write dead-letter entry: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&e); err != nil { // Encode adds the newline.
		return fmt.Errorf("encode dead-letter entry: %w", err)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if _, err := d.f.Write(buf.Bytes()); err != nil {
		// Cut off a partial line so the next entry starts cleanly.
		if terr := d.f.Truncate(d.size); terr != nil {
			err = errors.Join(err, fmt.Errorf("truncate partial line: %w", terr))
		}
		return fmt.Errorf("write dead-letter file %s: %w", d.path, err)
	}
	d.size += int64(buf.Len())
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("sync dead-letter file %s: %w", d.path, err)
	}
	return nil
}

// Close syncs and closes the file. Further Writes return ErrClosed; a second
// Close returns nil.
func (d *File) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return errors.Join(d.f.Sync(), d.f.Close(), d.unlock())
}

// LineError is a dead-letter line that could not be decoded.
type LineError struct {
	Path string
	Line int // 1-based
	Err  error
}

// Error returns "path:line: message".
func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: decode dead-letter entry: %v", e.Path, e.Line, e.Err)
}

// Unwrap returns the decoding error.
func (e *LineError) Unwrap() error { return e.Err }

// Read returns every entry in the dead-letter file at path, in file order.
// Blank lines are skipped. A line that is not a valid entry (including a line
// torn by a crash) stops reading with a *LineError naming the file and line.
// A missing file is an error that matches fs.ErrNotExist.
func Read(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read dead-letter file: %w", err)
	}
	defer f.Close()

	var entries []Entry
	r := bufio.NewReader(f) // not a Scanner: a finding with its raw event can exceed any fixed line limit
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var e Entry
			if derr := json.Unmarshal(b, &e); derr != nil {
				return nil, &LineError{Path: path, Line: line, Err: derr}
			}
			if verr := e.validate(); verr != nil {
				return nil, &LineError{Path: path, Line: line, Err: verr}
			}
			entries = append(entries, e)
		}
		if err == io.EOF {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read dead-letter file %s: %w", path, err)
		}
	}
}

// Rewrite atomically replaces the dead-letter file at path with keep: it
// writes a temporary file in the same directory, fsyncs it, renames it over
// path and fsyncs the directory. An empty keep leaves an empty file.
//
// Rewrite must not run while a File is open on the same path: that File
// would keep appending to the replaced file.
func Rewrite(path string, keep []Entry) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	w := bufio.NewWriter(tmp)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range keep {
		if err := keep[i].validate(); err != nil {
			return fmt.Errorf("rewrite dead-letter file: entry %d: %w", i, err)
		}
		if err := enc.Encode(&keep[i]); err != nil {
			return fmt.Errorf("rewrite dead-letter file: entry %d: %w", i, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rewrite dead-letter file: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		// Make the rename durable. Best effort: some filesystems refuse to sync a directory.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
