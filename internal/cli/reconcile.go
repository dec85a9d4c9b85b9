package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/trailwarden/trailwarden/internal/config"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/state/reconcile"
	"github.com/trailwarden/trailwarden/internal/state/snapshot"
	"github.com/trailwarden/trailwarden/internal/state/snapshot/live"
	findingstore "github.com/trailwarden/trailwarden/internal/store"
)

// ReconcileCmd compares snapshots of AWS (AWS CLI output, or trailwarden
// bundles) with the resource state derived from CloudTrail events, records
// the differences in the state store and reports them.
type ReconcileCmd struct {
	Files         []string `arg:"" optional:"" name:"file" help:"Snapshot files or folders (*.json, *.jsonl): raw AWS CLI output (describe-instances, describe-security-groups, describe-vpcs, get-account-authorization-details, list-buckets, get-bucket-policy/-acl/-encryption, get-public-access-block, lambda list-functions) or trailwarden bundles." type:"path"`
	Account       string   `help:"Account of files whose data names none (S3 files always)."`
	Region        string   `help:"Region of files whose data names none (describe-security-groups, describe-vpcs)."`
	Bucket        string   `help:"Bucket of per-bucket files not named <bucket>.<command>.json (e.g. logs.get-bucket-policy.json)."`
	TakenAt       string   `help:"When the snapshot was taken (RFC 3339), for files that do not say (raw CLI output); default now."`
	State         string   `help:"Resource state store: a SQLite file or a postgres:// URL (default: the config's state_store, else state.db beside the findings store)."`
	DriftSeverity string   `help:"Severity of drift findings." default:"medium" enum:"info,low,medium,high,critical"`
	Format        string   `help:"Output: text (one line per changed resource and a summary) or json (the report)." default:"text" enum:"text,json"`
	DryRun        bool     `help:"Report what differs without recording anything (so no rule sees a change)."`
	Partial       bool     `help:"The files are not complete listings (made with filters): mark nothing deleted."`
	AWS           bool     `name:"aws" help:"Also take a snapshot of live AWS with the standard credential chain (read-only calls: EC2 instances, security groups, VPCs, IAM, S3 buckets and their policy/ACL/public access block/encryption, Lambda functions)."`
	Regions       []string `help:"Regions to snapshot with --aws (default: the configured region)." sep:","`
	RoleARN       []string `name:"role-arn" help:"With --aws, roles to assume, one per account to snapshot (repeatable; default: the credentials' own account)."`
	ExternalID    string   `name:"external-id" help:"External id for the roles of --role-arn."`
	Save          string   `help:"With --aws, also write the snapshot as a bundle (JSON Lines) to this file, to reconcile again or keep as evidence." type:"path"`
	Rules         []string `help:"Extra rule directory or file (repeatable): rules on the change stream (eventSource trailwarden.state) see the revisions reconciliation records." type:"path"`
	NoBuiltin     bool     `help:"Leave out the built-in rules."`
}

// Run reads the files and reconciles them. It exits 1 when drift was found
// or a rule reported a finding of high severity or above on the revisions
// recorded, and 2 when a file could not be read (the others are still
// reconciled) or a rule failed.
func (c *ReconcileCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := loadConfig(g)
	if err != nil {
		return &exitError{ExitError, err}
	}
	if len(c.Files) == 0 && !c.AWS {
		return &exitError{ExitError, errors.New("no snapshot files: name files or folders of AWS CLI output, or use --aws")}
	}
	ro := snapshot.ReadOptions{Account: c.Account, Region: c.Region, Bucket: c.Bucket}
	if c.TakenAt != "" {
		if ro.TakenAt, err = time.Parse(time.RFC3339, c.TakenAt); err != nil {
			return &exitError{ExitError, fmt.Errorf("--taken-at: %w", err)}
		}
	} else {
		ro.TakenAt = time.Now().UTC() // one time for every file read now: one snapshot
	}
	docs, unread := readSnapshots(c.Files, ro)
	if c.AWS {
		fromAWS, err := c.collect(ctx, g)
		var pe *live.PartialError
		switch {
		case errors.As(err, &pe):
			// some buckets' settings are unknown: reported, the rest used
			for _, ce := range pe.Errs {
				unread = append(unread, ce)
			}
		case err != nil:
			return &exitError{ExitError, err}
		}
		docs = append(docs, fromAWS...)
	}
	return c.reconcile(ctx, g, cfg, docs, unread)
}

// collect takes a snapshot of live AWS (see package live) and, with
// --save, writes it as a bundle.
func (c *ReconcileCmd) collect(ctx context.Context, g *Globals) ([]snapshot.Document, error) {
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" && len(c.Regions) == 0 {
		return nil, errors.New("--aws: no region: set AWS_REGION, a profile's region, or --regions")
	}
	start := time.Now()
	docs, err := live.Collect(ctx, awsCfg, live.Options{Regions: c.Regions, RoleARNs: c.RoleARN, ExternalID: c.ExternalID,
		UsePathStyle: os.Getenv("AWS_ENDPOINT_URL") != ""})
	if docs == nil && err != nil {
		return nil, fmt.Errorf("--aws: %w", err)
	}
	// One collection is one snapshot: its documents share one time (the
	// last call's), so that rules reading the state at a change's time see
	// every resource the collection found, whichever call found it first.
	var taken time.Time
	for _, d := range docs {
		if d.TakenAt.After(taken) {
			taken = d.TakenAt
		}
	}
	for i := range docs {
		docs[i].TakenAt = taken
	}
	fmt.Fprintf(g.stderr, "trailwarden: snapshot of live AWS: %d documents in %s\n", len(docs), time.Since(start).Round(time.Millisecond))
	if c.Save != "" {
		if werr := saveBundle(c.Save, docs); werr != nil {
			return nil, werr
		}
	}
	return docs, err
}

// saveBundle writes docs as JSON Lines, one Document a line, atomically.
func saveBundle(path string, docs []snapshot.Document) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".snapshot-*")
	if err != nil {
		return fmt.Errorf("--save: %w", err)
	}
	defer os.Remove(tmp.Name())
	enc := json.NewEncoder(tmp)
	for i := range docs {
		if err := enc.Encode(&docs[i]); err != nil {
			tmp.Close()
			return fmt.Errorf("--save: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--save: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--save: %w", err)
	}
	return nil
}

// readSnapshots reads every file (folders are walked for *.json and
// *.jsonl). A file that cannot be read is skipped, its error in unread.
func readSnapshots(paths []string, o snapshot.ReadOptions) (docs []snapshot.Document, unread []error) {
	read := func(p string) {
		d, err := snapshot.ReadFile(p, o)
		if err != nil {
			unread = append(unread, err)
			return
		}
		docs = append(docs, d...)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			unread = append(unread, err)
			continue
		}
		if !st.IsDir() {
			read(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := filepath.Ext(path); !d.IsDir() && (ext == ".json" || ext == ".jsonl") {
				read(path)
			}
			return nil
		})
		if err != nil {
			unread = append(unread, err)
		}
	}
	return docs, unread
}

// reconcile reconciles docs, however they were gathered (files, or live
// AWS), with the state store, evaluates the rules on the change events of
// the revisions it recorded, writes the report and sets the exit code.
// unread holds the errors of the inputs that could not be read (a file, a
// call): they are reported with the document errors, and make the exit
// code 2 once the rest is reconciled.
func (c *ReconcileCmd) reconcile(ctx context.Context, g *Globals, cfg *config.Config, docs []snapshot.Document, unread []error) error {
	sev, err := finding.ParseSeverity(c.DriftSeverity)
	if err != nil {
		return &exitError{ExitError, err}
	}
	opts := reconcile.DefaultOptions()
	opts.DriftSeverity, opts.DryRun, opts.Partial = sev, c.DryRun, c.Partial
	var set *rule.Set
	if !c.DryRun {
		// loaded before anything is recorded: a revision whose change event
		// no rule saw would never be shown to them again
		if set, err = loadRuleSet(cfg, c.NoBuiltin, c.Rules); err != nil {
			return &exitError{ExitError, err}
		}
	}

	path := stateStorePath(c.State, cfg)
	if _, err := os.Stat(path); c.DryRun && !isPostgres(path) && errors.Is(err, fs.ErrNotExist) {
		// a dry run must not leave a store behind: compare with an empty one
		dir, err := os.MkdirTemp("", "trailwarden-reconcile-")
		if err != nil {
			return &exitError{ExitError, err}
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "state.db")
	}
	store, err := openStateStore(ctx, path)
	if err != nil {
		return &exitError{ExitError, err}
	}
	defer store.Close()
	var rules *changeRules
	if set != nil {
		rules = newChangeRules(set, store)
		opts.OnApplied = rules.add
	}
	// The findings store is opened first: once revisions are recorded, a
	// second run would not find their drift again.
	var fstore *findingstore.SQLite
	if !c.DryRun {
		if fstore, err = findingstore.Open(ctx, storePath("", cfg)); err != nil {
			return &exitError{ExitError, fmt.Errorf("findings store: %w", err)}
		}
		defer fstore.Close()
	}
	rep, recErr := reconcile.Reconcile(ctx, store, docs, opts)
	if rules != nil {
		// the revisions recorded before a failure are evaluated too: they
		// will not be recorded again
		findings, ruleErrs, err := rules.eval(ctx)
		if err != nil {
			if !c.DryRun {
				_, derr := deliverFindings(ctx, g, cfg, fstore, rep.Findings)
				err = errors.Join(err, derr)
			}
			return &exitError{ExitError, errors.Join(recErr, err)}
		}
		rep.RuleFindings = findings
		for _, err := range ruleErrs {
			fmt.Fprintln(g.stderr, "trailwarden:", err)
			rep.RuleErrors = append(rep.RuleErrors, err.Error())
		}
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(g.stderr, "trailwarden: %s: %s\n", e.Source, e.Error)
	}
	for _, err := range unread {
		fmt.Fprintln(g.stderr, "trailwarden:", err)
	}
	rep.Errors = append(unreadErrors(unread), rep.Errors...)
	for _, e := range rep.Skipped {
		fmt.Fprintf(g.stderr, "trailwarden: %s: skipped: %s is not reconciled yet\n", e.Source, e.Kind)
	}
	if !c.DryRun {
		all := append(append([]finding.Finding(nil), rep.Findings...), rep.RuleFindings...)
		n, err := deliverFindings(ctx, g, cfg, fstore, all)
		if err != nil {
			return &exitError{ExitError, fmt.Errorf("findings: %w", err)}
		}
		if n > 0 {
			fmt.Fprintf(g.stderr, "trailwarden: %d new findings stored and sent to the outputs\n", n)
		}
	}
	if c.Format == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeReconcileText(g.stdout, rep)
	}
	if err != nil {
		return &exitError{ExitError, err}
	}
	switch n := len(rep.Errors); {
	case recErr != nil:
		// the report holds what was recorded before the store failed
		return &exitError{ExitError, recErr}
	case n > 0:
		return &exitError{ExitError, fmt.Errorf("%d snapshot file(s) or document(s) could not be read; the others were reconciled", n)}
	case len(rep.RuleErrors) > 0:
		return &exitError{ExitError, fmt.Errorf("%d rule error(s) on the change events of the revisions recorded", len(rep.RuleErrors))}
	case rep.Counts.Drift > 0 || severe(rep.RuleFindings):
		return &exitError{code: ExitFindings}
	}
	return nil
}

// severe says whether a finding is of high severity or above.
func severe(fs []finding.Finding) bool {
	for _, f := range fs {
		if f.Severity >= finding.High {
			return true
		}
	}
	return false
}

// unreadErrors lists the inputs that could not be read as the report's
// document errors.
func unreadErrors(errs []error) []reconcile.DocumentError {
	var out []reconcile.DocumentError
	for _, err := range errs {
		de := reconcile.DocumentError{Error: err.Error()}
		var fe *snapshot.FileError
		var pe *fs.PathError
		switch {
		case errors.As(err, &fe):
			de.Source, de.Error = fe.Path, fe.Error()
		case errors.As(err, &pe):
			de.Source = pe.Path
		}
		out = append(out, de)
	}
	return out
}

// writeReconcileText writes one line per resource that changed, one per
// rule finding on the revisions recorded, then a summary.
func writeReconcileText(w io.Writer, rep *reconcile.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	lines := 0
	for _, r := range rep.Resources {
		if r.Outcome == reconcile.Unchanged {
			continue
		}
		if lines == 0 {
			fmt.Fprintln(tw, "OUTCOME\tTYPE\tACCOUNT/REGION\tID\tCHANGES")
		}
		lines++
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s\t%s\n", r.Outcome, r.Resource.Type, r.Resource.Account, r.Resource.Region, r.Resource.ID, changes(r))
	}
	if len(rep.RuleFindings) > 0 {
		if lines > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintln(tw, "SEVERITY\tRULE\tRESOURCE\tSUMMARY")
		for _, f := range rep.RuleFindings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.RuleID, strings.Join(f.Resources, ","), f.Summary)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	n := rep.Counts
	done := "recorded"
	if rep.DryRun {
		done = "would be recorded (dry run)"
	}
	rules := fmt.Sprintf("; %d rule findings", len(rep.RuleFindings))
	if rep.DryRun {
		rules = "" // nothing recorded: no change event for the rules
	}
	_, err := fmt.Fprintf(w, "%d resources in %d documents: %d discovered, %d drift, %d refreshed, %d deleted-unobserved, %d unchanged; %d steps %s%s\n",
		len(rep.Resources), rep.Documents, n.Discovered, n.Drift, n.Refreshed, n.DeletedUnobserved, n.Unchanged, rep.Steps, done, rules)
	return err
}

// changes describes the fields of a result: key: before → after, with
// refreshes (not drift) marked.
func changes(r reconcile.Result) string {
	switch r.Outcome {
	case reconcile.Discovered:
		return fmt.Sprintf("%d fields", len(r.Fields))
	case reconcile.DeletedUnobserved:
		return "absent from the snapshot"
	}
	var parts []string
	for _, f := range r.Fields {
		s := fmt.Sprintf("%s: %s → %s", f.Key, short(f.Before), short(f.After))
		if !f.Drift {
			s += " (refresh)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// short renders a value as compact JSON, cut at 60 characters.
func short(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if s := []rune(string(b)); len(s) > 60 {
		return string(s[:57]) + "..."
	}
	return string(b)
}
