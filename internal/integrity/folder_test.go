package integrity_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// folderTree writes files (by slash key) under a new folder.
func folderTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for k, v := range files {
		p := filepath.Join(root, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFolderList(t *testing.T) {
	root := folderTree(t, map[string]string{
		"a/x": "1", "a-b/x": "22", "a.b": "333", "b": "4", "b.sig": "ab", "c/d/e/f": "5",
	})
	outside := folderTree(t, map[string]string{"secret": "s"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "link-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b", filepath.Join(root, "link-in")); err != nil {
		t.Fatal(err)
	}
	objs := integrity.NewFolder(root)
	tests := []struct {
		prefix string
		want   []integrity.ObjectInfo
	}{
		// Lexical key order: "a-b/" < "a.b" < "a/"; sidecars and links
		// out of the folder are left out.
		{"", []integrity.ObjectInfo{{Key: "a-b/x", Size: 2}, {Key: "a.b", Size: 3}, {Key: "a/x", Size: 1},
			{Key: "b", Size: 1}, {Key: "c/d/e/f", Size: 1}, {Key: "link-in", Size: 1}}},
		{"a", []integrity.ObjectInfo{{Key: "a-b/x", Size: 2}, {Key: "a.b", Size: 3}, {Key: "a/x", Size: 1}}},
		{"a/", []integrity.ObjectInfo{{Key: "a/x", Size: 1}}},
		{"c/d/", []integrity.ObjectInfo{{Key: "c/d/e/f", Size: 1}}},
		{"c/d/e/f", []integrity.ObjectInfo{{Key: "c/d/e/f", Size: 1}}},
		{"missing/", nil},
		{"../", nil},
	}
	for _, tt := range tests {
		var got []integrity.ObjectInfo
		err := objs.List(t.Context(), tt.prefix, func(o integrity.ObjectInfo) error {
			got = append(got, o)
			return nil
		})
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("List(%q) (-want +got):\n%s", tt.prefix, diff)
		}
	}

	stop := errors.New("stop")
	n := 0
	if err := objs.List(t.Context(), "", func(integrity.ObjectInfo) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("fn's error: %v after %d calls", err, n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := objs.List(ctx, "", func(integrity.ObjectInfo) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := integrity.NewFolder(filepath.Join(root, "nope")).List(t.Context(), "", func(integrity.ObjectInfo) error { return nil }); err == nil {
		t.Error("a missing folder lists")
	}
}

func TestFolderOpenAndSignature(t *testing.T) {
	root := folderTree(t, map[string]string{
		"d/digest.json.gz": "digest", "d/digest.json.gz.sig": "  0a1b2c\n",
		"d/empty.json.gz": "digest", "d/empty.json.gz.sig": "\n",
		"d/unsigned.json.gz": "digest",
	})
	outside := folderTree(t, map[string]string{"secret": "s", "secret.sig": "ff"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "d", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.sig"), filepath.Join(root, "d", "link.sig")); err != nil {
		t.Fatal(err)
	}
	objs := integrity.NewFolder(root)
	ctx := t.Context()

	body, err := objs.Open(ctx, "d/digest.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if string(data) != "digest" {
		t.Errorf("Open: %q", data)
	}
	for key, want := range map[string]error{
		"d/missing":   fs.ErrNotExist,
		"d":           fs.ErrNotExist, // a folder is no object
		"../secret":   fs.ErrInvalid,
		"/etc/passwd": fs.ErrInvalid,
		"d/../../x":   fs.ErrInvalid,
		"d//digest":   fs.ErrInvalid,
		`d\..\..\x`:   fs.ErrInvalid,
		"":            fs.ErrInvalid,
	} {
		if _, err := objs.Open(ctx, key); !errors.Is(err, want) {
			t.Errorf("Open(%q): %v, want %v", key, err, want)
		}
	}
	if _, err := objs.Open(ctx, "d/link"); err == nil {
		t.Error("Open follows a link out of the folder")
	}

	if sig, err := objs.Signature(ctx, "d/digest.json.gz"); err != nil || sig != "0a1b2c" {
		t.Errorf("Signature = %q, %v", sig, err)
	}
	for _, key := range []string{"d/unsigned.json.gz", "d/empty.json.gz", "d/missing.json.gz"} {
		if _, err := objs.Signature(ctx, key); !errors.Is(err, integrity.ErrNoSignature) {
			t.Errorf("Signature(%q): %v, want ErrNoSignature", key, err)
		}
	}
	if _, err := objs.Signature(ctx, "../secret"); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Signature(../secret): %v", err)
	}
	if _, err := objs.Signature(ctx, "d/link"); err == nil || errors.Is(err, integrity.ErrNoSignature) {
		t.Errorf("Signature through a link out of the folder: %v", err)
	}
}
