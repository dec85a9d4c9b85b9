package snapshot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds Read the testdata files and their mutations. Whatever the
// input, Read returns documents Observe can read, or a *FileError naming
// the file and no documents.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json*")
	bad, _ := filepath.Glob("testdata/bad/*.json")
	for _, p := range append(files, bad...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	o := ReadOptions{Account: "111122223333", Region: "us-east-1", Bucket: "b", TakenAt: testTakenAt}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Read("fuzz.json", data, o)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != "fuzz.json" {
				t.Fatalf("error %T %v, want a *FileError for fuzz.json", err, err)
			}
			if docs != nil {
				t.Fatalf("documents with an error")
			}
			if fe.Offset < 0 || fe.Offset > int64(len(data)) {
				t.Fatalf("offset %d outside the input (%d bytes)", fe.Offset, len(data))
			}
			return
		}
		for _, d := range docs {
			if _, err := Observe(d); err != nil && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("Read accepted a document Observe rejects: %v", err)
			}
		}
	})
}
