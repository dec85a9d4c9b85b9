package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/trailwarden/trailwarden/internal/gen"
)

// GenCmd writes a synthetic dataset.
type GenCmd struct {
	Events int    `help:"Number of events." default:"100000"`
	Seed   int64  `help:"Random seed: the same seed writes the same files." default:"1"`
	Out    string `help:"Output directory (the AWSLogs/ tree is written under it)." required:"" type:"path"`
	Digest bool   `help:"Also write signed CloudTrail digest files (demo key) and the public-keys file, for trailwarden verify." name:"digests"`
}

// Run generates.
func (c *GenCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	st, err := gen.Generate(ctx, gen.Options{Events: c.Events, Seed: c.Seed, Out: c.Out, Digests: c.Digest})
	if err != nil {
		return &exitError{ExitError, err}
	}
	fmt.Fprintf(g.stdout, "wrote %d events (%d from attack scenarios) in %d files, %.1f MiB gzip, to %s in %s\n",
		st.Events, st.Attacks, st.Files, float64(st.Bytes)/(1<<20), c.Out, time.Since(start).Round(time.Millisecond))
	if st.Digests > 0 {
		fmt.Fprintf(g.stdout, "wrote %d signed digest files; public keys in %s\n", st.Digests, filepath.Join(c.Out, gen.DemoKeysFile))
	}
	if len(st.ByScenario) > 0 {
		names := make([]string, 0, len(st.ByScenario))
		for k := range st.ByScenario {
			names = append(names, k)
		}
		slices.Sort(names)
		fmt.Fprintf(g.stdout, "attack scenarios: %d kinds (", len(names))
		for i, n := range names {
			if i > 0 {
				fmt.Fprint(g.stdout, ", ")
			}
			fmt.Fprintf(g.stdout, "%s %d", n, st.ByScenario[n])
		}
		fmt.Fprintln(g.stdout, ")")
	}
	return nil
}
