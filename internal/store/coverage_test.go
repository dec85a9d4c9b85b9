package store

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/coverage"
	"github.com/trailwarden/trailwarden/internal/finding"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

// clock makes s.now return each of ts in turn, then the last one.
func clock(s *SQLite, ts ...time.Time) {
	i := 0
	s.now = func() time.Time {
		t := ts[min(i, len(ts)-1)]
		i++
		return t
	}
}

func mins(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

func fileAt(origin, account, region string, from, to, events int) FileCoverage {
	return FileCoverage{Origin: origin, Account: account, Region: region, Oldest: mins(from), Newest: mins(to), Events: events}
}

func TestCoverageRoundTrip(t *testing.T) {
	ctx := t.Context()
	s := openTest(t)
	processed := []time.Time{mins(1000), mins(1001), mins(1002), mins(1003), mins(1004), mins(1005)}
	clock(s, processed...)
	for _, fc := range []FileCoverage{
		fileAt("/l/a1", acctA, "us-east-1", 10, 14, 20),
		fileAt("/l/a3", acctA, "us-east-1", 200, 204, 7), // out of order
		fileAt("/l/a2", acctA, "us-east-1", 0, 4, 5),
		{Origin: "/l/empty", Account: acctA, Region: "eu-west-1"}, // a file without events
		fileAt("/l/b1", acctB, "us-east-1", 5, 9, 3),
		fileAt("/l/a2", acctA, "us-east-1", 0, 3, 4), // read again, now shorter: counted once
	} {
		if err := s.RecordFile(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}

	cells, err := s.Coverage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []coverage.Cell{
		{Key: coverage.Key{Account: acctA, Region: "eu-west-1"}, Files: 1, LastFile: processed[3]},
		{Key: coverage.Key{Account: acctA, Region: "us-east-1"}, First: mins(0), Last: mins(204), Files: 3, Events: 31, LastFile: processed[5]},
		{Key: coverage.Key{Account: acctB, Region: "us-east-1"}, First: mins(5), Last: mins(9), Files: 1, Events: 3, LastFile: processed[4]},
	}
	if diff := cmp.Diff(want, cells); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}

	spans, err := s.FileSpans(ctx, coverage.Key{Account: acctA, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	wantSpans := []coverage.Span{{Start: mins(0), End: mins(3)}, {Start: mins(10), End: mins(14)}, {Start: mins(200), End: mins(204)}}
	if diff := cmp.Diff(wantSpans, spans); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
	for _, k := range []coverage.Key{{Account: acctA, Region: "eu-west-1"}, {Account: acctA, Region: "ap-south-1"}} {
		if spans, err := s.FileSpans(ctx, k); err != nil || len(spans) != 0 {
			t.Errorf("%s: spans %v, %v; want none", k, spans, err)
		}
	}

	// The store is a coverage.Source.
	r, err := coverage.Analyze(ctx, s, coverage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantSilences := []coverage.Silence{{Key: coverage.Key{Account: acctA, Region: "us-east-1"},
		Gap: coverage.Gap{Span: coverage.Span{Start: mins(14), End: mins(200)}}}}
	if diff := cmp.Diff(wantSilences, r.Silences()); diff != "" {
		t.Errorf("silences (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]coverage.Key{{Account: acctB, Region: "eu-west-1"}}, r.Unmonitored); diff != "" {
		t.Errorf("unmonitored (-want +got):\n%s", diff)
	}
}

func TestRecordFileErrors(t *testing.T) {
	ctx := t.Context()
	s := openTest(t)
	if err := s.RecordFile(ctx, fileAt("/l/a", acctA, "us-east-1", 0, 5, 1)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		fc   FileCoverage
		want string
	}{
		{"no origin", fileAt("", acctA, "us-east-1", 0, 5, 1), "origin, account and region are required"},
		{"no account", fileAt("/l/x", "", "us-east-1", 0, 5, 1), "origin, account and region are required"},
		{"negative events", fileAt("/l/x", acctA, "us-east-1", 0, 5, -1), "negative event count"},
		{"one time only", FileCoverage{Origin: "/l/x", Account: acctA, Region: "us-east-1", Oldest: t0, Events: 1}, "both be set, or neither"},
		{"backwards", fileAt("/l/x", acctA, "us-east-1", 5, 0, 1), "is before the oldest"},
		{"another cell", fileAt("/l/a", acctA, "eu-west-1", 0, 5, 1), "recorded before under 111111111111/us-east-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.RecordFile(ctx, tc.fc)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "record coverage of "+tc.fc.Origin+": ") {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	cells, err := s.Coverage(ctx)
	if err != nil || len(cells) != 1 || cells[0].Files != 1 || cells[0].Region != "us-east-1" {
		t.Errorf("after the errors: cells %+v, %v", cells, err)
	}
}

// silenceFinding returns a silence of cell k over minutes [from, to] and a
// finding for it.
func silenceFinding(k coverage.Key, from, to int, open bool) SilenceFinding {
	si := coverage.Silence{Key: k, Gap: coverage.Gap{Span: coverage.Span{Start: mins(from), End: mins(to)}, Open: open}}
	f := newFinding("trailwarden-coverage-silence", k.String()+si.Start.String()+si.End.String(), finding.Medium, si.Start, k.Account)
	f.Region = k.Region
	f.Event = []byte(`{"coverage":{}}`)
	return SilenceFinding{Silence: si, Finding: f}
}

func TestAddSilences(t *testing.T) {
	ctx := t.Context()
	s := openTest(t)
	clock(s, mins(5000))
	east := coverage.Key{Account: acctA, Region: "us-east-1"}
	west := coverage.Key{Account: acctA, Region: "eu-west-1"}

	steps := []struct {
		name string
		in   []SilenceFinding
		want []int // indexes into in of the silences reported
	}{
		{"first", []SilenceFinding{silenceFinding(east, 10, 100, false), silenceFinding(west, 300, 900, true)}, []int{0, 1}},
		{"again", []SilenceFinding{silenceFinding(east, 10, 100, false), silenceFinding(west, 300, 900, true)}, nil},
		{"the open one grew, then closed; a new one after", []SilenceFinding{
			silenceFinding(west, 300, 1200, false), silenceFinding(west, 1300, 1400, false)}, []int{1}},
		{"files read later cut a reported one in two", []SilenceFinding{
			silenceFinding(east, 10, 40, false), silenceFinding(east, 50, 100, false)}, nil},
		{"touching a reported one at an instant", []SilenceFinding{silenceFinding(east, 100, 200, false)}, nil},
		{"twice in one call", []SilenceFinding{silenceFinding(east, 500, 600, false), silenceFinding(east, 550, 650, false)}, []int{0}},
		{"none", nil, nil},
	}
	var all []string
	for _, st := range steps {
		fresh, err := s.AddSilences(ctx, st.in)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		var want []string
		for _, i := range st.want {
			want = append(want, st.in[i].Finding.ID)
		}
		all = append(all, want...)
		if diff := cmp.Diff(want, ids(fresh)); diff != "" {
			t.Errorf("%s: fresh findings (-want +got):\n%s", st.name, diff)
		}
	}

	got, err := s.Silences(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReportedSilence{
		{steps[0].in[1].Silence, steps[0].in[1].Finding.ID, mins(5000)},
		{steps[2].in[1].Silence, steps[2].in[1].Finding.ID, mins(5000)},
		{steps[0].in[0].Silence, steps[0].in[0].Finding.ID, mins(5000)},
		{steps[5].in[0].Silence, steps[5].in[0].Finding.ID, mins(5000)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored silences (-want +got):\n%s", diff)
	}
	// The findings went the normal way: stored and queued.
	pend, err := s.Pending(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all, ids(pend)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}

	t.Run("a bad finding fails the call", func(t *testing.T) {
		good, bad := silenceFinding(east, 3000, 3100, false), silenceFinding(east, 3200, 3300, false)
		bad.Finding.Event = []byte("{not json")
		if _, err := s.AddSilences(ctx, []SilenceFinding{good, bad}); err == nil || !strings.HasPrefix(err.Error(), "add silences: ") {
			t.Fatalf("err = %v", err)
		}
		if got, _ := s.Silences(ctx); len(got) != len(want) {
			t.Errorf("%d silences stored after the failed call, want %d", len(got), len(want))
		}
	})
}

// TestMigrateCoverage: a file made by a trailwarden that knew only 0001
// keeps its findings and checkpoints and gains coverage.
func TestMigrateCoverage(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	init, err := fs.ReadFile(migrationFS(), "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := open(ctx, path, fstest.MapFS{"0001_init.sql": {Data: init}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFinding("r1", "e1", finding.High, t0, acctA)
	if _, err := old.AddFindings(ctx, []*finding.Finding{f}); err != nil {
		t.Fatal(err)
	}
	stamp := Stamp{Size: 10, ModTime: t0, Ruleset: "x"}
	if err := old.Checkpoint(ctx, "/l/a", stamp, 3); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	if got := appliedVersions(t, path); !cmp.Equal(got, []int{1}) {
		t.Fatalf("old file at versions %v", got)
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := appliedVersions(t, path); !cmp.Equal(got, []int{1, 2}) {
		t.Errorf("versions %v, want [1 2]", got)
	}
	if got, err := s.Findings(ctx, FindingQuery{}); err != nil || !cmp.Equal(ids(got), []string{f.ID}) {
		t.Errorf("findings after the migration: %v, %v", ids(got), err)
	}
	if done, err := s.Done(ctx, "/l/a", stamp); err != nil || !done {
		t.Errorf("checkpoint after the migration: %v, %v", done, err)
	}
	if cells, err := s.Coverage(ctx); err != nil || len(cells) != 0 {
		t.Errorf("coverage of the migrated file: %v, %v; want none", cells, err)
	}
	if err := s.RecordFile(ctx, fileAt("/l/a", acctA, "us-east-1", 0, 5, 3)); err != nil {
		t.Fatal(err)
	}
	if cells, err := s.Coverage(ctx); err != nil || len(cells) != 1 || cells[0].Events != 3 {
		t.Errorf("coverage: %+v, %v", cells, err)
	}
}
