package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// DownloadCmd copies a trail from S3 to a folder that verifies offline.
type DownloadCmd struct {
	Source   string   `arg:"" name:"s3-url" help:"The trail: s3://bucket or s3://bucket/prefix (the folder holding AWSLogs/)."`
	Dir      string   `arg:"" name:"dir" type:"path" help:"Folder to copy into; it stands for the bucket (keys keep their full path)."`
	Start    string   `help:"First day to copy (YYYY-MM-DD or RFC 3339, UTC); a day more is copied on each side for the digests covering the edges."`
	End      string   `help:"Last day to copy (YYYY-MM-DD or RFC 3339, UTC)."`
	Account  []string `help:"Only these accounts (repeat or comma-separate)."`
	Region   []string `help:"Only these regions (repeat or comma-separate)."`
	Parallel int      `help:"Objects fetched at once (at most 64)." default:"8"`
}

// Run downloads; a file that could not be copied makes the exit code 2,
// after every other file was copied.
func (c *DownloadCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := integrity.DownloadOptions{Accounts: c.Account, Regions: c.Region, Parallel: c.Parallel}
	var err error
	if opts.Start, err = parseDayOrTime(c.Start, false); err != nil {
		return &exitError{ExitError, fmt.Errorf("--start: %w", err)}
	}
	if opts.End, err = parseDayOrTime(c.End, true); err != nil {
		return &exitError{ExitError, fmt.Errorf("--end: %w", err)}
	}
	if !opts.Start.IsZero() && !opts.End.IsZero() && opts.End.Before(opts.Start) {
		return &exitError{ExitError, errors.New("--end is before --start")}
	}
	objs, prefix, err := newS3Objects(ctx, c.Source)
	if err != nil {
		return &exitError{ExitError, err}
	}
	began := time.Now()
	st, err := integrity.Download(ctx, objs, prefix, c.Dir, opts)
	fmt.Fprintf(g.stdout, "downloaded %d files (%.1f MiB), %d already present, %d failed, of %d objects listed, to %s in %s\n",
		st.Downloaded, float64(st.Bytes)/(1<<20), st.Skipped, st.Failed, st.Listed, c.Dir, time.Since(began).Round(time.Millisecond))
	if st.NoSignature > 0 {
		fmt.Fprintf(g.stdout, "%d digests have no signature metadata in S3 (copied without .sig; verify reports them)\n", st.NoSignature)
	}
	if err != nil {
		return &exitError{ExitError, err}
	}
	fmt.Fprintf(g.stdout, "verify offline with: trailwarden verify %s\n", c.Dir)
	return nil
}

// parseDayOrTime reads YYYY-MM-DD (the day's start, or with end its last
// instant) or an RFC 3339 time; "" is the zero time.
func parseDayOrTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			d = d.Add(24*time.Hour - time.Nanosecond)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither YYYY-MM-DD nor an RFC 3339 time", s)
	}
	return t.UTC(), nil
}
