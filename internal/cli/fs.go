package cli

import (
	"io/fs"
	"time"
)

// singleFileFS exposes one file of a directory as a tree holding only it.
type singleFileFS struct {
	dir  fs.FS
	name string
}

func (s singleFileFS) Open(name string) (fs.File, error) {
	switch name {
	case ".":
		return &rootDir{s}, nil
	case s.name:
		return s.dir.Open(name)
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// ReadDir lists the one file.
func (s singleFileFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if name != "." {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	st, err := fs.Stat(s.dir, s.name)
	if err != nil {
		return nil, err
	}
	return []fs.DirEntry{fs.FileInfoToDirEntry(st)}, nil
}

type rootDir struct{ s singleFileFS }

func (d *rootDir) Stat() (fs.FileInfo, error) { return dirInfo{}, nil }
func (d *rootDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: fs.ErrInvalid}
}
func (d *rootDir) Close() error { return nil }
func (d *rootDir) ReadDir(int) ([]fs.DirEntry, error) {
	return d.s.ReadDir(".")
}

type dirInfo struct{}

func (dirInfo) Name() string       { return "." }
func (dirInfo) Size() int64        { return 0 }
func (dirInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (dirInfo) ModTime() time.Time { return time.Time{} }
func (dirInfo) IsDir() bool        { return true }
func (dirInfo) Sys() any           { return nil }
