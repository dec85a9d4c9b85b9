package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwarden/trailwarden/internal/gen"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/sqlitestate"
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
	fmt.Fprintf(g.stderr, "1/3 generating %d synthetic CloudTrail events (benign traffic and attack scenarios) in %s\n", c.Events, data)
	st, err := gen.Generate(ctx, gen.Options{Events: c.Events, Seed: c.Seed, Out: data, Digests: true})
	if err != nil {
		return &exitError{ExitError, err}
	}
	fmt.Fprintf(g.stderr, "    %d files, %d events, %d from attack scenarios, %d signed digest files\n", st.Files, st.Events, st.Attacks, st.Digests)
	if tampered, err := tamperOne(data); err != nil {
		return &exitError{ExitError, err}
	} else {
		fmt.Fprintf(g.stderr, "    and, to show integrity validation, one log file edited after delivery: %s\n", tampered)
	}
	fmt.Fprintf(g.stderr, "2/3 scanning them with the built-in rules, keeping the resource state\n")
	sc := &ScanCmd{
		Paths: []string{data}, Format: c.Format, MinSeverity: c.MinSeverity, FailOn: "never",
		Store: filepath.Join(dir, "trailwarden.db"), Progress: "never",
		PublicKeys: filepath.Join(data, gen.DemoKeysFile),
	}
	err = sc.Run(g)
	if err == nil {
		err = c.showState(ctx, g, filepath.Join(dir, "state.db"))
	}
	if c.Keep {
		fmt.Fprintf(g.stderr, "dataset and store kept in %s\n", dir)
	}
	return err
}

// showState prints the history and blame of the resource with the most
// revisions: what trailwarden inventory answers.
func (c *DemoCmd) showState(ctx context.Context, g *Globals, path string) error {
	st, err := sqlitestate.Open(ctx, path)
	if err != nil {
		return &exitError{ExitError, err}
	}
	list, err := st.List(ctx, state.Filter{})
	st.Close()
	if err != nil {
		return &exitError{ExitError, err}
	}
	if len(list) == 0 {
		return nil
	}
	best := list[0]
	for _, r := range list[1:] {
		if r.Revision > best.Revision {
			best = r
		}
	}
	key := best.Resource.Key()
	fmt.Fprintf(g.stderr, "\n3/3 the resource state: %d resources; the one changed most often, %s:\n", len(list), key)
	fmt.Fprintf(g.stdout, "$ trailwarden inventory history %s\n", best.Resource.ID)
	if err := (&InventoryHistoryCmd{inventoryOpts: inventoryOpts{State: path, Format: "text"}, ID: key}).Run(g); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "\n$ trailwarden inventory blame %s\n", best.Resource.ID)
	return (&InventoryBlameCmd{inventoryOpts: inventoryOpts{State: path, Format: "text"}, ID: key}).Run(g)
}

// tamperOne edits one log file of the generated trail the way an intruder
// hiding a call would (a record changed, the file still valid gzip JSON), and
// returns its path relative to root.
func tamperOne(root string) (string, error) {
	logs, err := filepath.Glob(filepath.Join(root, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	if err != nil || len(logs) == 0 {
		return "", fmt.Errorf("demo: no log file to edit (%v)", err)
	}
	slices.Sort(logs)
	path := logs[len(logs)/2]
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	b = bytes.Replace(b, []byte(`"sourceIPAddress":"`), []byte(`"sourceIPAddress":"10.`), 1)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		return "", err
	}
	rel, _ := filepath.Rel(root, path)
	return rel, nil
}
