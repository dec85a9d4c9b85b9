// Package gen generates realistic, reproducible synthetic CloudTrail
// datasets: log files laid out and shaped as AWS delivers them, with benign
// traffic from a simulated organisation and attack scenarios woven in.
//
// The same Options always produce byte-identical files, however many
// workers write them: every file is generated from its own random stream,
// derived from the seed and the file's place in a plan made up front.
// Memory stays flat: no more than one file per worker is held at a time.
//
// It backs `trailwarden gen`, the `trailwarden demo` dataset and the
// benchmarks.
package gen

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options says what to generate. Only Events and Out are required.
type Options struct {
	// Events is the exact number of records to write.
	Events int
	// Seed selects the dataset; the same seed gives the same files.
	Seed int64
	// Out is the directory the AWSLogs/ tree is written under. Existing
	// files of the same name are overwritten.
	Out string
	// Accounts are the 12-digit account ids of the organisation. Default:
	// three ids derived from the seed.
	Accounts []string
	// Regions are the regions the organisation uses, busiest first.
	// Default: us-east-1, eu-west-1, us-west-2. Global services (IAM, STS's
	// global endpoint, CloudFront, Organizations, sign-in) are logged in
	// us-east-1 whatever this says, as AWS does.
	Regions []string
	// Start is when the dataset begins. Default: 2024-03-04T00:00:00Z (a
	// Monday).
	Start time.Time
	// Duration is the span of eventTime. Default: about a day per 200,000
	// events, at least two hours.
	Duration time.Duration
	// AttackRate is the share of records that belong to attack scenarios.
	// Zero picks a default that gives a 2,000-event dataset several dozen
	// and a million-event one thousands; a negative rate disables attacks.
	AttackRate float64
	// Digests also writes CloudTrail digest files (CloudTrail-Digest/, one
	// per account, region and hour, chained and signed with a published demo
	// key, the signature in a "<digest>.sig" sidecar) and the demo public-keys
	// file DemoKeysFile, so the trail can be verified.
	Digests bool
	// Bucket is the bucket name the digests record (default DefaultBucket).
	Bucket string
	// Workers is how many files are written at once. Default: GOMAXPROCS.
	// It changes the speed, never the output.
	Workers int
}

// Stats describes a generated dataset.
type Stats struct {
	Files  int
	Events int
	// Attacks is the number of records emitted by attack scenarios.
	Attacks int
	// Bytes is the compressed size of all files.
	Bytes int64
	// Digests is the number of digest files written (Options.Digests).
	Digests int
	// ByScenario counts the records each scenario emitted, by name (see
	// ScenarioNames). It sums to Attacks.
	ByScenario map[string]int
}

// DefaultStart is the default Options.Start.
var DefaultStart = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// DefaultRegions is the default Options.Regions.
var DefaultRegions = []string{"us-east-1", "eu-west-1", "us-west-2"}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// withDefaults validates o and returns it with defaults filled in.
func (o Options) withDefaults() (Options, error) {
	if o.Events <= 0 {
		return o, fmt.Errorf("events must be positive, got %d", o.Events)
	}
	if o.Out == "" {
		return o, errors.New("output directory is required")
	}
	if o.AttackRate > 1 {
		return o, fmt.Errorf("attack rate must be at most 1, got %g", o.AttackRate)
	}
	if o.Duration < 0 {
		return o, fmt.Errorf("duration must not be negative, got %s", o.Duration)
	}
	if len(o.Accounts) == 0 {
		r := newRNG(o.Seed, 0)
		for range 3 {
			o.Accounts = append(o.Accounts, accountID(r))
		}
	}
	for _, a := range o.Accounts {
		if !accountRE.MatchString(a) {
			return o, fmt.Errorf("account id %q is not 12 digits", a)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(o.Accounts)))) != len(o.Accounts) {
		return o, errors.New("account ids must be distinct")
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions
	}
	for _, r := range o.Regions {
		if !regionRE.MatchString(r) {
			return o, fmt.Errorf("region %q is not a region name", r)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(o.Regions)))) != len(o.Regions) {
		return o, errors.New("regions must be distinct")
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	o.Start = o.Start.UTC().Truncate(time.Second)
	if o.Duration == 0 {
		o.Duration = max(2*time.Hour, time.Duration(float64(24*time.Hour)*float64(o.Events)/200_000).Round(time.Minute))
	}
	if o.Duration < 10*time.Minute {
		return o, fmt.Errorf("duration must be at least 10m, got %s", o.Duration)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// Generate writes the dataset o describes. On error, or when ctx is done,
// it stops writing and returns; files already written stay.
func Generate(ctx context.Context, o Options) (Stats, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Stats{}, fmt.Errorf("gen: %w", err)
	}
	w := newWorld(o.Seed, o.Accounts, o.Regions)
	p := newPlan(&o, w)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, events atomic.Int64
	var size atomic.Int64
	var wg sync.WaitGroup
	entries := make([]logEntry, len(p.files)) // each written by one worker
	for range min(o.Workers, len(p.files)) {
		wg.Go(func() {
			wr := newWriter(p, w, o.Out)
			wr.digests = o.Digests
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(p.files) {
					return
				}
				n, b, err := wr.write(&p.files[i], &entries[i])
				if err != nil {
					cancel(err)
					return
				}
				events.Add(int64(n))
				size.Add(b)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return Stats{}, fmt.Errorf("gen: %w", err)
	}
	if int(events.Load()) != o.Events {
		return Stats{}, fmt.Errorf("gen: wrote %d events, planned %d", events.Load(), o.Events)
	}
	st := Stats{
		Files: len(p.files), Events: o.Events, Attacks: p.attacks, Bytes: size.Load(),
		ByScenario: p.byScenario,
	}
	if o.Digests {
		start, end := o.Start.Unix(), o.Start.Unix()
		for _, e := range entries {
			end = max(end, e.delivery)
		}
		n, err := writeDigests(&o, entries, start, end)
		if err != nil {
			return Stats{}, fmt.Errorf("gen: %w", err)
		}
		st.Digests = n
	}
	return st, nil
}
