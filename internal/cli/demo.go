package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/trailwarden/trailwarden/internal/gen"
)

// DemoCmd generates a small dataset and scans it.
type DemoCmd struct {
	Events      int    `help:"Number of synthetic events." default:"5000"`
	Seed        int64  `help:"Random seed." default:"7"`
	Format      string `help:"Findings on stdout: text (a table) or jsonl." default:"text" enum:"text,jsonl"`
	MinSeverity string `help:"Lowest severity shown (the summary counts every finding)." default:"medium" enum:"info,low,medium,high,critical"`
	Keep        bool   `help:"Keep the generated dataset and store (their folder is printed)."`
}

// Run runs the demo.
func (c *DemoCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := os.MkdirTemp("", "trailwarden-demo-")
	if err != nil {
		return &exitError{ExitError, err}
	}
	if !c.Keep {
		defer os.RemoveAll(dir)
	}
	data := filepath.Join(dir, "logs")
	fmt.Fprintf(g.stderr, "1/2 generating %d synthetic CloudTrail events (benign traffic and attack scenarios) in %s\n", c.Events, data)
	st, err := gen.Generate(ctx, gen.Options{Events: c.Events, Seed: c.Seed, Out: data})
	if err != nil {
		return &exitError{ExitError, err}
	}
	fmt.Fprintf(g.stderr, "    %d files, %d events, %d from attack scenarios\n", st.Files, st.Events, st.Attacks)
	fmt.Fprintf(g.stderr, "2/2 scanning them with the built-in rules\n")
	sc := &ScanCmd{
		Paths: []string{data}, Format: c.Format, MinSeverity: c.MinSeverity, FailOn: "never",
		Store: filepath.Join(dir, "trailwarden.db"), Progress: "never",
	}
	err = sc.Run(g)
	if c.Keep {
		fmt.Fprintf(g.stderr, "dataset and store kept in %s\n", dir)
	}
	return err
}
