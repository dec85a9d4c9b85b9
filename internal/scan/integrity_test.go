package scan_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/gen"
	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/scan"
	"github.com/trailwarden/trailwarden/rules"
)

// TestRunIntegrity: a generated trail with signed digests, then an attacker
// edits one log file and deletes the digests of the two hours after a
// StopLogging call. The scan reports the modified file and the gap, and
// links the gap to the StopLogging finding.
func TestRunIntegrity(t *testing.T) {
	dir := t.TempDir()
	if _, err := gen.Generate(context.Background(), gen.Options{Events: 20000, Seed: 4, Out: dir, Digests: true}); err != nil {
		t.Fatal(err)
	}
	kf, err := os.Open(filepath.Join(dir, gen.DemoKeysFile))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := integrity.LoadPublicKeys(kf)
	kf.Close()
	if err != nil {
		t.Fatal(err)
	}
	set, err := rule.Load(rule.LoadOptions{Sources: []rule.Source{{Name: "builtin", FS: rules.FS, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	run := func() (*scan.Summary, []*finding.Finding) {
		t.Helper()
		var buf bytes.Buffer
		sum, err := scan.Run(t.Context(), scan.Options{
			Paths: []string{dir}, Rules: set, Routes: []output.Route{jsonlRoute(t, &buf)}, Store: scan.NewMemStore(),
			PublicKeys: keys, DeadLetter: openDeadLetter(t),
		})
		if err != nil {
			t.Fatal(err)
		}
		var fs []*finding.Finding
		dec := json.NewDecoder(&buf)
		for {
			var f finding.Finding
			if err := dec.Decode(&f); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, &f)
		}
		return sum, fs
	}

	// Untouched: everything valid, no integrity finding.
	sum, fs := run()
	if len(sum.Integrity) != 1 || !sum.Integrity[0].Report.OK() {
		t.Fatalf("untouched trail: %+v", sum.Integrity)
	}
	var stop *finding.Finding
	for _, f := range fs {
		if strings.HasPrefix(f.RuleID, scan.IntegrityRulePrefix) {
			t.Fatalf("integrity finding on an untouched trail: %+v", f)
		}
		// the earliest StopLogging: digests follow the gap it leaves
		if f.RuleID == "aws-cloudtrail-logging-stopped" && (stop == nil || f.EventTime.Before(stop.EventTime)) {
			stop = f
		}
	}
	if stop == nil {
		t.Fatal("the generated trail has no StopLogging finding")
	}

	// Tamper: edit one log file (keeping it valid gzip JSON), delete the
	// digests of the two hours after the StopLogging call.
	logs, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	sort.Strings(logs)
	var edited string // a file of another account: its digests stay
	for _, l := range logs {
		if !strings.Contains(filepath.ToSlash(l), "/"+stop.Account+"/") {
			edited = l
			break
		}
	}
	rewriteGzip(t, edited, func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"sourceIPAddress":"`), []byte(`"sourceIPAddress":"10.`), 1) // every record has one
	})
	digests, _ := filepath.Glob(filepath.Join(dir, "AWSLogs", stop.Account, "CloudTrail-Digest", stop.Region, "*", "*", "*", "*.json.gz"))
	removed := 0
	for _, d := range digests {
		// The file name ends with the digest's end time.
		name := filepath.Base(d)
		end, err := time.Parse("20060102T150405Z", name[len(name)-len("20240304T010000Z.json.gz"):len(name)-len(".json.gz")])
		if err != nil {
			t.Fatal(err)
		}
		if end.After(stop.EventTime.Add(time.Hour)) && !end.After(stop.EventTime.Add(3*time.Hour)) {
			os.Remove(d)
			os.Remove(d + ".sig")
			removed++
		}
	}
	if removed == 0 {
		t.Fatal("no digest removed")
	}

	sum, fs = run()
	r := sum.Integrity[0].Report
	if r.OK() || r.Counts[integrity.Modified] != 1 || len(r.Gaps) == 0 {
		t.Fatalf("tampered trail: counts %v gaps %+v", r.Counts, r.Gaps)
	}
	var modified, gap *finding.Finding
	for _, f := range fs {
		switch f.RuleID {
		case scan.IntegrityRulePrefix + "modified":
			modified = f
		case scan.IntegrityRulePrefix + "gap":
			if f.Account == stop.Account && f.Region == stop.Region {
				gap = f
			}
		}
	}
	rel, _ := filepath.Rel(dir, edited)
	if modified == nil || modified.Severity != finding.High || modified.EventID != filepath.ToSlash(rel) {
		t.Fatalf("modified-file finding: %+v (want key %s)", modified, rel)
	}
	if gap == nil || !slices.Contains(gap.Related, stop.ID) || !strings.Contains(gap.Summary, "explained by finding") {
		t.Fatalf("gap finding %+v, want it linked to the StopLogging finding %s", gap, stop.ID)
	}
}

func rewriteGzip(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	nb := edit(b)
	if bytes.Equal(nb, b) {
		t.Fatal("edit changed nothing")
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(nb)
	zw.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
