package integrity

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DownloadOptions selects what Download copies and how.
type DownloadOptions struct {
	// Start and End bound the files by the day folder of their key
	// (YYYY/MM/DD, UTC), widened by one day on each side so the digests
	// that cover the edges of the range (a digest lands in the folder of
	// the hour it ends) come along. Zero values leave that side open.
	Start, End time.Time
	// Accounts and Regions keep only those accounts and regions; empty
	// keeps all.
	Accounts, Regions []string
	// Parallel is how many objects are fetched at once: 8 when zero,
	// at most 64.
	Parallel int
}

// DownloadStats counts what Download did.
type DownloadStats struct {
	Listed      int   // objects listed under the prefix
	Ignored     int   // not a digest, log or insight file, or outside the filters
	Downloaded  int   // files written (a digest and its signature count once)
	Skipped     int   // already present with the listed size
	NoSignature int   // digests S3 holds without signature metadata: no sidecar written
	Failed      int   // objects not copied; see the error
	Bytes       int64 // bytes written, signatures included
}

// ErrUnsafeKey means an object key cannot be a file under the destination
// folder: it is absolute, holds "..", "." or empty segments, a backslash or
// a NUL. The object is not copied; the others are.
var ErrUnsafeKey = errors.New("key is not a safe relative path")

// maxDownloadErrors bounds how many per-object errors Download returns.
const maxDownloadErrors = 10

// Download copies the digests, log files and insight files under prefix
// from objs into dir, at their keys, so that dir stands for the bucket and
// Verify over it gives the verdicts it gives over objs: every object Verify
// would read is copied (anything under CloudTrail/<region>/ is a log file
// to it), and each digest's signature goes to a "<key>.sig" sidecar.
// Files are written to a temporary folder and renamed into place, so an
// interrupted run leaves no partial file under a real name; a file already
// present with the listed size is not fetched again, so a rerun resumes.
// Nothing is written outside dir: unsafe keys are refused with ErrUnsafeKey
// (folder markers, keys ending in "/", are passed over) and symbolic links
// leading out of dir are not followed.
//
// A failure on one object does not stop the others: Download returns the
// stats and the per-object errors joined (the first few, then a count).
// Cancelling ctx stops it and returns ctx's error.
func Download(ctx context.Context, objs Objects, prefix, dir string, opts DownloadOptions) (DownloadStats, error) {
	var st DownloadStats
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return st, fmt.Errorf("download: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return st, fmt.Errorf("download: %w", err)
	}
	defer root.Close()
	// Files are written in a folder of this run's own, outside CloudTrail's
	// layout (so that neither Verify nor a concurrent run sees them), and
	// renamed into place.
	tmp := ".trailwarden-download-" + randomHex()
	if err := root.Mkdir(tmp, 0o700); err != nil {
		return st, fmt.Errorf("download: %w", err)
	}
	defer root.RemoveAll(tmp)
	d := &downloader{objs: objs, root: root, tmp: tmp, opts: opts}

	n := opts.Parallel
	if n <= 0 {
		n = 8
	}
	n = min(n, 64)
	jobs := make(chan ObjectInfo)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for o := range jobs {
				d.record(o.Key, d.copy(ctx, o))
			}
		})
	}
	listErr := objs.List(ctx, prefix, func(o ObjectInfo) error {
		d.count(func(s *DownloadStats) { s.Listed++ })
		if strings.HasSuffix(o.Key, "/") { // a folder marker
			d.count(func(s *DownloadStats) { s.Ignored++ })
			return nil
		}
		// Checked before the kind: a trail prefix holds only CloudTrail's
		// objects, so a key that cannot be a file is tampering or a
		// mistake, and is reported rather than passed over.
		if err := checkKey(o.Key); err != nil {
			d.record(o.Key, err)
			return nil
		}
		if !d.wanted(o.Key) {
			d.count(func(s *DownloadStats) { s.Ignored++ })
			return nil
		}
		select {
		case jobs <- o:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()

	d.mu.Lock()
	defer d.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return d.stats, fmt.Errorf("download: %w", err)
	}
	errs := d.errs
	if d.stats.Failed > len(errs) {
		errs = append(errs, fmt.Errorf("and %d more objects failed", d.stats.Failed-len(errs)))
	}
	if listErr != nil {
		errs = append([]error{fmt.Errorf("download: %w", listErr)}, errs...)
	}
	return d.stats, errors.Join(errs...)
}

// downloader is one Download's shared state.
type downloader struct {
	objs Objects
	root *os.Root
	tmp  string // the folder for files being written, in root
	opts DownloadOptions

	mu    sync.Mutex
	stats DownloadStats
	errs  []error
}

// record counts a failed object; nil (copied or skipped) was counted by
// copy itself.
func (d *downloader) record(key string, err error) {
	if err == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.Failed++
	if len(d.errs) < maxDownloadErrors {
		var pe *fs.PathError
		if !errors.As(err, &pe) {
			err = &fs.PathError{Op: "download", Path: key, Err: err}
		}
		d.errs = append(d.errs, err)
	}
}

// copy fetches one object, and for a digest its signature, unless present.
// The body comes first: S3 Objects then has the signature from the same
// GetObject (no second request, and the signature of the version copied).
func (d *downloader) copy(ctx context.Context, o ObjectInfo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := filepath.FromSlash(o.Key)
	have := d.present(name, o.Size)
	needSig := isDigestKey(o.Key) && !d.present(name+SignatureSuffix, -1)
	if have && !needSig {
		d.count(func(s *DownloadStats) { s.Skipped++ })
		return nil
	}
	if err := d.root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	var n int64
	if !have {
		rc, err := d.objs.Open(ctx, o.Key)
		if err != nil {
			return err
		}
		n, err = d.write(name, o.Size, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	wrote := !have
	if needSig {
		sig, err := d.objs.Signature(ctx, o.Key)
		switch {
		case errors.Is(err, ErrNoSignature):
			d.count(func(s *DownloadStats) { s.NoSignature++ })
		case err != nil:
			return err
		default:
			m, err := d.write(name+SignatureSuffix, -1, strings.NewReader(sig+"\n"))
			if err != nil {
				return err
			}
			n += m
			wrote = true
		}
	}
	if !wrote {
		d.count(func(s *DownloadStats) { s.Skipped++ })
		return nil
	}
	d.count(func(s *DownloadStats) { s.Downloaded++; s.Bytes += n })
	return nil
}

func (d *downloader) count(f func(*DownloadStats)) {
	d.mu.Lock()
	f(&d.stats)
	d.mu.Unlock()
}

// present reports whether name is a regular file of the given size (any
// non-empty size when size < 0). A symbolic link is not a file: it is
// replaced, never followed.
func (d *downloader) present(name string, size int64) bool {
	fi, err := d.root.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return (size < 0 && fi.Size() > 0) || fi.Size() == size
}

// write copies r to name through a temporary file and renames it into
// place. size >= 0 is the length r must have.
func (d *downloader) write(name string, size int64, r io.Reader) (int64, error) {
	tmp := filepath.Join(d.tmp, randomHex())
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("got %d bytes, listed %d (object replaced while copying?)", n, size)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.root.Rename(tmp, name)
	}
	if err != nil {
		d.root.Remove(tmp)
		return 0, &fs.PathError{Op: "write", Path: name, Err: err}
	}
	return n, nil
}

// wanted reports whether key is a file Verify reads (a digest or log file,
// as parseKey sees them) or an insight file, passing the filters. A key
// without a day folder passes the time filter: its time is unknown.
func (d *downloader) wanted(key string) bool {
	loc, ok := parseKey(key)
	if !ok {
		if loc, ok = parseInsightKey(key); !ok {
			return false
		}
	}
	if len(d.opts.Accounts) > 0 && !slices.Contains(d.opts.Accounts, loc.Account) {
		return false
	}
	if len(d.opts.Regions) > 0 && !slices.Contains(d.opts.Regions, loc.Region) {
		return false
	}
	if loc.Day.IsZero() {
		return true
	}
	const day = 24 * time.Hour
	if !d.opts.Start.IsZero() && loc.Day.Before(d.opts.Start.UTC().Truncate(day).Add(-day)) {
		return false
	}
	if !d.opts.End.IsZero() && loc.Day.After(d.opts.End.UTC().Truncate(day).Add(day)) {
		return false
	}
	return true
}

// parseInsightKey reads an Insights file key, which Verify does not check
// but a copy of the trail keeps:
// [prefix/]AWSLogs/[o-org/]<account>/CloudTrail-Insight/<region>/YYYY/MM/DD/<name>
func parseInsightKey(key string) (location, bool) {
	segs := strings.Split(key, "/")
	for j := 1; j+2 < len(segs); j++ {
		if segs[j] != "CloudTrail-Insight" || !isAccountID(segs[j-1]) || segs[j+1] == "" || segs[len(segs)-1] == "" {
			continue
		}
		l := location{Base: strings.Join(segs[:j], "/") + "/", Account: segs[j-1], Region: segs[j+1]}
		if rest := segs[j+2:]; len(rest) == 4 {
			l.Day, _ = time.Parse("2006/01/02", strings.Join(rest[:3], "/"))
		}
		return l, true
	}
	return location{}, false
}

// isDigestKey reports whether key is a digest, whose signature is copied.
func isDigestKey(key string) bool {
	loc, ok := parseKey(key)
	return ok && loc.Kind == KindDigest
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkKey refuses keys that would not land exactly at their own path under
// the destination.
func checkKey(key string) error {
	if strings.ContainsAny(key, "\\\x00") || path.Clean(key) != key || !filepath.IsLocal(filepath.FromSlash(key)) {
		return &fs.PathError{Op: "download", Path: key, Err: ErrUnsafeKey}
	}
	return nil
}
