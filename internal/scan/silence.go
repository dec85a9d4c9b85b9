package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/coverage"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/source"
	"github.com/trailwarden/trailwarden/internal/store"
)

// CoverageStore is the upgrade of a Store that keeps delivery coverage:
// with it, a scan records the event-time span of each log file read from
// the AWS key layout and, at the end, reports new silences as findings.
type CoverageStore interface {
	coverage.Source
	RecordFile(ctx context.Context, fc store.FileCoverage) error
	AddSilences(ctx context.Context, ss []store.SilenceFinding) ([]*finding.Finding, error)
}

var _ CoverageStore = (*store.SQLite)(nil)

// The silence findings' rule.
const (
	SilenceRule  = "trailwarden-coverage-silence"
	silenceTitle = "CloudTrail delivery silence"
)

var silenceTags = []string{"attack.defense_evasion", "attack.t1562.008"}

// coverageOf returns the coverage to record for a delivery's last result,
// and whether there is any: only log files in the AWS key layout, which say
// their account and region, with a key to be known by across runs, read
// whole or up to an error after some events.
func coverageOf(d *source.Delivery, events int, oldest, newest time.Time, failed bool) (store.FileCoverage, bool) {
	l := d.Layout
	if l == nil || l.Kind != source.LogFile || d.Key == "" || (failed && events == 0) {
		return store.FileCoverage{}, false
	}
	return store.FileCoverage{Origin: d.Key, Account: l.Account, Region: l.Region, Oldest: oldest, Newest: newest, Events: events}, true
}

// silences finds the silences in the cells of the given accounts and turns
// the ones not reported before into findings, stored and queued as any
// other. It returns every silence finding (new or not) and the new ones.
func silences(ctx context.Context, cs CoverageStore, accounts map[string]bool, after time.Duration, now time.Time) (all, fresh []*finding.Finding, err error) {
	if len(accounts) == 0 {
		return nil, nil, nil
	}
	rep, err := coverage.Analyze(ctx, cs, coverage.Options{SilentAfter: after, Accounts: slices.Sorted(maps.Keys(accounts))})
	if err != nil {
		return nil, nil, err
	}
	var sfs []store.SilenceFinding
	for _, si := range rep.Silences() {
		f, err := silenceFinding(si, rep.SilentAfter, now)
		if err != nil {
			return nil, nil, err
		}
		sfs = append(sfs, store.SilenceFinding{Silence: si, Finding: f})
		all = append(all, f)
	}
	if fresh, err = cs.AddSilences(ctx, sfs); err != nil {
		return nil, nil, err
	}
	return all, fresh, nil
}

// silenceEvent is the event of a silence finding: there is no CloudTrail
// record to show, so it describes the span.
type silenceEvent struct {
	Coverage struct {
		Account     string    `json:"account"`
		Region      string    `json:"region"`
		SilentFrom  time.Time `json:"silent_from"`
		SilentUntil time.Time `json:"silent_until"`
		Hours       float64   `json:"hours"`
		// Open: no event came after SilentFrom; SilentUntil is the newest
		// event of the account's other regions.
		Open        bool   `json:"open"`
		SilentAfter string `json:"silent_after"`
	} `json:"coverage"`
}

// silenceFinding returns the finding that reports si, found with the
// threshold after, detected at now. Its id depends on the cell and the span
// only, so finding the same silence again gives the same finding.
func silenceFinding(si coverage.Silence, after time.Duration, now time.Time) (*finding.Finding, error) {
	from, until := si.Start.UTC(), si.End.UTC()
	hours := si.Duration().Hours()
	var ev silenceEvent
	c := &ev.Coverage
	c.Account, c.Region, c.SilentFrom, c.SilentUntil = si.Account, si.Region, from, until
	c.Hours = float64(int64(hours*100+0.5)) / 100
	c.Open, c.SilentAfter = si.Open, after.String()
	raw, err := json.Marshal(&ev)
	if err != nil {
		return nil, fmt.Errorf("silence %s: %w", si, err)
	}
	summary := fmt.Sprintf("No CloudTrail events from %s/%s between %s and %s (%.1f h)",
		si.Account, si.Region, from.Format(time.RFC3339), until.Format(time.RFC3339), hours)
	if si.Open {
		summary += ", and none since while the account's other regions went on"
	}
	return &finding.Finding{
		ID:             finding.ID(SilenceRule, strings.Join([]string{si.Account, si.Region, from.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano)}, "|")),
		RuleID:         SilenceRule,
		RuleTitle:      silenceTitle,
		Severity:       finding.Medium,
		Tags:           slices.Clone(silenceTags),
		EventTime:      from,
		DetectedAt:     now.UTC(),
		Account:        si.Account,
		Region:         si.Region,
		Resources:      []string{},
		Summary:        summary,
		Runbook:        silenceRunbook(si.Region, from),
		Event:          raw,
		EventValidated: true,
	}, nil
}

func silenceRunbook(region string, from time.Time) string {
	return fmt.Sprintf("1. Check the trail's status: aws cloudtrail get-trail-status --name <trail> --region %s "+
		"(IsLogging, LatestDeliveryError, LatestNotificationError, StopLoggingTime). "+
		"2. Look for StopLogging, DeleteTrail, UpdateTrail and PutEventSelectors/PutInsightSelectors events around %s, "+
		"in this region and in the trail's home region (trailwarden query, or CloudTrail event history, which keeps 90 days whatever the trail does). "+
		"3. Check S3 delivery: the bucket still exists, its bucket policy and any KMS key policy still let CloudTrail write, "+
		"no lifecycle rule or deletion removed the files; and SNS notification errors. "+
		"4. If the region is simply quiet at such times, raise coverage.silent_after (or --silent-after).",
		region, from.Format(time.RFC3339))
}
