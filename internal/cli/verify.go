package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwarden/trailwarden/internal/integrity"
)

// VerifyCmd validates CloudTrail log file integrity, as `aws cloudtrail
// validate-logs` does.
type VerifyCmd struct {
	Path       string `arg:"" name:"path" help:"The trail: a folder standing for the bucket (or any folder inside it), or s3://bucket/prefix."`
	PublicKeys string `help:"The output of 'aws cloudtrail list-public-keys' (JSON). Without it, the keys are asked of CloudTrail (ListPublicKeys, default AWS configuration)." type:"existingfile"`
	Start      string `help:"Verify the digests ending at or after this time (YYYY-MM-DD or RFC 3339, UTC)."`
	End        string `help:"Verify the digests ending at or before this time (YYYY-MM-DD: the day's end, or RFC 3339, UTC)."`
	Account    string `help:"Only this account."`
	Region     string `help:"Only this region."`
	Bucket     string `help:"The bucket the trail's digests must name (default: the s3:// bucket; for a folder, each digest's own)."`
	Format     string `help:"Output: text (a line per problem and a summary) or json (the whole report)." default:"text" enum:"text,json"`
	Workers    int    `help:"Files read at the same time." default:"8"`
}

// Run verifies: exit 0 when everything in range is valid, 1 when a problem
// is found (or nothing is in range), 2 when verification could not run.
func (c *VerifyCmd) Run(g *Globals) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := integrity.Options{Account: c.Account, Region: c.Region, Bucket: c.Bucket, Workers: c.Workers,
		Logger: newLogger(g)}
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

	var objs integrity.Objects
	if isS3URL(c.Path) {
		if objs, opts.Prefix, err = newS3Objects(ctx, c.Path); err != nil {
			return &exitError{ExitError, err}
		}
		if opts.Bucket == "" {
			opts.Bucket, _, _ = parseS3URL(c.Path)
		}
	} else {
		root, prefix, err := folderRoot(c.Path)
		if err != nil {
			return &exitError{ExitError, err}
		}
		objs, opts.Prefix = integrity.NewFolder(root), prefix
	}

	var keys *integrity.KeySet
	if c.PublicKeys != "" {
		if keys, err = loadPublicKeys(c.PublicKeys); err != nil {
			return &exitError{ExitError, err}
		}
	} else {
		opts.PublicKeys = func(ctx context.Context, regions []string, start, end time.Time) (*integrity.KeySet, error) {
			return cloudTrailPublicKeys(ctx, start, end, regions)
		}
	}

	r, err := integrity.Verify(ctx, objs, keys, opts)
	if err != nil {
		return &exitError{ExitError, err}
	}
	if c.Format == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return &exitError{ExitError, fmt.Errorf("write report: %w", err)}
		}
	} else {
		writeVerifyText(g.stdout, r)
	}
	switch {
	case r.Digests == 0:
		return &exitError{ExitFindings, fmt.Errorf("no digest file in range under %s: nothing was verified", c.Path)}
	case !r.OK():
		return &exitError{ExitFindings, nil}
	}
	return nil
}

func isS3URL(s string) bool { return len(s) >= 5 && strings.EqualFold(s[:5], "s3://") }

func loadPublicKeys(path string) (*integrity.KeySet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	keys, err := integrity.LoadPublicKeys(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// writeVerifyText writes a line per problem and per gap, then the summary.
func writeVerifyText(w io.Writer, r *integrity.Report) {
	for _, f := range r.Problems() {
		fmt.Fprintf(w, "%-15s %s: %s\n", f.Verdict, f.Key, f.Detail)
	}
	var uncovered time.Duration
	for _, g := range r.Gaps {
		from := "(no earlier digest)"
		if !g.Start.IsZero() {
			from = g.Start.Format(time.RFC3339)
			uncovered += g.End.Sub(g.Start)
		}
		trail := ""
		if g.Trail != "" {
			trail = " trail " + g.Trail
		}
		fmt.Fprintf(w, "%-15s %s %s%s: %s → %s", "gap", g.Account, g.Region, trail, from, g.End.Format(time.RFC3339))
		if !g.Start.IsZero() {
			fmt.Fprintf(w, " (%s)", g.End.Sub(g.Start))
		}
		fmt.Fprintf(w, ": %s\n", g.Detail)
	}

	accounts, regions := map[string]bool{}, map[string]bool{}
	for _, f := range r.Files {
		accounts[f.Account], regions[f.Region] = true, true
	}
	var counts []string
	for _, v := range integrity.Verdicts() {
		if n := r.Counts[v]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, v))
		}
	}
	if len(counts) == 0 {
		counts = []string{"nothing"}
	}
	fmt.Fprintf(w, "verified %d digests and %d log files in %d accounts × %d regions: %s\n",
		r.Digests, r.LogFiles, len(accounts), len(regions), strings.Join(counts, ", "))
	if len(r.Gaps) > 0 {
		fmt.Fprintf(w, "gaps: %d, %s uncovered\n", len(r.Gaps), uncovered)
	} else {
		fmt.Fprintln(w, "gaps: none")
	}
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "hashed %d log files: %.1f MB (%.1f MB gzip) in %s, %.1f MB/s\n", r.HashedFiles,
		float64(r.HashedBytes)/1e6, float64(r.ReadBytes)/1e6, r.Elapsed.Round(time.Millisecond), float64(r.HashedBytes)/1e6/max(secs, 1e-9))
	if r.OK() {
		fmt.Fprintln(w, "OK: every file in range is valid")
	}
}

// folderRoot finds the folder that stands for the bucket a path is in, and
// the key prefix to verify: a digest under path says where it sits in the
// bucket (digestS3Object), so path may be the bucket's folder or any folder
// inside it. A path inside an account's folder is widened to the account,
// as its chains span its regions' folders. Without a readable digest, the
// folder holding AWSLogs/ is taken, else path itself.
func folderRoot(path string) (root, prefix string, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", "", err
	}
	if !info.IsDir() {
		return "", "", fmt.Errorf("%s is not a folder", path)
	}
	root = rootFromDigest(abs)
	if root == "" {
		root = abs
		segs := strings.Split(filepath.ToSlash(abs), "/")
		if i := slices.Index(segs, "AWSLogs"); i > 0 {
			root = filepath.FromSlash(strings.Join(segs[:i], "/"))
			if root == "" {
				root = "/"
			}
		}
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == "." {
		return root, "", nil
	}
	segs := strings.Split(filepath.ToSlash(rel), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "CloudTrail") {
			segs = segs[:i]
			break
		}
	}
	if len(segs) == 0 {
		return root, "", nil
	}
	return root, strings.Join(segs, "/") + "/", nil
}

// rootFromDigest returns the bucket's folder as the first few digests under
// dir (or beside it, in its account's folder) place it, or "".
func rootFromDigest(dir string) string {
	search := dir
	// From inside CloudTrail/ or CloudTrail-Digest/, look from the account.
	segs := strings.Split(filepath.ToSlash(dir), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "CloudTrail") && i > 0 {
			search = filepath.FromSlash(strings.Join(segs[:i], "/"))
			break
		}
	}
	root, tried := "", 0
	stop := errors.New("stop")
	_ = filepath.WalkDir(search, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if n := d.Name(); strings.HasPrefix(n, "CloudTrail") && n != "CloudTrail-Digest" {
				return filepath.SkipDir // log files: no digest in there
			}
			return nil
		}
		if !strings.HasSuffix(p, ".json.gz") || !strings.Contains(filepath.ToSlash(p), "/CloudTrail-Digest/") {
			return nil
		}
		if tried++; tried > 10 {
			return stop
		}
		if r := digestRoot(p); r != "" {
			root = r
			return stop
		}
		return nil
	})
	return root
}

// digestRoot returns the folder the digest file at p places the bucket in:
// p minus its digestS3Object.
func digestRoot(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(zr, 64<<20)); err != nil {
		return ""
	}
	d, err := integrity.ParseDigest(buf.Bytes())
	if err != nil {
		return ""
	}
	slash := filepath.ToSlash(p)
	if !strings.HasSuffix(slash, "/"+d.S3Object) {
		return ""
	}
	root := strings.TrimSuffix(slash, "/"+d.S3Object)
	if root == "" {
		root = "/"
	}
	return filepath.FromSlash(root)
}
