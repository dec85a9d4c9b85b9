package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/source"
)

// readTree returns every file under root by its slash-separated relative path.
func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// genName is the name CloudTrail gives a log file:
// <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<unique>.json.gz
var genName = regexp.MustCompile(`^(\d{12})_CloudTrail_([a-z]{2}(?:-[a-z]+)+-\d)_(\d{4})(\d{2})(\d{2})T\d{4}Z_[A-Za-z0-9]+\.json\.gz$`)

func TestGen(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, out := range []string{a, b} {
		r := runCLI(t, "gen", "--events", "3000", "--seed", "5", "--out", out)
		r.wantCode(t, ExitOK)
		if !strings.HasPrefix(r.stdout, "wrote 3000 events (") {
			t.Errorf("stdout: %s", r.stdout)
		}
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) == 0 {
		t.Fatal("gen wrote no file")
	}
	if len(ta) != len(tb) {
		t.Errorf("%d files, then %d", len(ta), len(tb))
	}
	events := 0
	for name, data := range ta {
		if !bytes.Equal(data, tb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}

		// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_...json.gz
		l, ok := source.ParseLayout(name)
		if !ok || l.Kind != source.LogFile {
			t.Errorf("%s is not in the AWS CloudTrail key layout", name)
			continue
		}
		m := genName.FindStringSubmatch(filepath.Base(name))
		if m == nil {
			t.Errorf("%s: file name is not CloudTrail's", name)
			continue
		}
		if m[1] != l.Account || m[2] != l.Region || m[3]+"/"+m[4]+"/"+m[5] != l.Day.Format("2006/01/02") {
			t.Errorf("%s: the name's account, region or day is not its folder's", name)
		}

		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var lf struct {
			Records []struct {
				EventSource, AWSRegion, RecipientAccountID string
			}
		}
		if err := json.Unmarshal(raw, &lf); err != nil {
			t.Fatalf("%s: not a CloudTrail log file: %v", name, err)
		}
		for _, rec := range lf.Records {
			if rec.EventSource == "" || rec.AWSRegion != l.Region || rec.RecipientAccountID != l.Account {
				t.Errorf("%s: record %+v does not belong in this file", name, rec)
				break
			}
		}
		events += len(lf.Records)
	}
	if events != 3000 {
		t.Errorf("%d records in the files, want 3000", events)
	}

	// Another seed gives another dataset.
	c := filepath.Join(dir, "c")
	runCLI(t, "gen", "--events", "3000", "--seed", "6", "--out", c).wantCode(t, ExitOK)
	same := 0
	for name, data := range readTree(t, c) {
		if bytes.Equal(data, ta[name]) {
			same++
		}
	}
	if same == len(ta) {
		t.Error("seeds 5 and 6 wrote the same files")
	}
}

func TestDemo(t *testing.T) {
	home := isolate(t)
	r := runCLI(t, "demo", "--events", "2000")
	r.wantCode(t, ExitOK)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "SEVERITY") {
		t.Fatalf("want a table of findings on stdout:\n%s", r.stdout)
	}
	// The findings table, then the history and blame of a resource.
	table, inventory, ok := strings.Cut(r.stdout, "$ trailwarden inventory history ")
	if !ok || !strings.Contains(inventory, "revision 1 ") || !strings.Contains(inventory, "$ trailwarden inventory blame ") ||
		!strings.Contains(inventory, "FIELD") || !strings.Contains(inventory, "actor ") {
		t.Errorf("want an inventory history and blame after the findings:\n%s", r.stdout)
	}
	lines = strings.Split(strings.TrimSpace(table), "\n")
	for _, row := range lines[1:] {
		if sev, _, _ := strings.Cut(row, " "); sev != "MEDIUM" && sev != "HIGH" && sev != "CRITICAL" {
			t.Errorf("row below the demo's medium floor: %s", row)
		}
	}
	for _, w := range []string{"generating 2000 synthetic CloudTrail events", "scanned ", "2000 events in", "findings: "} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	// The dataset and store are removed (no --keep).
	left, err := os.ReadDir(filepath.Join(home, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("demo left %v in the temporary directory", left)
	}
}
