package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/jsonl"
)

// File appends findings as JSON Lines to a local file and fsyncs before
// reporting them accepted. It is safe for concurrent use.
//
// A finding that is redelivered is appended again: readers de-duplicate on
// the id field.
type File struct {
	name string
	path string

	mu     sync.Mutex
	f      *os.File
	size   int64 // length of the file up to the last complete line
	closed bool
}

var (
	_ Output      = (*File)(nil)
	_ BatchSender = (*File)(nil)
)

// NewFile opens path for appending, creating it with mode 0600 and its
// missing parent directories with mode 0700. name defaults to "file". A line
// torn by an earlier crash is terminated so that new findings start on a line
// of their own.
func NewFile(name, path string) (*File, error) {
	if path == "" {
		return nil, errors.New("file: missing path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	size, err := jsonl.Terminate(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file: %s: %w", path, err)
	}
	if name == "" {
		name = "file"
	}
	return &File{name: name, path: path, f: f, size: size}, nil
}

// Name returns the output's name.
func (o *File) Name() string { return o.name }

// Path returns the file's path.
func (o *File) Path() string { return o.path }

// Send appends f and fsyncs.
func (o *File) Send(ctx context.Context, f *finding.Finding) error {
	err := o.SendBatch(ctx, []*finding.Finding{f})
	if be, ok := err.(*BatchError); ok {
		return be.Errs[0]
	}
	return err
}

// SendBatch appends every finding of fs and fsyncs once. A finding that
// cannot be encoded fails alone (Permanent) inside a *BatchError; a write
// error fails the findings not yet written and keeps those before it; a
// failed fsync fails them all.
func (o *File) SendBatch(ctx context.Context, fs []*finding.Finding) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file: %w", err)
	}
	errs := make([]error, len(fs))
	var buf bytes.Buffer
	ends := make([]int, len(fs)) // ends[i]: buf length after finding i
	failed := false
	for i, f := range fs {
		b, err := encodeJSON(f)
		if err != nil {
			errs[i] = Permanent(fmt.Errorf("file: encode finding %s: %w", f.ID, err))
			failed = true
		} else {
			buf.Write(b)
		}
		ends[i] = buf.Len()
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return Permanent(fmt.Errorf("file %s: %w", o.name, ErrClosed))
	}
	if buf.Len() > 0 {
		n, err := o.f.Write(buf.Bytes())
		if err != nil {
			// Keep the complete lines that made it; cut the partial one off so
			// that the next write starts on a fresh line.
			keep := 0
			for _, e := range ends {
				if e <= n {
					keep = e
				}
			}
			werr := fmt.Errorf("file: write %s: %w", o.path, err)
			if terr := o.f.Truncate(o.size + int64(keep)); terr != nil {
				werr = errors.Join(werr, fmt.Errorf("truncate partial line: %w", terr))
				keep = 0 // the file's tail is unknown: report every finding as failed
			}
			for i := range fs {
				if errs[i] == nil && ends[i] > keep {
					errs[i] = werr
				}
			}
			failed = true
			n = keep
		}
		o.size += int64(n)
		if err := o.f.Sync(); err != nil {
			return fmt.Errorf("file: sync %s: %w", o.path, err)
		}
	}
	if failed {
		return &BatchError{Errs: errs}
	}
	return nil
}

// Close fsyncs and closes the file. Later Sends fail with ErrClosed; a second
// Close returns nil.
func (o *File) Close(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	if err := errors.Join(o.f.Sync(), o.f.Close()); err != nil {
		return fmt.Errorf("file: close %s: %w", o.path, err)
	}
	return nil
}
