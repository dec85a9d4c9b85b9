// Package coverage tells, per AWS account × region, which spans of time
// CloudTrail delivered events for, and where it went silent.
//
// CloudTrail delivers a log file for each account and region about every
// five minutes while there is activity. A long silence in a region that is
// otherwise busy (or in one account while the others carry on) is what a
// stopped, deleted or redirected trail looks like from the bucket, and a
// region no account's trail reports from is where an attacker goes unseen.
//
// The package is pure logic over what the store knows of each log file: the
// span of event times it held. Gaps between the merged spans of a cell that
// are longer than a threshold are silences. In batch mode there is no wall
// clock to compare against (an old trail would be "silent until today"), so
// each account's horizon is the newest event seen from any of its regions:
// a region whose events stop while the account's other regions go on is
// silent up to that horizon.
package coverage

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// DefaultSilentAfter is the silence threshold when none is configured: an
// hour without events, where CloudTrail delivers every five minutes.
const DefaultSilentAfter = time.Hour

// Key names a cell of the coverage matrix: one account's trail in one region.
type Key struct {
	Account string
	Region  string
}

// String returns "account/region".
func (k Key) String() string { return k.Account + "/" + k.Region }

// compare orders keys by account, then region.
func (k Key) compare(o Key) int {
	return cmp.Or(cmp.Compare(k.Account, o.Account), cmp.Compare(k.Region, o.Region))
}

// Span is a closed interval of event times: the oldest and newest event of
// a log file, or a merged run of them.
type Span struct {
	Start time.Time
	End   time.Time
}

// Duration returns End - Start.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Overlaps reports whether s and o share at least an instant.
func (s Span) Overlaps(o Span) bool { return !s.End.Before(o.Start) && !o.End.Before(s.Start) }

// Gap is a silence in one cell: no event between Start (the last event
// before it) and End (the first event after it).
type Gap struct {
	Span
	// Open is set when no event came after Start: End is then the account's
	// horizon, and the silence may still be going on.
	Open bool
}

// Silence is a gap in a named cell.
type Silence struct {
	Key
	Gap
}

// String returns the cell and the span, in UTC.
func (s Silence) String() string {
	return fmt.Sprintf("%s: %s to %s", s.Key, s.Start.UTC().Format(time.RFC3339), s.End.UTC().Format(time.RFC3339))
}

// Gaps returns the silences longer than after among files, the event-time
// spans of one cell's log files, oldest first. The files may come in any
// order and overlap; a span whose End is before its Start is read the other
// way round. When the newest event of the cell is more than after before
// horizon, the silence from it up to horizon is the last gap, Open. A gap of
// exactly after is not a silence. files is not modified.
func Gaps(files []Span, horizon time.Time, after time.Duration) []Gap {
	if len(files) == 0 {
		return nil
	}
	spans := make([]Span, len(files))
	for i, s := range files {
		if s.End.Before(s.Start) {
			s.Start, s.End = s.End, s.Start
		}
		spans[i] = s
	}
	slices.SortFunc(spans, func(a, b Span) int { return a.Start.Compare(b.Start) })

	var gaps []Gap
	covered := spans[0].End // the newest event time seen so far, in order
	for _, s := range spans[1:] {
		if s.Start.Sub(covered) > after {
			gaps = append(gaps, Gap{Span: Span{Start: covered, End: s.Start}})
		}
		if s.End.After(covered) {
			covered = s.End
		}
	}
	if horizon.Sub(covered) > after {
		gaps = append(gaps, Gap{Span: Span{Start: covered, End: horizon}, Open: true})
	}
	return gaps
}

// Cell is what is known of one account × region.
type Cell struct {
	Key
	// First and Last are the oldest and newest event times seen (zero when
	// its files held no events).
	First, Last time.Time
	// Files and Events count the log files recorded and their events.
	Files, Events int64
	// LastFile is when the most recently processed file was processed.
	LastFile time.Time
}

// Horizons returns each account's horizon: the newest event seen from any
// of its regions.
func Horizons(cells []Cell) map[string]time.Time {
	h := make(map[string]time.Time)
	for _, c := range cells {
		if c.Last.After(h[c.Account]) {
			h[c.Account] = c.Last
		}
	}
	return h
}

// Unmonitored returns the cells no log file came from although another
// account reported from their region: for each account, the regions some
// other account uses that it never reported. They are sorted by account,
// then region.
func Unmonitored(cells []Cell) []Key {
	regions := map[string]bool{}
	have := map[Key]bool{}
	accounts := map[string]bool{}
	for _, c := range cells {
		regions[c.Region] = true
		have[c.Key] = true
		accounts[c.Account] = true
	}
	var out []Key
	for a := range accounts {
		for r := range regions {
			if k := (Key{a, r}); !have[k] {
				out = append(out, k)
			}
		}
	}
	slices.SortFunc(out, Key.compare)
	return out
}

// Source is where Analyze reads the coverage recorded so far; the store
// implements it.
type Source interface {
	// Coverage returns every cell.
	Coverage(ctx context.Context) ([]Cell, error)
	// FileSpans returns the event-time spans of the log files of cell k
	// that held events, in any order.
	FileSpans(ctx context.Context, k Key) ([]Span, error)
}

// CellReport is one cell with its silences.
type CellReport struct {
	Cell
	// Horizon is the account's horizon the cell was judged against.
	Horizon time.Time
	Gaps    []Gap
}

// Report is the coverage matrix with its silences.
type Report struct {
	// SilentAfter is the threshold the gaps were found with.
	SilentAfter time.Duration
	// Cells are sorted by account, then region.
	Cells []CellReport
	// Unmonitored lists the regions each account never reported from,
	// while another account did.
	Unmonitored []Key
}

// Silences returns the gaps of every cell, in the order of Cells.
func (r *Report) Silences() []Silence {
	var out []Silence
	for _, c := range r.Cells {
		for _, g := range c.Gaps {
			out = append(out, Silence{Key: c.Key, Gap: g})
		}
	}
	return out
}

// Options narrow what Analyze looks at.
type Options struct {
	// SilentAfter is the threshold; zero means DefaultSilentAfter.
	SilentAfter time.Duration
	// Accounts, when not empty, limits the gaps looked for to these
	// accounts' cells (say, the accounts a scan read files from); every
	// cell is still listed, and Unmonitored still covers every account.
	Accounts []string
}

// Analyze reads the cells of src and finds the silences of each.
func Analyze(ctx context.Context, src Source, o Options) (*Report, error) {
	if o.SilentAfter < 0 {
		return nil, fmt.Errorf("coverage: negative silence threshold %s", o.SilentAfter)
	}
	if o.SilentAfter == 0 {
		o.SilentAfter = DefaultSilentAfter
	}
	cells, err := src.Coverage(ctx)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	slices.SortFunc(cells, func(a, b Cell) int { return a.Key.compare(b.Key) })
	horizons := Horizons(cells)
	only := make(map[string]bool, len(o.Accounts))
	for _, a := range o.Accounts {
		only[a] = true
	}
	r := &Report{SilentAfter: o.SilentAfter, Unmonitored: Unmonitored(cells)}
	for _, c := range cells {
		cr := CellReport{Cell: c, Horizon: horizons[c.Account]}
		if len(only) == 0 || only[c.Account] {
			spans, err := src.FileSpans(ctx, c.Key)
			if err != nil {
				return nil, fmt.Errorf("coverage: %s: %w", c.Key, err)
			}
			cr.Gaps = Gaps(spans, cr.Horizon, o.SilentAfter)
		}
		r.Cells = append(r.Cells, cr)
	}
	return r, nil
}
