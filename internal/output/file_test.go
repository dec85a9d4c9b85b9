package output

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// readFindings decodes a JSON Lines file of findings.
func readFindings(t *testing.T, path string) []*finding.Finding {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []*finding.Finding
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var f finding.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, &f)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFileContents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out", "findings.jsonl")
	o, err := NewFile("audit", path)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name() != "audit" || o.Path() != path {
		t.Errorf("Name, Path = %q, %q", o.Name(), o.Path())
	}
	want := []*finding.Finding{newFinding(1, finding.High), newFinding(2, finding.Low), newFinding(3, finding.Critical), newFinding(4, finding.Info)}
	if err := o.Send(t.Context(), want[0]); err != nil {
		t.Fatal(err)
	}
	if err := o.SendBatch(t.Context(), want[1:]); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, readFindings(t, path)); diff != "" {
		t.Errorf("file contents (-want +got):\n%s", diff)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	if err := o.Send(t.Context(), want[0]); !errors.Is(err, ErrClosed) || !IsPermanent(err) {
		t.Errorf("Send after Close = %v, want permanent ErrClosed", err)
	}
	if err := o.Close(t.Context()); err != nil {
		t.Errorf("second Close = %v", err)
	}

	// Reopening appends after what is there.
	o, err = NewFile("", path)
	if err != nil {
		t.Fatal(err)
	}
	if o.Name() != "file" {
		t.Errorf("default Name = %q", o.Name())
	}
	if err := o.Send(t.Context(), newFinding(5, finding.Medium)); err != nil {
		t.Fatal(err)
	}
	o.Close(t.Context())
	if got := readFindings(t, path); len(got) != 5 {
		t.Errorf("after reopen: %d findings, want 5", len(got))
	}
}

func TestFileBatchPartialFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "findings.jsonl")
	o, err := NewFile("file", path)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close(t.Context())
	bad := newFinding(2, finding.High)
	bad.Event = json.RawMessage(`{"truncated":`)
	batch := []*finding.Finding{newFinding(1, finding.High), bad, newFinding(3, finding.High)}

	err = o.SendBatch(t.Context(), batch)
	var be *BatchError
	if !errors.As(err, &be) || len(be.Errs) != 3 {
		t.Fatalf("SendBatch = %v, want a *BatchError for 3 findings", err)
	}
	if be.Errs[0] != nil || be.Errs[2] != nil || !IsPermanent(be.Errs[1]) {
		t.Errorf("per-finding errors = %v, want only the second, permanent", be.Errs)
	}
	got := readFindings(t, path)
	if len(got) != 2 || got[0].ID != batch[0].ID || got[1].ID != batch[2].ID {
		t.Errorf("file holds %d findings, want the two good ones", len(got))
	}
	if err := o.Send(t.Context(), bad); !IsPermanent(err) {
		t.Errorf("Send(bad) = %v, want permanent", err)
	}
}

func TestFileTerminatesTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "findings.jsonl")
	if err := os.WriteFile(path, []byte(`{"id":"torn","rule_`), 0o600); err != nil {
		t.Fatal(err)
	}
	o, err := NewFile("file", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Send(t.Context(), newFinding(1, finding.High)); err != nil {
		t.Fatal(err)
	}
	o.Close(t.Context())
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2 || !json.Valid([]byte(lines[1])) {
		t.Errorf("new finding not on a line of its own: %q", lines)
	}
}

func TestFileOpenErrors(t *testing.T) {
	if _, err := NewFile("file", ""); err == nil {
		t.Error("NewFile with no path succeeded")
	}
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFile("file", filepath.Join(blocker, "findings.jsonl")); err == nil {
		t.Error("NewFile under a regular file succeeded")
	}
}
