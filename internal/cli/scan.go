package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/trailwarden/trailwarden/internal/config"
	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/integrity"
	"github.com/trailwarden/trailwarden/internal/output"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/internal/scan"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/store"
)

// ScanCmd scans CloudTrail logs.
type ScanCmd struct {
	Paths       []string      `arg:"" help:"Files, folders (recursive), - for stdin, or s3://bucket/prefix." name:"path"`
	Format      string        `help:"Findings on stdout: text (a table), jsonl, or auto (text on a terminal)." default:"auto" enum:"auto,text,jsonl"`
	Rules       []string      `help:"Extra rule directory or file (repeatable)." type:"path"`
	NoBuiltin   bool          `help:"Leave out the built-in rules."`
	MinSeverity string        `help:"Lowest severity reported to the outputs." default:"info" enum:"info,low,medium,high,critical"`
	FailOn      string        `help:"Exit 1 when a finding of this severity or above is detected." default:"high" enum:"info,low,medium,high,critical,never"`
	Store       string        `help:"SQLite file for findings and checkpoints (default: the config's, else ~/.local/state/trailwarden/trailwarden.db)." type:"path"`
	NoStore     bool          `help:"No checkpoints and no finding history (one-off forensics); undeliverable findings still go to the dead-letter file."`
	State       string        `help:"Resource state store: a SQLite file, or a postgres:// URL (default: the config's state_store, else state.db beside the store)."`
	NoState     bool          `help:"Do not keep the resource state (on by default, off with --no-store unless --state names a file)."`
	Rescan      bool          `help:"Read files again even when a checkpoint says they were read."`
	DeadLetter  string        `help:"Dead-letter file for undeliverable findings and rejected records (default: beside the store)." type:"path"`
	SilentAfter time.Duration `help:"Report an account × region whose log files (in the AWS key layout) show no events for longer than this (default: the config's coverage.silent_after, else 1h)."`
	Workers     int           `help:"Parallel workers (default: one per core)."`
	Progress    string        `help:"Progress bar on stderr: auto (on a terminal), always, never." default:"auto" enum:"auto,always,never"`
	PublicKeys  string        `help:"CloudTrail public keys (JSON of 'aws cloudtrail list-public-keys'): verify the digest chains of the scanned trails and report tampering as findings." type:"path"`
	CPUProfile  string        `help:"Write a Go CPU profile of the scan to this file." type:"path" hidden:""`
}

// stateDir is where trailwarden keeps its files by default.
func stateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "trailwarden")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "trailwarden")
	}
	return ".trailwarden"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newLogger(g *Globals) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(g.LogLevel))
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: lvl}))
}

// loadRuleSet loads the built-in pack and extra rules with the config's overrides.
func loadRuleSet(cfg *config.Config, noBuiltin bool, extra []string) (*rule.Set, error) {
	srcs, err := ruleSources(cfg.Builtin() && !noBuiltin, append(slices.Clone(cfg.RulesDirs), extra...))
	if err != nil {
		return nil, err
	}
	set, err := rule.Load(rule.LoadOptions{Sources: srcs, Overrides: cfg.Overrides()})
	if err != nil {
		return nil, fmt.Errorf("load rules:\n%w", err)
	}
	return set, nil
}

// Run scans.
func (c *ScanCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := c.run(ctx, g)
	if sum != nil {
		printSummary(g.stderr, sum)
	}
	if err != nil {
		return &exitError{ExitError, err}
	}
	if sum.InputErrors > 0 || sum.RuleErrors > 0 || sum.StateErrors > 0 {
		// Unread input or unevaluated rules: the scan is incomplete, whatever it found.
		return &exitError{code: ExitError}
	}
	if c.FailOn != "never" {
		failOn, _ := finding.ParseSeverity(c.FailOn)
		if sum.AnyFinding && sum.MaxSeverity >= failOn {
			return &exitError{code: ExitFindings}
		}
	}
	return nil
}

func (c *ScanCmd) run(ctx context.Context, g *Globals) (*scan.Summary, error) {
	log := newLogger(g)
	if os.Getenv("GOGC") == "" {
		// The live heap is small (one window per worker): trade a little
		// memory for less time in the collector.
		debug.SetGCPercent(400)
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return nil, err
	}
	set, err := loadRuleSet(cfg, c.NoBuiltin, c.Rules)
	if err != nil {
		return nil, err
	}
	minSev, _ := finding.ParseSeverity(c.MinSeverity)
	silentAfter := cmp.Or(c.SilentAfter, cfg.Coverage.SilentAfter)
	if silentAfter < 0 {
		return nil, fmt.Errorf("--silent-after must not be negative, got %s", silentAfter)
	}

	outCfgs := cfg.Outputs
	if len(outCfgs) == 0 {
		outCfgs = []output.Config{{Type: "stdout"}}
	}
	for i := range outCfgs {
		if outCfgs[i].Type == "stdout" && c.Format != "auto" {
			outCfgs[i].Format = c.Format
		}
	}
	routes, err := output.Build(outCfgs, g.stdout, Version)
	if err != nil {
		return nil, err
	}

	var st scan.Store
	dlPath := c.DeadLetter
	if dlPath == "" {
		dlPath = cfg.DeadLetter
	}
	if c.NoStore {
		st = scan.NewMemStore()
	} else {
		path := c.Store
		if path == "" {
			path = cfg.Store
		}
		if path == "" {
			path = filepath.Join(stateDir(), "trailwarden.db")
		}
		db, err := store.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		st = db
		if !c.NoState && c.State == "" && cfg.StateStore == "" {
			c.State = filepath.Join(filepath.Dir(path), "state.db")
		}
		if dlPath == "" {
			dlPath = filepath.Join(filepath.Dir(path), "deadletter.jsonl")
		}
	}
	if dlPath == "" {
		dlPath = filepath.Join(stateDir(), "deadletter.jsonl")
	}
	var states state.Store
	if !c.NoState && (c.State != "" || (!c.NoStore && cfg.StateStore != "")) {
		ss, err := openStateStore(ctx, stateStorePath(c.State, cfg))
		if err != nil {
			return nil, err
		}
		defer ss.Close()
		states = ss
	}
	dl, err := deadletter.Open(dlPath)
	if err != nil {
		return nil, err
	}
	defer dl.Close()

	var keys *integrity.KeySet
	if c.PublicKeys != "" {
		kf, err := os.Open(c.PublicKeys)
		if err != nil {
			return nil, fmt.Errorf("public keys: %w", err)
		}
		keys, err = integrity.LoadPublicKeys(kf)
		kf.Close()
		if err != nil {
			return nil, fmt.Errorf("public keys %s: %w", c.PublicKeys, err)
		}
	}
	var local []string
	var remote []scan.Remote
	for _, p := range c.Paths {
		if !strings.HasPrefix(p, "s3://") {
			local = append(local, p)
			continue
		}
		bucket, _, err := parseS3URL(p)
		if err != nil {
			return nil, err
		}
		objs, prefix, err := newS3Objects(ctx, p)
		if err != nil {
			return nil, err
		}
		remote = append(remote, scan.Remote{Base: "s3://" + bucket, Prefix: prefix, Bucket: bucket, Objects: objs})
	}
	opts := scan.Options{
		Paths: local, Remote: remote, Stdin: os.Stdin, Rules: set, Routes: routes, MinSeverity: minSev,
		Store: st, State: states, DeadLetter: dl, Rescan: c.Rescan, SilentAfter: silentAfter, Workers: c.Workers, Errors: g.stderr, Logger: log,
		PublicKeys: keys,
	}
	if c.Progress == "always" || (c.Progress == "auto" && isTerminal(g.stderr)) {
		bar := newBar(g.stderr)
		opts.Progress = bar.update
		defer bar.finish()
	}
	fmt.Fprintf(g.stderr, "trailwarden %s: %d rules, scanning %s\n", Version, len(set.Rules), strings.Join(c.Paths, " "))
	return scan.Run(ctx, opts)
}

// bar is the progress bar on stderr.
type bar struct {
	pb *progressbar.ProgressBar
}

func newBar(w io.Writer) *bar {
	pb := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
	)
	return &bar{pb: pb}
}

func (b *bar) update(p scan.Progress) {
	if b.pb.GetMax64() != p.TotalBytes && p.TotalBytes > 0 {
		b.pb.ChangeMax64(p.TotalBytes)
	}
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Events) / s
	}
	b.pb.Describe(fmt.Sprintf("files %d/%d · events %d · %.0f events/s", p.Files, p.TotalFiles, p.Events, rate))
	_ = b.pb.Set64(p.Bytes)
}

func (b *bar) finish() { _ = b.pb.Finish() }

// printSummary writes the end-of-scan summary.
func printSummary(w io.Writer, s *scan.Summary) {
	rate := 0.0
	if d := s.Duration.Seconds(); d > 0 {
		rate = float64(s.Events) / d
	}
	fmt.Fprintf(w, "\nscanned %d files (%d skipped as already read, %d digest/insight, %d ignored), %d events in %s (%.0f events/s)\n",
		s.Files, s.Skipped, s.Digests, s.Ignored, s.Events, s.Duration.Round(time.Millisecond), rate)
	total := 0
	var parts []string
	for sev := finding.Critical; sev >= finding.Info; sev-- {
		if n := s.Findings[sev]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sev))
			total += n
		}
	}
	if total == 0 {
		fmt.Fprintln(w, "findings: none")
	} else {
		fmt.Fprintf(w, "findings: %d (%s); %d new\n", total, strings.Join(parts, ", "), s.NewFindings)
	}
	if s.Silences > 0 {
		fmt.Fprintf(w, "delivery silences: %d (%d new); trailwarden coverage shows them\n", s.Silences, s.NewSilences)
	}
	if s.Redelivered > 0 {
		fmt.Fprintf(w, "redelivered %d findings left in the outbox by an earlier run\n", s.Redelivered)
	}
	for _, r := range s.Output.Routes {
		if r.Retried+r.DeadLettered+r.DeadLetterFailed+r.Abandoned > 0 {
			fmt.Fprintf(w, "output %s: %d sent, %d retried, %d dead-lettered (%d because it fell behind), %d dead-letter failures, %d abandoned\n",
				r.Output, r.Sent, r.Retried, r.DeadLettered, r.Spilled, r.DeadLetterFailed, r.Abandoned)
		}
	}
	for _, ir := range s.Integrity {
		r := ir.Report
		secs := r.Elapsed.Seconds()
		rate := 0.0
		if secs > 0 {
			rate = float64(r.HashedBytes) / secs / (1 << 20)
		}
		verdict := "all valid"
		if !r.OK() {
			var parts []string
			for v, n := range r.Counts {
				if v != integrity.Valid {
					parts = append(parts, fmt.Sprintf("%d %s", n, v))
				}
			}
			slices.Sort(parts)
			if len(r.Gaps) > 0 {
				parts = append(parts, fmt.Sprintf("%d chain gaps", len(r.Gaps)))
			}
			if r.Digests == 0 {
				parts = append(parts, "no digest found")
			}
			verdict = strings.Join(parts, ", ")
		}
		fmt.Fprintf(w, "integrity of %s: %d digests, %d log files (%.0f MiB hashed at %.0f MiB/s): %s\n",
			ir.Root, r.Digests, r.LogFiles, float64(r.HashedBytes)/(1<<20), rate, verdict)
	}
	if s.InputErrors > 0 {
		fmt.Fprintf(w, "input errors: %d (%d rejected records, the rest unreadable files; details above and in the dead-letter file)\n", s.InputErrors, s.Rejected)
	}
	if s.StateSteps > 0 || s.StateErrors > 0 {
		fmt.Fprintf(w, "resource state: %d events applied, %d new revisions; trailwarden inventory shows them\n", s.StateSteps, s.Revisions)
	}
	if s.StateErrors > 0 {
		fmt.Fprintf(w, "state errors: %d events whose changes could not be read (details above and in the dead-letter file)\n", s.StateErrors)
	}
	if s.RuleErrors > 0 {
		fmt.Fprintf(w, "rule evaluation errors: %d (each is logged above as \"rule evaluation failed\")\n", s.RuleErrors)
	}
	if rss := maxRSS(); rss > 0 {
		fmt.Fprintf(w, "peak memory: %.1f MiB\n", float64(rss)/(1<<20))
	}
}
