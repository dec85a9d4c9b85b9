package integrity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// maxDigestSize bounds an uncompressed digest file, which is read whole. A
// digest listing 10,000 log files is about 4 MB.
const maxDigestSize = 64 << 20

// content errors: what a file holds is wrong (a verdict on the file), as
// opposed to I/O errors (the file could not be read).
type contentError struct{ err error }

func (e *contentError) Error() string { return e.err.Error() }
func (e *contentError) Unwrap() error { return e.err }

// source counts and checks what is read from an object, and remembers the
// error of the object itself, to tell it apart from a gzip error.
type source struct {
	ctx context.Context
	r   io.Reader
	n   int64
	err error
}

func (s *source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

var gzipReaders sync.Pool // *gzip.Reader

// gunzip streams the uncompressed bytes of the object at key into w. It
// returns the number of compressed bytes read. A missing object is an error
// wrapping fs.ErrNotExist, content that is not gzip a *contentError, and
// anything else an I/O error.
func gunzip(ctx context.Context, objs Objects, key string, w io.Writer) (read int64, err error) {
	body, err := objs.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	src := &source{ctx: ctx, r: body}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	if zr == nil {
		zr = new(gzip.Reader)
	}
	defer gzipReaders.Put(zr)
	if err := zr.Reset(src); err != nil {
		return src.n, classify(src, err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		return src.n, classify(src, err)
	}
	return src.n, nil
}

// classify tells an error of the object (I/O, cancellation) from a gzip one.
func classify(src *source, err error) error {
	if src.err != nil {
		return src.err
	}
	var ce *contentError
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF // a gzip stream that ends early is truncated
	}
	return &contentError{fmt.Errorf("not valid gzip: %w", err)}
}

// counter is a hash.Hash-like sink that also counts.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

// logHash is the outcome of hashing one log file.
type logHash struct {
	sum  [sha256.Size]byte
	size int64 // uncompressed
	read int64 // compressed
	err  error // see gunzip
}

// hashLog streams one log file through gunzip into SHA-256.
func hashLog(ctx context.Context, objs Objects, key string) logHash {
	h := sha256.New()
	c := &counter{w: h}
	read, err := gunzip(ctx, objs, key, c)
	r := logHash{size: c.n, read: read, err: err}
	if err == nil {
		h.Sum(r.sum[:0])
	}
	return r
}

// limitWriter fails once more than n bytes are written.
type limitWriter struct {
	buf bytes.Buffer
	n   int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.buf.Len()+len(p) > l.n {
		return 0, &contentError{fmt.Errorf("larger than %d MiB uncompressed", l.n>>20)}
	}
	return l.buf.Write(p)
}

// readDigestFile returns the uncompressed bytes of the digest at key.
func readDigestFile(ctx context.Context, objs Objects, key string) ([]byte, error) {
	lw := &limitWriter{n: maxDigestSize}
	if _, err := gunzip(ctx, objs, key, lw); err != nil {
		return nil, err
	}
	return lw.buf.Bytes(), nil
}
