package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/trailwarden/trailwarden/internal/config"
	"github.com/trailwarden/trailwarden/internal/coverage"
	"github.com/trailwarden/trailwarden/internal/store"
)

// CoverageCmd prints the delivery coverage of each account × region that
// scans recorded, its silences and the unmonitored regions.
type CoverageCmd struct {
	Store       string        `help:"SQLite file scans recorded coverage in (default: the config's, else ~/.local/state/trailwarden/trailwarden.db)." type:"path"`
	Format      string        `help:"Output: text (aligned tables) or json." default:"text" enum:"text,json"`
	SilentAfter time.Duration `help:"Report an account × region silent when it has no events for longer than this (default: the config's coverage.silent_after, else 1h)."`
}

// Run prints the coverage. It exits 1 when there are silent spans.
func (c *CoverageCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, reported, err := c.report(ctx, g)
	if err != nil {
		return &exitError{ExitError, err}
	}
	if c.Format == "json" {
		err = writeCoverageJSON(g.stdout, rep, reported)
	} else {
		err = writeCoverageText(g.stdout, rep, reported)
	}
	if err != nil {
		return &exitError{ExitError, err}
	}
	if len(rep.Silences()) > 0 {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// report reads the store and finds the silences.
func (c *CoverageCmd) report(ctx context.Context, g *Globals) (*coverage.Report, []store.ReportedSilence, error) {
	cfg, err := loadConfig(g)
	if err != nil {
		return nil, nil, err
	}
	after := c.SilentAfter
	if after == 0 {
		after = cfg.Coverage.SilentAfter
	}
	if after < 0 {
		return nil, nil, fmt.Errorf("--silent-after must not be negative, got %s", after)
	}
	path := storePath(c.Store, cfg)
	// Reading must not leave an empty store behind where none was.
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("no store at %s: scan some CloudTrail logs first, or name the store with --store", path)
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	rep, err := coverage.Analyze(ctx, db, coverage.Options{SilentAfter: after})
	if err != nil {
		return nil, nil, err
	}
	reported, err := db.Silences(ctx)
	if err != nil {
		return nil, nil, err
	}
	return rep, reported, nil
}

// storePath is the store a command uses: the flag's, the config's, or the
// default one in the state directory.
func storePath(flag string, cfg *config.Config) string {
	switch {
	case flag != "":
		return flag
	case cfg.Store != "":
		return cfg.Store
	}
	return filepath.Join(stateDir(), "trailwarden.db")
}

// stateStorePath is the resource state store a command uses: the flag's,
// the config's, else state.db beside the findings store.
func stateStorePath(flag string, cfg *config.Config) string {
	switch {
	case flag != "":
		return flag
	case cfg.StateStore != "":
		return cfg.StateStore
	}
	return filepath.Join(filepath.Dir(storePath("", cfg)), "state.db")
}

// reportedAs returns the id of the finding that reported a silence
// overlapping si, or "".
func reportedAs(si coverage.Silence, reported []store.ReportedSilence) string {
	for _, r := range reported {
		if r.Key == si.Key && r.Overlaps(si.Span) {
			return r.FindingID
		}
	}
	return ""
}

// stamp formats a time for the tables; "-" when unknown.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func hours(d time.Duration) string { return strconv.FormatFloat(d.Hours(), 'f', 1, 64) }

func writeCoverageText(w io.Writer, rep *coverage.Report, reported []store.ReportedSilence) error {
	if len(rep.Cells) == 0 {
		_, err := fmt.Fprintln(w, "No coverage recorded yet: scan CloudTrail log files kept in the AWS key layout (AWSLogs/<account>/CloudTrail/<region>/...).")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tFIRST EVENT\tLAST EVENT\tFILES\tEVENTS\tLAST FILE READ\tSILENT SPANS")
	for _, c := range rep.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\n", c.Account, c.Region, stamp(c.First), stamp(c.Last),
			c.Files, c.Events, stamp(c.LastFile), len(c.Gaps))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	silences := rep.Silences()
	fmt.Fprintf(w, "\nSilent spans (no events for longer than %s): ", rep.SilentAfter)
	if len(silences) == 0 {
		fmt.Fprintln(w, "none")
	} else {
		fmt.Fprintln(w, len(silences))
		fmt.Fprintln(tw, "ACCOUNT\tREGION\tSILENT FROM\tSILENT UNTIL\tHOURS\tOPEN\tFINDING")
		anyOpen := false
		for _, s := range silences {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Account, s.Region, stamp(s.Start), stamp(s.End),
				hours(s.Duration()), yesNo(s.Open), cmp.Or(reportedAs(s, reported), "not reported yet"))
			anyOpen = anyOpen || s.Open
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if anyOpen {
			fmt.Fprintln(w, "(open: no event since; the span ends at the account's newest event from any region)")
		}
	}

	fmt.Fprint(w, "\nUnmonitored regions (another account reported from them, this one never did): ")
	if len(rep.Unmonitored) == 0 {
		fmt.Fprintln(w, "none")
		return nil
	}
	fmt.Fprintln(w, len(rep.Unmonitored))
	fmt.Fprintln(tw, "ACCOUNT\tREGION")
	for _, k := range rep.Unmonitored {
		fmt.Fprintf(tw, "%s\t%s\n", k.Account, k.Region)
	}
	return tw.Flush()
}

// The JSON shape of `coverage --format json`.
type (
	coverageJSON struct {
		SilentAfter string        `json:"silent_after"`
		Cells       []cellJSON    `json:"cells"`
		Silences    int           `json:"silences"`
		Unmonitored []coverageKey `json:"unmonitored"`
	}
	cellJSON struct {
		Account    string        `json:"account"`
		Region     string        `json:"region"`
		FirstEvent string        `json:"first_event,omitempty"`
		LastEvent  string        `json:"last_event,omitempty"`
		Files      int64         `json:"files"`
		Events     int64         `json:"events"`
		LastFileAt string        `json:"last_file_at,omitempty"`
		Horizon    string        `json:"horizon,omitempty"`
		Silences   []silenceJSON `json:"silences"`
	}
	silenceJSON struct {
		From      string  `json:"silent_from"`
		Until     string  `json:"silent_until"`
		Hours     float64 `json:"hours"`
		Open      bool    `json:"open"`
		FindingID string  `json:"finding_id,omitempty"`
	}
	coverageKey struct {
		Account string `json:"account"`
		Region  string `json:"region"`
	}
)

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func writeCoverageJSON(w io.Writer, rep *coverage.Report, reported []store.ReportedSilence) error {
	out := coverageJSON{SilentAfter: rep.SilentAfter.String(), Cells: []cellJSON{}, Unmonitored: []coverageKey{}}
	for _, c := range rep.Cells {
		cj := cellJSON{Account: c.Account, Region: c.Region, FirstEvent: rfc3339(c.First), LastEvent: rfc3339(c.Last),
			Files: c.Files, Events: c.Events, LastFileAt: rfc3339(c.LastFile), Horizon: rfc3339(c.Horizon), Silences: []silenceJSON{}}
		for _, g := range c.Gaps {
			h, _ := strconv.ParseFloat(hours(g.Duration()), 64)
			cj.Silences = append(cj.Silences, silenceJSON{From: rfc3339(g.Start), Until: rfc3339(g.End), Hours: h, Open: g.Open,
				FindingID: reportedAs(coverage.Silence{Key: c.Key, Gap: g}, reported)})
		}
		out.Silences += len(c.Gaps)
		out.Cells = append(out.Cells, cj)
	}
	for _, k := range rep.Unmonitored {
		out.Unmonitored = append(out.Unmonitored, coverageKey{k.Account, k.Region})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}
