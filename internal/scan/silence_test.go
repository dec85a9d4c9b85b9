package scan_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/gen"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/scan"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

// genTrail writes a 12-hour trail of two accounts in two regions, without
// attacks, and returns its folder.
func genTrail(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	_, err := gen.Generate(t.Context(), gen.Options{
		Events: 6000, Seed: 11, Out: dir, Accounts: []string{acctA, acctB}, Regions: []string{"us-east-1", "eu-west-1"},
		Duration: 12 * time.Hour, AttackRate: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// cellDir is where the trail keeps the files of an account × region.
func cellDir(trail, account, region string) string {
	return filepath.Join(trail, "AWSLogs", account, "CloudTrail", region)
}

// eventTimes returns the eventTime of every record of the log files under dir.
func eventTimes(t *testing.T, dir string) []time.Time {
	t.Helper()
	var out []time.Time
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		var lf struct {
			Records []struct{ EventTime time.Time }
		}
		if err := json.NewDecoder(zr).Decode(&lf); err != nil {
			return err
		}
		for _, r := range lf.Records {
			out = append(out, r.EventTime)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cut deletes the log files of dir whose events are all in [from, to), and
// returns the silence left: the newest event before from and the oldest
// at or after to, read from the files that remain.
func cut(t *testing.T, dir string, from, to time.Time) (start, end time.Time) {
	t.Helper()
	deleted := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ts := eventTimes(t, p)
		for _, e := range ts {
			if e.Before(from) || !e.Before(to) {
				return nil
			}
		}
		deleted++
		return os.Remove(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if deleted == 0 {
		t.Fatal("no file deleted")
	}
	for _, e := range eventTimes(t, dir) {
		switch {
		case e.Before(from) && e.After(start):
			start = e
		case !e.Before(from) && e.Before(to):
			t.Fatalf("an event at %s is left in the cut", e)
		case !e.Before(to) && (end.IsZero() || e.Before(end)):
			end = e
		}
	}
	return start, end
}

// silenceFindings decodes the silence findings of JSON Lines output.
func silenceFindings(t *testing.T, out string) []*finding.Finding {
	t.Helper()
	var fs []*finding.Finding
	for line := range strings.Lines(out) {
		f := new(finding.Finding)
		if err := json.Unmarshal([]byte(line), f); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if f.RuleID == scan.SilenceRule {
			fs = append(fs, f)
		}
	}
	return fs
}

// TestRunSilence: three hours of one region's files missing from a trail
// are reported once, as one finding with the silent span, through the
// store and the outputs; the rest of the trail has no silence.
func TestRunSilence(t *testing.T) {
	trail := genTrail(t)
	start := gen.DefaultStart
	from, until := cut(t, cellDir(trail, acctA, "eu-west-1"), start.Add(5*time.Hour), start.Add(8*time.Hour))
	if d := until.Sub(from); d < 3*time.Hour || d > 4*time.Hour {
		t.Fatalf("the cut left a silence of %s", d)
	}

	st := openStore(t)
	run := func(rescan bool) (*scan.Summary, []*finding.Finding) {
		t.Helper()
		var buf bytes.Buffer
		sum, err := scan.Run(t.Context(), scan.Options{
			Paths: []string{trail}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: st, Rescan: rescan,
		})
		if err != nil {
			t.Fatal(err)
		}
		if sum.InputErrors != 0 {
			t.Fatalf("input errors: %+v", sum)
		}
		return sum, silenceFindings(t, buf.String())
	}

	sum, fs := run(false)
	if sum.Silences != 1 || sum.NewSilences != 1 || len(fs) != 1 {
		t.Fatalf("first run: %d silences, %d new, %d silence findings output; want 1", sum.Silences, sum.NewSilences, len(fs))
	}
	f := fs[0]
	key := acctA + "|eu-west-1|" + from.Format(time.RFC3339Nano) + "|" + until.Format(time.RFC3339Nano)
	wantSummary := "No CloudTrail events from " + acctA + "/eu-west-1 between " + from.Format(time.RFC3339) + " and " + until.Format(time.RFC3339) + " ("
	switch {
	case f.ID != finding.ID(scan.SilenceRule, key):
		t.Errorf("id %s, want the id of %s", f.ID, key)
	case f.Severity != finding.Medium || f.Account != acctA || f.Region != "eu-west-1" || !f.EventTime.Equal(from):
		t.Errorf("finding %+v", f)
	case !strings.HasPrefix(f.Summary, wantSummary) || !strings.HasSuffix(f.Summary, " h)"):
		t.Errorf("summary %q, want %q…", f.Summary, wantSummary)
	case strings.Join(f.Tags, ",") != "attack.defense_evasion,attack.t1562.008":
		t.Errorf("tags %v", f.Tags)
	case !strings.Contains(f.Runbook, "StopLogging") || !strings.Contains(f.Runbook, "get-trail-status"):
		t.Errorf("runbook %q", f.Runbook)
	}
	var ev struct {
		Coverage struct {
			Account, Region string
			SilentFrom      time.Time `json:"silent_from"`
			SilentUntil     time.Time `json:"silent_until"`
			Open            bool
		}
	}
	if err := json.Unmarshal(f.Event, &ev); err != nil || ev.Coverage.Account != acctA || !ev.Coverage.SilentFrom.Equal(from) ||
		!ev.Coverage.SilentUntil.Equal(until) || ev.Coverage.Open || !f.EventValidated && !json.Valid(f.Event) {
		t.Errorf("event %s (%v)", f.Event, err)
	}
	if stored, err := st.Silences(t.Context()); err != nil || len(stored) != 1 || stored[0].FindingID != f.ID || !stored[0].End.Equal(until) {
		t.Errorf("stored silences %+v, %v", stored, err)
	}

	sum, fs = run(false)
	if sum.Files != 0 || sum.Silences != 0 || len(fs) != 0 {
		t.Errorf("second run: %d files read, %d silences, %d output", sum.Files, sum.Silences, len(fs))
	}
	sum, fs = run(true)
	if sum.Silences != 1 || sum.NewSilences != 0 || len(fs) != 0 || sum.Findings[finding.Medium] == 0 {
		t.Errorf("rescan: %d silences, %d new, %d output; want it found again, not reported again", sum.Silences, sum.NewSilences, len(fs))
	}
	cells, err := st.Coverage(t.Context())
	if err != nil || len(cells) != 4 {
		t.Fatalf("cells %+v, %v", cells, err)
	}
	var events int64
	for _, c := range cells {
		events += c.Events
	}
	if int(events) != sum.Events {
		t.Errorf("cells count %d events, the scan read %d", events, sum.Events)
	}
}

// TestRunSilenceThreshold: the threshold decides; without a store the run
// still finds the silence.
func TestRunSilenceThreshold(t *testing.T) {
	trail := genTrail(t)
	start := gen.DefaultStart
	cut(t, cellDir(trail, acctB, "us-east-1"), start.Add(3*time.Hour), start.Add(6*time.Hour))
	for _, tc := range []struct {
		name  string
		after time.Duration
		want  int
	}{
		{"default", 0, 1},
		{"two hours", 2 * time.Hour, 1},
		{"five hours", 5 * time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			sum, err := scan.Run(t.Context(), scan.Options{
				Paths: []string{trail}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)},
				Store: scan.NewMemStore(), SilentAfter: tc.after,
			})
			if err != nil {
				t.Fatal(err)
			}
			fs := silenceFindings(t, buf.String())
			if sum.Silences != tc.want || sum.NewSilences != tc.want || len(fs) != tc.want {
				t.Fatalf("%d silences, %d new, %d output; want %d", sum.Silences, sum.NewSilences, len(fs), tc.want)
			}
			if tc.want > 0 && (fs[0].Account != acctB || fs[0].Region != "us-east-1") {
				t.Errorf("silence in %s/%s", fs[0].Account, fs[0].Region)
			}
		})
	}
}

// TestRunSilenceOpen: a region whose files stop while the account's other
// region goes on is silent up to the account's newest event.
func TestRunSilenceOpen(t *testing.T) {
	trail := genTrail(t)
	start := gen.DefaultStart
	from, _ := cut(t, cellDir(trail, acctA, "us-east-1"), start.Add(9*time.Hour), start.Add(24*time.Hour))
	var newest time.Time
	for _, e := range eventTimes(t, filepath.Join(trail, "AWSLogs", acctA)) {
		if e.After(newest) {
			newest = e
		}
	}
	var buf bytes.Buffer
	sum, err := scan.Run(t.Context(), scan.Options{
		Paths: []string{trail}, Rules: ruleSet(t), Routes: []output.Route{jsonlRoute(t, &buf)}, Store: openStore(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	fs := silenceFindings(t, buf.String())
	if sum.NewSilences != 1 || len(fs) != 1 {
		t.Fatalf("%d new silences, %d output; want 1", sum.NewSilences, len(fs))
	}
	if !fs[0].EventTime.Equal(from) || !strings.Contains(fs[0].Summary, newest.Format(time.RFC3339)+" (") ||
		!strings.Contains(fs[0].Summary, "none since") || !strings.Contains(string(fs[0].Event), `"open":true`) {
		t.Errorf("finding from %s, summary %q, event %s; want from %s to %s, open", fs[0].EventTime, fs[0].Summary, fs[0].Event, from, newest)
	}
}
