package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// newestFirst orders fs as Findings does: newest event first, then by id,
// descending.
func newestFirst(fs ...*finding.Finding) []string {
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b *finding.Finding) int {
		if c := b.EventTime.Compare(a.EventTime); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return ids(fs)
}

func TestFindings(t *testing.T) {
	const acctA, acctB = "111111111111", "222222222222"
	h := time.Hour
	f1 := newFinding("r1", "e1", finding.Low, t0, acctA)
	f2 := newFinding("r1", "e2", finding.High, t0.Add(1*h), acctB)
	f3 := newFinding("r2", "e3", finding.Critical, t0.Add(2*h), acctA)
	f4 := newFinding("r2", "e4", finding.Medium, t0.Add(3*h), acctA)
	f5 := newFinding("r3", "e5", finding.Info, t0.Add(4*h), acctB)
	f6 := newFinding("r1", "e6", finding.High, t0.Add(2*h), acctA) // same time as f3
	all := []*finding.Finding{f1, f2, f3, f4, f5, f6}

	s := openTest(t)
	if _, err := s.AddFindings(t.Context(), all); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		q    FindingQuery
		want []string
	}{
		{"zero query: all, newest first", FindingQuery{}, newestFirst(all...)},
		{"min severity", FindingQuery{MinSeverity: finding.High}, newestFirst(f2, f3, f6)},
		{"min severity critical", FindingQuery{MinSeverity: finding.Critical}, newestFirst(f3)},
		{"rule", FindingQuery{RuleID: "r1"}, newestFirst(f1, f2, f6)},
		{"unknown rule", FindingQuery{RuleID: "nope"}, nil},
		{"account", FindingQuery{Account: acctB}, newestFirst(f2, f5)},
		{"since is inclusive", FindingQuery{Since: t0.Add(2 * h)}, newestFirst(f3, f4, f5, f6)},
		{"until is exclusive", FindingQuery{Until: t0.Add(2 * h)}, newestFirst(f1, f2)},
		{"since and until", FindingQuery{Since: t0.Add(h), Until: t0.Add(3 * h)}, newestFirst(f2, f3, f6)},
		{"times in another zone", FindingQuery{Since: t0.Add(2 * h).In(time.FixedZone("X", -5*3600))}, newestFirst(f3, f4, f5, f6)},
		{"limit", FindingQuery{Limit: 2}, newestFirst(all...)[:2]},
		{"all filters", FindingQuery{MinSeverity: finding.Medium, RuleID: "r2", Account: acctA, Since: t0, Until: t0.Add(3 * h), Limit: 10}, newestFirst(f3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Findings(t.Context(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("negative limit", func(t *testing.T) {
		_, err := s.Findings(t.Context(), FindingQuery{Limit: -1})
		if err == nil || !strings.HasPrefix(err.Error(), "query findings: ") {
			t.Errorf("error %v, want a query findings error", err)
		}
	})
}

func TestFindingsDefaultLimit(t *testing.T) {
	s := openTest(t)
	var fs []*finding.Finding
	for i := range DefaultLimit + 20 {
		fs = append(fs, newFinding("r1", fmt.Sprint("e", i), finding.Low, t0.Add(time.Duration(i)*time.Second), "111111111111"))
	}
	if _, err := s.AddFindings(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Findings(t.Context(), FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(newestFirst(fs...)[:DefaultLimit], ids(got)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

// TestRoundTrip checks that a finding comes back as it was stored, its raw
// event byte for byte.
func TestRoundTrip(t *testing.T) {
	pretty := newFinding("r1", "e1", finding.Critical, t0.Add(123456789*time.Nanosecond), "111111111111")
	pretty.Event = []byte("{\n  \"eventID\": \"e1\",\n  \"n\": 1.50\n}")
	pretty.ErrorCode = "AccessDenied"
	pretty.Runbook = "https://example.com/runbook"
	noEvent := newFinding("r1", "e2", finding.Info, time.Time{}, "111111111111")
	noEvent.Event = nil
	noEvent.Tags = nil
	nullEvent := newFinding("r1", "e3", finding.Low, t0.In(time.FixedZone("X", 3600)), "111111111111")
	nullEvent.Event = []byte("null")

	s := openTest(t)
	want := []*finding.Finding{pretty, noEvent, nullEvent}
	if _, err := s.AddFindings(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Pending(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if got[1].Event != nil {
		t.Errorf("no event came back as %q, want nil", got[1].Event)
	}
}

func TestCountBySeverity(t *testing.T) {
	s := openTest(t)
	got, err := s.CountBySeverity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("empty store: %v, want no counts", got)
	}

	var fs []*finding.Finding
	for i, sev := range []finding.Severity{finding.High, finding.Low, finding.High, finding.Critical, finding.High} {
		fs = append(fs, newFinding("r1", fmt.Sprint("e", i), sev, t0, "111111111111"))
	}
	fs = append(fs, fs[0]) // counted once
	if _, err := s.AddFindings(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	got, err = s.CountBySeverity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[finding.Severity]int{finding.Low: 1, finding.High: 3, finding.Critical: 1}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}
