package integrity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// SignatureSuffix is appended to a digest's file name for the sidecar file
// that holds its signature on disk (S3 keeps it in x-amz-meta-signature).
const SignatureSuffix = ".sig"

// maxSignatureSize bounds a .sig sidecar (a 4096-bit signature is 1 KiB of hex).
const maxSignatureSize = 64 << 10

// Folder is a folder standing for a bucket's root: the object "AWSLogs/x"
// is the file root/AWSLogs/x. Digest signatures are read from
// "<key>.sig" sidecars, which List leaves out. Every access goes through an
// os.Root, so no key (nor symbolic link) reaches outside the folder.
type Folder struct {
	root string
}

var _ Objects = (*Folder)(nil)

// NewFolder returns the Objects of the folder root.
func NewFolder(root string) Objects { return &Folder{root: root} }

// errBadKey is wrapped by the errors of keys that are not clean relative
// paths inside the folder ("..", a leading '/', empty elements).
var errBadKey = fmt.Errorf("%w: key is not a clean path inside the folder", fs.ErrInvalid)

func checkFolderKey(op, key string) error {
	if key == "." || !fs.ValidPath(key) || strings.Contains(key, `\`) {
		return &fs.PathError{Op: op, Path: key, Err: errBadKey}
	}
	return nil
}

// List calls fn for every file under the folder whose key starts with
// prefix, in lexical key order, leaving out .sig sidecars.
func (f *Folder) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	root, err := os.OpenRoot(f.root)
	if err != nil {
		return err
	}
	defer root.Close()
	// Start in the deepest folder the prefix names in full.
	dir := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		dir = prefix[:i]
		if !fs.ValidPath(dir) {
			return nil // no key can start with it
		}
	}
	err = f.walk(ctx, root.FS(), dir, prefix, fn)
	if errors.Is(err, fs.ErrNotExist) && dir != "." {
		if _, serr := fs.Stat(root.FS(), dir); errors.Is(serr, fs.ErrNotExist) {
			return nil // nothing under the prefix
		}
	}
	return err
}

// walk lists dir in key order: its entries sorted by name, a folder's name
// taken with its trailing '/'.
func (f *Folder) walk(ctx context.Context, fsys fs.FS, dir, prefix string, fn func(ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	type item struct {
		name string // with '/' for a folder
		e    fs.DirEntry
	}
	items := make([]item, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		items = append(items, item{n, e})
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.name, b.name) })
	for _, it := range items {
		key := it.name
		if dir != "." {
			key = dir + "/" + it.name
		}
		if it.e.IsDir() {
			if strings.HasPrefix(key, prefix) || strings.HasPrefix(prefix, key) {
				if err := f.walk(ctx, fsys, strings.TrimSuffix(key, "/"), prefix, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(key, prefix) || strings.HasSuffix(key, SignatureSuffix) {
			continue
		}
		var info fs.FileInfo
		if it.e.Type().IsRegular() {
			info, err = it.e.Info()
		} else {
			info, err = fs.Stat(fsys, key) // follows links, inside the root only
		}
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		if err := fn(ObjectInfo{Key: key, Size: info.Size()}); err != nil {
			return err
		}
	}
	return nil
}

// Open opens the file at key.
func (f *Folder) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := checkFolderKey("open", key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(f.root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	file, err := root.Open(filepath.FromSlash(key))
	if err != nil {
		return nil, err
	}
	if info, err := file.Stat(); err != nil || !info.Mode().IsRegular() {
		file.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: key, Err: fs.ErrNotExist}
		}
		return nil, err
	}
	return file, nil
}

// Signature returns the hex in the sidecar "<key>.sig", trimmed of white
// space; ErrNoSignature when there is none or it is empty.
func (f *Folder) Signature(ctx context.Context, key string) (string, error) {
	if err := checkFolderKey("signature", key); err != nil {
		return "", err
	}
	body, err := f.Open(ctx, key+SignatureSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", key, ErrNoSignature)
	}
	if err != nil {
		return "", err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxSignatureSize+1))
	if err != nil {
		return "", fmt.Errorf("read signature of %s: %w", key, err)
	}
	if len(data) > maxSignatureSize {
		return "", fmt.Errorf("signature of %s: larger than %d bytes", key, maxSignatureSize)
	}
	sig := strings.TrimSpace(string(data))
	if sig == "" {
		return "", fmt.Errorf("%s: empty %s: %w", key, path.Base(key)+SignatureSuffix, ErrNoSignature)
	}
	return sig, nil
}
