package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/trailwarden/trailwarden/internal/deadletter"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/output"
)

// DeadletterCmd groups the dead-letter commands.
type DeadletterCmd struct {
	List   DeadletterListCmd   `cmd:"" help:"List the dead-letter entries."`
	Replay DeadletterReplayCmd `cmd:"" help:"Send dead-lettered findings to their outputs again; keep only what still fails."`
}

// DeadletterListCmd lists entries.
type DeadletterListCmd struct {
	File string `arg:"" optional:"" help:"Dead-letter file (default: the config's, else beside the default store)." type:"path"`
}

// DeadletterReplayCmd replays findings.
type DeadletterReplayCmd struct {
	File string `arg:"" optional:"" help:"Dead-letter file (default: the config's, else beside the default store)." type:"path"`
}

func deadletterPath(g *Globals, arg string) (string, error) {
	if arg != "" {
		return arg, nil
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return "", err
	}
	if cfg.DeadLetter != "" {
		return cfg.DeadLetter, nil
	}
	if cfg.Store != "" {
		return filepath.Join(filepath.Dir(cfg.Store), "deadletter.jsonl"), nil
	}
	return filepath.Join(stateDir(), "deadletter.jsonl"), nil
}

// Run lists.
func (c *DeadletterListCmd) Run(g *Globals) error {
	path, err := deadletterPath(g, c.File)
	if err != nil {
		return &exitError{ExitError, err}
	}
	entries, err := deadletter.Read(path)
	if err != nil {
		return &exitError{ExitError, err}
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tOUTPUT\tATTEMPTS\tWHAT\tERROR")
	for _, e := range entries {
		what := e.Origin
		if e.Finding != nil {
			what = e.Finding.ID + " " + e.Finding.RuleID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", e.Time.Format(time.RFC3339), e.Kind, e.Output, e.Attempts, what, e.Error)
	}
	tw.Flush()
	fmt.Fprintf(g.stdout, "%d entries in %s\n", len(entries), path)
	return nil
}

// Run replays.
func (c *DeadletterReplayCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	path, err := deadletterPath(g, c.File)
	if err != nil {
		return &exitError{ExitError, err}
	}
	cfg, err := loadConfig(g)
	if err != nil {
		return &exitError{ExitError, err}
	}
	unlock, err := deadletter.Lock(path)
	if err != nil {
		return &exitError{ExitError, err}
	}
	defer unlock()
	entries, err := deadletter.Read(path)
	if err != nil {
		return &exitError{ExitError, err}
	}
	outCfgs := cfg.Outputs
	if len(outCfgs) == 0 {
		outCfgs = []output.Config{{Type: "stdout"}}
	}
	routes, err := output.Build(outCfgs, g.stdout, Version)
	if err != nil {
		return &exitError{ExitError, err}
	}
	byName := map[string]output.Output{}
	for _, r := range routes {
		byName[r.Output.Name()] = r.Output
	}
	defer func() {
		for _, r := range routes {
			_ = r.Output.Close(context.WithoutCancel(ctx))
		}
	}()
	var keep []deadletter.Entry
	sent := 0
	for _, e := range entries {
		if e.Kind != deadletter.KindFinding || e.Finding == nil {
			keep = append(keep, e) // quarantined records stay for a human
			continue
		}
		out, ok := byName[e.Output]
		if !ok {
			fmt.Fprintf(g.stderr, "finding %s: output %q is not configured; kept\n", e.Finding.ID, e.Output)
			keep = append(keep, e)
			continue
		}
		if err := sendOnce(ctx, out, e.Finding); err != nil {
			e.Attempts++
			e.Error = err.Error()
			e.Time = time.Now().UTC()
			keep = append(keep, e)
			fmt.Fprintf(g.stderr, "finding %s to %s: %v; kept\n", e.Finding.ID, e.Output, err)
			continue
		}
		sent++
	}
	if err := deadletter.Rewrite(path, keep); err != nil {
		return &exitError{ExitError, err}
	}
	fmt.Fprintf(g.stdout, "replayed %d findings; %d entries remain in %s\n", sent, len(keep), path)
	if sent < countFindings(entries) {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func sendOnce(ctx context.Context, o output.Output, f *finding.Finding) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return o.Send(ctx, f)
}

func countFindings(es []deadletter.Entry) int {
	n := 0
	for _, e := range es {
		if e.Kind == deadletter.KindFinding && e.Finding != nil {
			n++
		}
	}
	return n
}
