package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/integrity"
)

// Integrity findings' rule ids are IntegrityRulePrefix + the verdict
// ("trailwarden-integrity-modified") or "gap".
const IntegrityRulePrefix = "trailwarden-integrity-"

// trailTampering are the rules whose findings explain a gap in a digest
// chain: logging stopped, the trail deleted or weakened.
var trailTampering = map[string]bool{
	"aws-cloudtrail-logging-stopped":            true,
	"aws-cloudtrail-trail-deleted":              true,
	"aws-cloudtrail-trail-weakened":             true,
	"aws-cloudtrail-management-events-excluded": true,
}

// tamperNote is a trail-tampering finding seen in this run.
type tamperNote struct {
	id, account string
	at          time.Time
}

// integrityRoots returns the folders that stand for a bucket root (they hold
// AWSLogs/) among the scanned paths, or that the paths lie in.
func integrityRoots(paths []string) []string {
	var roots []string
	for _, p := range paths {
		if p == "-" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		root := ""
		if st, err := os.Stat(filepath.Join(abs, "AWSLogs")); err == nil && st.IsDir() {
			root = abs
		} else if i := strings.Index(filepath.ToSlash(abs)+"/", "/AWSLogs/"); i >= 0 {
			root = filepath.FromSlash(filepath.ToSlash(abs)[:i])
		}
		if root != "" && !slices.Contains(roots, root) {
			roots = append(roots, root)
		}
	}
	return roots
}

// verifyIntegrity validates the digest chains of every scanned trail and
// turns every problem and gap into a finding: all counted, the new ones
// dispatched. A gap is linked to the trail-tampering findings of its account
// around its start.
func (s *sink) verifyIntegrity(ctx context.Context) error {
	now := time.Now().UTC()
	var all []*finding.Finding
	type trail struct {
		name string
		objs integrity.Objects
		opts integrity.Options
	}
	var trails []trail
	for _, root := range integrityRoots(s.o.Paths) {
		trails = append(trails, trail{root, integrity.NewFolder(root), integrity.Options{Prefix: "AWSLogs/", Logger: s.o.Logger}})
	}
	for _, r := range s.o.Remote {
		trails = append(trails, trail{r.Base + "/" + r.Prefix, r.Objects, integrity.Options{Prefix: r.Prefix, Bucket: r.Bucket, Logger: s.o.Logger}})
	}
	for _, tr := range trails {
		root := tr.name
		rep, err := integrity.Verify(ctx, tr.objs, s.o.PublicKeys, tr.opts)
		if err != nil {
			return fmt.Errorf("verify %s: %w", root, err)
		}
		s.sum.Integrity = append(s.sum.Integrity, IntegrityResult{Root: root, Report: rep})
		for _, p := range rep.Problems() {
			all = append(all, s.integrityFinding(root, p, now))
		}
		for _, g := range rep.Gaps {
			all = append(all, s.gapFinding(root, g, now))
		}
	}
	if len(all) == 0 {
		return nil
	}
	s.count(all)
	fresh, err := s.o.Store.AddFindings(ctx, all)
	if err != nil {
		return fmt.Errorf("store integrity findings: %w", err)
	}
	s.sum.NewFindings += len(fresh)
	if err := s.disp.Dispatch(ctx, fresh); err != nil {
		return fmt.Errorf("dispatch integrity findings: %w", err)
	}
	return s.flush(ctx)
}

// IntegrityResult is the verification of one scanned trail.
type IntegrityResult struct {
	Root   string
	Report *integrity.Report
}

func integritySeverity(v integrity.Verdict) finding.Severity {
	switch v {
	case integrity.NoSignature, integrity.Unverified, integrity.Corrupt, integrity.Unreadable:
		return finding.Medium
	}
	return finding.High
}

var integrityTitles = map[integrity.Verdict]string{
	integrity.Modified:      "CloudTrail log file modified after delivery",
	integrity.Deleted:       "CloudTrail log file deleted",
	integrity.NotListed:     "Log file listed in no CloudTrail digest",
	integrity.Unverified:    "Log file covered only by unverifiable digests",
	integrity.DigestMissing: "CloudTrail digest file deleted",
	integrity.DigestMoved:   "CloudTrail digest file moved or copied",
	integrity.UnknownKey:    "CloudTrail digest signed with an unknown key",
	integrity.BadSignature:  "CloudTrail digest signature invalid",
	integrity.NoSignature:   "CloudTrail digest without a signature",
	integrity.WrongAccount:  "CloudTrail digest or log file of another account",
	integrity.Corrupt:       "CloudTrail digest unreadable",
	integrity.Unreadable:    "CloudTrail file unreadable",
}

const integrityRunbook = `1. Compare the file with the copy in the trail's S3 bucket (and its versions, if versioning is on).
2. Look at who wrote to the bucket around the file's time: S3 data events or server access logs for PutObject/DeleteObject on the AWSLogs/ prefix.
3. Treat the events of the affected period as untrusted: look for the same activity in other sources (GuardDuty, VPC flow logs, the organisation trail).
4. Protect the bucket: S3 Object Lock or MFA delete, a bucket policy that denies deletes, log file validation on the trail.`

func (s *sink) integrityFinding(root string, p integrity.FileResult, now time.Time) *finding.Finding {
	rule := IntegrityRulePrefix + strings.ReplaceAll(string(p.Verdict), "_", "-")
	title := integrityTitles[p.Verdict]
	if title == "" {
		title = "CloudTrail file failed integrity validation"
	}
	ev, _ := json.Marshal(map[string]any{"integrity": p, "root": root})
	summary := fmt.Sprintf("%s: %s", title, p.Key)
	if p.Detail != "" {
		summary += " (" + p.Detail + ")"
	}
	return &finding.Finding{
		ID: finding.ID(rule, p.Key), RuleID: rule, RuleTitle: title, Severity: integritySeverity(p.Verdict),
		Tags:    []string{"attack.defense_evasion", "attack.t1070", "attack.t1565.001"},
		EventID: p.Key, EventName: string(p.Verdict), EventSource: "trailwarden.integrity", EventTime: now, DetectedAt: now,
		Account: p.Account, Region: p.Region, Resources: []string{p.Key}, Summary: summary, Runbook: integrityRunbook,
		Origin: root, Event: ev, EventValidated: true,
	}
}

func (s *sink) gapFinding(root string, g integrity.Gap, now time.Time) *finding.Finding {
	rule := IntegrityRulePrefix + "gap"
	key := fmt.Sprintf("%s|%s|%s|%s|%s", g.Account, g.Region, g.Trail, g.Start.Format(time.RFC3339), g.End.Format(time.RFC3339))
	ev, _ := json.Marshal(map[string]any{"integrity": g, "root": root})
	f := &finding.Finding{
		ID: finding.ID(rule, key), RuleID: rule, RuleTitle: "CloudTrail digest chain broken: logging stopped or files removed",
		Severity: finding.High, Tags: []string{"attack.defense_evasion", "attack.t1562.008"},
		EventID: key, EventName: "DigestChainGap", EventSource: "trailwarden.integrity", EventTime: g.Start, DetectedAt: now,
		Account: g.Account, Region: g.Region, Runbook: integrityRunbook, Origin: root, Event: ev, EventValidated: true,
		Resources: []string{},
	}
	if f.EventTime.IsZero() {
		f.EventTime = g.End
	}
	span := fmt.Sprintf("from %s to %s", g.Start.Format(time.RFC3339), g.End.Format(time.RFC3339))
	if g.Start.IsZero() {
		span = "before " + g.End.Format(time.RFC3339)
	}
	f.Summary = fmt.Sprintf("No digest covers %s/%s %s", g.Account, g.Region, span)
	// Link the trail tampering that explains the gap: same account, within
	// an hour of its start.
	for _, t := range s.tampering {
		if t.account == g.Account && !g.Start.IsZero() && t.at.After(g.Start.Add(-time.Hour)) && t.at.Before(g.Start.Add(time.Hour)) {
			f.Related = append(f.Related, t.id)
		}
	}
	if len(f.Related) > 0 {
		f.Summary += fmt.Sprintf("; explained by finding %s (trail tampering)", f.Related[0])
	}
	return f
}
