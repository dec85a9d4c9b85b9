package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
)

func testFinding(id string) *finding.Finding {
	return &finding.Finding{
		ID:        id,
		RuleID:    "aws-root-login",
		RuleTitle: "Root console login",
		Severity:  finding.High,
		Tags:      []string{"iam"},
		EventID:   "ev-" + id,
		EventTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Account:   "123456789012",
		Region:    "us-east-1",
		Resources: []string{},
		Summary:   "root <signed> in & out",
		Event:     json.RawMessage(`{"eventID":"ev-` + id + `"}`),
	}
}

func TestWriteReadRewriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "deadletter.jsonl")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	want := []Entry{
		{Time: at, Kind: KindFinding, Output: "slack", Error: "HTTP 400: invalid_payload", Attempts: 1, Origin: "s3://b/k", Finding: testFinding("a")},
		{Time: at, Kind: KindRecord, Error: "decode record 3: unexpected EOF", Origin: "/logs/x.json.gz", Record: json.RawMessage(`{"eventID":"x"}`)},
		{Time: at, Kind: KindFinding, Output: "webhook", Error: "HTTP 503", Attempts: 6, Finding: testFinding("b")},
	}
	for _, e := range want {
		if err := d.Write(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Write(t.Context(), want[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}

	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Read (-want +got):\n%s", diff)
	}

	// Replay keeps only what still fails.
	if err := Rewrite(path, want[1:2]); err != nil {
		t.Fatal(err)
	}
	got, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:2], got); diff != "" {
		t.Fatalf("after Rewrite (-want +got):\n%s", diff)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("after Rewrite: stat = %v, %v; want mode 0600", st, err)
	}
	if err := Rewrite(path, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(path); err != nil || len(got) != 0 {
		t.Errorf("after empty Rewrite: Read = %v, %v", got, err)
	}
	// No temporary files are left behind (the lock file stays, by design).
	files, _ := os.ReadDir(filepath.Dir(path))
	for _, f := range files {
		if f.Name() != filepath.Base(path) && f.Name() != filepath.Base(path)+".lock" {
			t.Errorf("leftover file %s", f.Name())
		}
	}

	// Reopening appends.
	d, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Write(t.Context(), want[2]); err != nil {
		t.Fatal(err)
	}
	if got, err := Read(path); err != nil || len(got) != 1 {
		t.Errorf("after reopen: Read = %d entries, %v", len(got), err)
	}
}

func TestWriteSetsTimeAndValidates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.jsonl")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before := time.Now()
	if err := d.Write(t.Context(), Entry{Kind: KindRecord, Error: "bad"}); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]Entry{
		"unknown kind":         {Kind: "other"},
		"finding without data": {Kind: KindFinding},
	} {
		if err := d.Write(t.Context(), e); err == nil {
			t.Errorf("%s: Write succeeded", name)
		}
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Time.Before(before.Add(-time.Second)) {
		t.Fatalf("Read = %+v, want one entry with the time set", got)
	}
}

func TestWriteCanceledContext(t *testing.T) {
	d, err := Open(filepath.Join(t.TempDir(), "dl.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := d.Write(ctx, Entry{Kind: KindRecord}); err == nil {
		t.Fatal("Write with a canceled context succeeded")
	}
}

func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.jsonl")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := Entry{Kind: KindFinding, Output: "o", Error: strings.Repeat("x", 5000), Finding: testFinding(string(rune('a'+w)) + string(rune('a'+i)))}
				if err := d.Write(t.Context(), e); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != writers*each {
		t.Fatalf("Read %d entries, want %d", len(got), writers*each)
	}
}

func TestReadErrors(t *testing.T) {
	good := `{"time":"2025-01-01T00:00:00Z","kind":"record","error":"x"}`
	tests := []struct {
		name     string
		content  string
		wantLine int // 0: no LineError expected
		wantN    int
	}{
		{name: "valid with blank lines", content: good + "\n\n" + good + "\n", wantN: 2},
		{name: "valid without final newline", content: good + "\n" + good, wantN: 2},
		{name: "corrupt middle line", content: good + "\n{not json\n" + good + "\n", wantLine: 2},
		{name: "torn last line", content: good + "\n" + good + "\n" + good[:20], wantLine: 3},
		{name: "unknown kind", content: good + "\n" + `{"kind":"mystery"}` + "\n", wantLine: 2},
		{name: "finding kind without finding", content: `{"kind":"finding","error":"x"}` + "\n", wantLine: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dl.jsonl")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := Read(path)
			if tt.wantLine == 0 {
				if err != nil || len(got) != tt.wantN {
					t.Fatalf("Read = %d entries, %v; want %d, nil", len(got), err, tt.wantN)
				}
				return
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("Read error = %v, want *LineError", err)
			}
			if le.Line != tt.wantLine || le.Path != path {
				t.Errorf("LineError at %s:%d, want %s:%d", le.Path, le.Line, path, tt.wantLine)
			}
			if want := path + ":" + strconv.Itoa(tt.wantLine) + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}

	if _, err := Read(filepath.Join(t.TempDir(), "missing.jsonl")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestOpenTerminatesTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.jsonl")
	good := `{"time":"2025-01-01T00:00:00Z","kind":"record","error":"x"}`
	if err := os.WriteFile(path, []byte(good+"\n"+`{"kind":"rec`), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(t.Context(), Entry{Kind: KindRecord, Error: "y"}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	_, err = Read(path)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Fatalf("Read = %v, want the torn line 2 reported", err)
	}
	// The entry written after the torn line is intact on a line of its own.
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !json.Valid([]byte(lines[2])) {
		t.Fatalf("file lines = %q", lines)
	}
}

func TestLockExcludesWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dl.jsonl")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path); !errors.Is(err, ErrBusy) {
		t.Fatalf("Lock with a writer open: err = %v, want ErrBusy", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after Close: %v", err)
	}
	unlock()
	// Several writers share the file.
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
}
