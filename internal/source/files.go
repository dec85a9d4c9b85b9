package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Files is a finite Source over local files, folders (walked recursively,
// in lexical order) and standard input ("-").
type Files struct {
	list  []*Delivery
	next  int
	stdin io.Reader
	// Ignored lists files found in folders that are not CloudTrail data
	// (by extension); they are reported, not read.
	Ignored []string
	// TotalBytes is the sum of the sizes of the files to read.
	TotalBytes int64
}

var _ Source = (*Files)(nil)

// dataExt are the file name endings read when walking a folder. A file named
// on the command line is read whatever its name.
var dataExt = []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log"}

func isData(name string) bool {
	n := strings.ToLower(name)
	for _, e := range dataExt {
		if strings.HasSuffix(n, e) {
			return true
		}
	}
	return false
}

// NewFiles lists the deliveries under paths. stdin is read for "-".
func NewFiles(paths []string, stdin io.Reader) (*Files, error) {
	f := &Files{stdin: stdin}
	seen := map[string]bool{}
	for _, p := range paths {
		if p == "-" {
			if seen["-"] {
				return nil, errors.New("input: - (standard input) given more than once")
			}
			seen["-"] = true
			f.list = append(f.list, &Delivery{Origin: "-", Kind: LogFile, Open: func(context.Context) (io.ReadCloser, error) {
				return io.NopCloser(f.stdin), nil
			}})
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		if !st.IsDir() {
			f.add(p, st, seen)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("walk %s: %w", path, err)
			}
			if d.IsDir() {
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			if !isData(d.Name()) && KindOf(filepath.ToSlash(path)) != Digest {
				// Digest signatures (.sig sidecars) are part of the trail;
				// anything else is not CloudTrail data.
				f.Ignored = append(f.Ignored, path)
				return nil
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("input: %w", err)
		}
		sort.Strings(found)
		for _, path := range found {
			st, err := os.Stat(path) // follows links
			if err != nil {
				return nil, fmt.Errorf("input: %w", err)
			}
			if st.Mode().IsRegular() {
				f.add(path, st, seen)
			}
		}
	}
	return f, nil
}

func (f *Files) add(p string, st fs.FileInfo, seen map[string]bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	if seen[abs] {
		return
	}
	seen[abs] = true
	slash := filepath.ToSlash(abs)
	d := &Delivery{Origin: p, Key: abs, Kind: KindOf(slash), Size: st.Size(), ModTime: st.ModTime()}
	if l, ok := ParseLayout(slash); ok {
		d.Layout = l
	}
	d.Open = func(context.Context) (io.ReadCloser, error) {
		fh, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		return fh, nil
	}
	f.TotalBytes += st.Size()
	f.list = append(f.list, d)
}

// Len returns the number of deliveries listed.
func (f *Files) Len() int { return len(f.list) }

// Next implements Source.
func (f *Files) Next(ctx context.Context) (*Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.next >= len(f.list) {
		return nil, io.EOF
	}
	d := f.list[f.next]
	f.next++
	return d, nil
}

// Close implements Source.
func (f *Files) Close(context.Context) error { return nil }
