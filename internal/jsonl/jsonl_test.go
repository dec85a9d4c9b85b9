package jsonl

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTerminate(t *testing.T) {
	for _, c := range []struct{ in, want string }{{"", ""}, {"{}\n", "{}\n"}, {"{}\n{\"a\":", "{}\n{\"a\":\n"}} {
		p := filepath.Join(t.TempDir(), "f.jsonl")
		os.WriteFile(p, []byte(c.in), 0o600)
		f, err := os.OpenFile(p, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		size, err := Terminate(f)
		f.Close()
		got, _ := os.ReadFile(p)
		if err != nil || string(got) != c.want || size != int64(len(c.want)) {
			t.Errorf("Terminate(%q) = %q, %d, %v", c.in, got, size, err)
		}
	}
}
