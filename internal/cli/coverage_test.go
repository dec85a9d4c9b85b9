package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	covA = "111122223333"
	covB = "444455556666"
)

var covStart = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// writeCell writes, in the AWS key layout under dir, one log file every 10
// minutes from covStart for six hours, each with one event at its time,
// except those in [skipFrom, skipTo) hours after covStart.
func writeCell(t *testing.T, dir, account, region string, skipFrom, skipTo int, n *int) {
	t.Helper()
	for m := 0; m <= 360; m += 10 {
		at := covStart.Add(time.Duration(m) * time.Minute)
		if h := m / 60; h >= skipFrom && h < skipTo {
			continue
		}
		*n++
		rec := strings.Replace(listBuckets(*n), `"eventTime":"2023-07-10T12:01:27Z"`, `"eventTime":"`+at.Format(time.RFC3339)+`"`, 1)
		rec = strings.Replace(rec, `"awsRegion":"us-east-1"`, `"awsRegion":"`+region+`"`, 1)
		name := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/2024/03/04/%s_CloudTrail_%s_%sZ_f%d.json",
			account, region, account, region, at.Add(5*time.Minute).Format("20060102T1504"), *n)
		writeFile(t, dir, name, []byte(logFile(rec)))
	}
}

// coverageTrail writes a trail where covA/us-east-1 is silent from 01:50
// to 05:00, and covB never reports from eu-west-1.
func coverageTrail(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	n := 0
	writeCell(t, dir, covA, "us-east-1", 2, 5, &n)
	writeCell(t, dir, covA, "eu-west-1", 0, 0, &n)
	writeCell(t, dir, covB, "us-east-1", 0, 0, &n)
	return dir
}

func TestCoverage(t *testing.T) {
	isolate(t)
	trail := coverageTrail(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tw.db")

	r := runCLI(t, "coverage", "--store", db)
	r.wantCode(t, ExitError)
	if !strings.Contains(r.stderr, "no store at "+db) {
		t.Errorf("no store: stderr %q", r.stderr)
	}

	r = runCLI(t, append(append([]string{"scan", "--format", "jsonl", "--store", db}, loggingPack...), trail)...)
	r.wantCode(t, ExitOK) // a silence is medium; --fail-on is high
	var silences []string
	for _, f := range decodeFindings(t, r.stdout) {
		silences = append(silences, f.Summary)
	}
	wantSummary := "No CloudTrail events from " + covA + "/us-east-1 between 2024-03-04T01:50:00Z and 2024-03-04T05:00:00Z (3.2 h)"
	if len(silences) != 1 || silences[0] != wantSummary {
		t.Fatalf("scan findings %q, want one silence %q", silences, wantSummary)
	}
	if !strings.Contains(r.stderr, "delivery silences: 1 (1 new)") {
		t.Errorf("scan summary:\n%s", r.stderr)
	}

	config := filepath.Join(dir, "tw.yaml")
	writeFile(t, dir, "tw.yaml", []byte("store: tw.db\ncoverage: {silent_after: 4h}\n"))
	tests := []struct {
		name   string
		args   []string
		code   int
		want   []string // lines of stdout, each with its columns separated by single spaces
		stderr string
	}{
		{name: "text", args: []string{"coverage", "--store", db}, code: ExitFindings, want: []string{
			"ACCOUNT REGION FIRST EVENT LAST EVENT FILES EVENTS LAST FILE READ SILENT SPANS",
			covA + " eu-west-1 2024-03-04T00:00:00Z 2024-03-04T06:00:00Z 37 37 ",
			covA + " us-east-1 2024-03-04T00:00:00Z 2024-03-04T06:00:00Z 19 19 ",
			covB + " us-east-1 2024-03-04T00:00:00Z 2024-03-04T06:00:00Z 37 37 ",
			"Silent spans (no events for longer than 1h0m0s): 1",
			"ACCOUNT REGION SILENT FROM SILENT UNTIL HOURS OPEN FINDING",
			covA + " us-east-1 2024-03-04T01:50:00Z 2024-03-04T05:00:00Z 3.2 no ",
			"Unmonitored regions (another account reported from them, this one never did): 1",
			covB + " eu-west-1",
		}},
		{name: "threshold above the silence", args: []string{"coverage", "--store", db, "--silent-after", "3h30m"}, code: ExitOK, want: []string{
			"Silent spans (no events for longer than 3h30m0s): none",
		}},
		{name: "threshold from the config", args: []string{"--config", config, "coverage"}, code: ExitOK, want: []string{
			"Silent spans (no events for longer than 4h0m0s): none",
		}},
		{name: "the flag overrides the config", args: []string{"--config", config, "coverage", "--silent-after", "90m"}, code: ExitFindings, want: []string{
			"Silent spans (no events for longer than 1h30m0s): 1",
		}},
		{name: "negative threshold", args: []string{"coverage", "--store", db, "--silent-after=-1h"}, code: ExitError, stderr: "--silent-after must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			r.wantCode(t, tt.code)
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.stderr)
			}
			lines := map[string]bool{}
			for l := range strings.Lines(r.stdout) {
				lines[strings.Join(strings.Fields(l), " ")] = true
			}
			for _, w := range tt.want {
				found := false
				for l := range lines {
					if strings.HasPrefix(l, strings.TrimSpace(w)) {
						found = true
					}
				}
				if !found {
					t.Errorf("no line %q in:\n%s", w, r.stdout)
				}
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		r := runCLI(t, "coverage", "--store", db, "--format", "json")
		r.wantCode(t, ExitFindings)
		var got coverageJSON
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("%v:\n%s", err, r.stdout)
		}
		if got.SilentAfter != "1h0m0s" || got.Silences != 1 || len(got.Cells) != 3 || len(got.Unmonitored) != 1 || got.Unmonitored[0] != (coverageKey{covB, "eu-west-1"}) {
			t.Fatalf("coverage %+v", got)
		}
		c := got.Cells[1]
		if c.Account != covA || c.Region != "us-east-1" || c.Files != 19 || c.Events != 19 || c.FirstEvent != "2024-03-04T00:00:00Z" ||
			c.LastEvent != "2024-03-04T06:00:00Z" || c.Horizon != "2024-03-04T06:00:00Z" || c.LastFileAt == "" || len(c.Silences) != 1 {
			t.Fatalf("cell %+v", c)
		}
		s := c.Silences[0]
		if s.From != "2024-03-04T01:50:00Z" || s.Until != "2024-03-04T05:00:00Z" || s.Hours != 3.2 || s.Open || s.FindingID == "" {
			t.Errorf("silence %+v", s)
		}
		if len(got.Cells[0].Silences) != 0 {
			t.Errorf("cell without silences: %+v", got.Cells[0])
		}
	})

	t.Run("a second scan reports nothing again", func(t *testing.T) {
		r := runCLI(t, append(append([]string{"scan", "--format", "jsonl", "--store", db, "--rescan"}, loggingPack...), trail)...)
		r.wantCode(t, ExitOK)
		if r.stdout != "" || !strings.Contains(r.stderr, "delivery silences: 1 (0 new)") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
	})

	t.Run("scan threshold", func(t *testing.T) {
		r := runCLI(t, append(append([]string{"scan", "--format", "jsonl", "--no-store", "--silent-after", "4h"}, loggingPack...), trail)...)
		r.wantCode(t, ExitOK)
		if r.stdout != "" || strings.Contains(r.stderr, "delivery silences") {
			t.Errorf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
		r = runCLI(t, append(append([]string{"scan", "--no-store", "--silent-after=-4h"}, loggingPack...), trail)...)
		r.wantCode(t, ExitError)
		if !strings.Contains(r.stderr, "--silent-after must not be negative") {
			t.Errorf("stderr %q", r.stderr)
		}
	})
}

func TestCoverageEmpty(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tw.db")
	logs := writeFile(t, dir, "loose/a.json", []byte(logFile(listBuckets(1)))) // not in the AWS layout
	runCLI(t, append(append([]string{"scan", "--store", db}, loggingPack...), logs)...).wantCode(t, ExitOK)
	for _, format := range []string{"text", "json"} {
		r := runCLI(t, "coverage", "--store", db, "--format", format)
		r.wantCode(t, ExitOK)
		want := "No coverage recorded yet"
		if format == "json" {
			want = `"cells": []`
		}
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%s: stdout %q", format, r.stdout)
		}
	}
	// The default store is the one in the state directory.
	runCLI(t, "coverage").wantCode(t, ExitError)
	runCLI(t, append(append([]string{"scan"}, loggingPack...), logs)...).wantCode(t, ExitOK)
	runCLI(t, "coverage").wantCode(t, ExitOK)
}
