package coverage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// at returns t0 plus minutes.
func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// span returns the span of minutes [a, b] after t0.
func span(a, b int) Span { return Span{Start: at(a), End: at(b)} }

func closed(a, b int) Gap { return Gap{Span: span(a, b)} }
func open(a, b int) Gap   { return Gap{Span: span(a, b), Open: true} }

func TestGaps(t *testing.T) {
	tests := []struct {
		name    string
		files   []Span
		horizon int // minutes after t0
		after   time.Duration
		want    []Gap
	}{
		{name: "no files", horizon: 600, after: time.Hour},
		{name: "contiguous five-minute files",
			files: []Span{span(0, 4), span(5, 9), span(10, 14), span(15, 19)}, horizon: 19, after: time.Hour},
		{name: "one-file cell, the horizon close", files: []Span{span(0, 4)}, horizon: 64, after: time.Hour},
		{name: "one-file cell, the account went on without it",
			files: []Span{span(0, 4)}, horizon: 65, after: time.Hour, want: []Gap{open(4, 65)}},
		{name: "one-file cell, the horizon before it (another account's clock)", files: []Span{span(0, 4)}, horizon: 0, after: time.Hour},
		{name: "gap of exactly the threshold is not silent",
			files: []Span{span(0, 10), span(70, 80)}, horizon: 80, after: time.Hour},
		{name: "gap a minute over the threshold",
			files: []Span{span(0, 10), span(71, 80)}, horizon: 80, after: time.Hour, want: []Gap{closed(10, 71)}},
		{name: "gap a nanosecond over the threshold",
			files: []Span{span(0, 10), {Start: at(70).Add(time.Nanosecond), End: at(80)}}, horizon: 80, after: time.Hour,
			want: []Gap{{Span: Span{Start: at(10), End: at(70).Add(time.Nanosecond)}}}},
		{name: "threshold of two hours",
			files: []Span{span(0, 10), span(100, 110), span(300, 310)}, horizon: 310, after: 2 * time.Hour,
			want: []Gap{closed(110, 300)}},
		{name: "overlapping files cover the gap between their starts",
			// the long file covers 0-200: the 150 start is no gap after 10
			files: []Span{span(0, 200), span(5, 10), span(150, 160), span(230, 240)}, horizon: 240, after: time.Hour},
		{name: "a file nested in another does not shorten the coverage",
			files: []Span{span(0, 100), span(20, 30), span(200, 210)}, horizon: 210, after: time.Hour,
			want: []Gap{closed(100, 200)}},
		{name: "out of order files",
			files: []Span{span(300, 305), span(0, 5), span(200, 205), span(5, 10), span(100, 104)}, horizon: 305, after: time.Hour,
			want: []Gap{closed(10, 100), closed(104, 200), closed(205, 300)}},
		{name: "a span given backwards",
			files: []Span{span(10, 0), span(100, 110)}, horizon: 110, after: time.Hour, want: []Gap{closed(10, 100)}},
		{name: "identical files",
			files: []Span{span(0, 5), span(0, 5), span(0, 5)}, horizon: 5, after: time.Hour},
		{name: "a closed gap and an open one",
			files: []Span{span(0, 5), span(180, 185)}, horizon: 400, after: time.Hour,
			want: []Gap{closed(5, 180), open(185, 400)}},
		{name: "zero threshold: any gap",
			files: []Span{span(0, 5), span(5, 10), span(11, 12)}, horizon: 12, after: 0, want: []Gap{closed(10, 11)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]Span(nil), tt.files...)
			got := Gaps(tt.files, at(tt.horizon), tt.after)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("gaps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(in, tt.files); diff != "" {
				t.Errorf("files modified:\n%s", diff)
			}
		})
	}
}

func TestSpanOverlaps(t *testing.T) {
	for _, tc := range []struct {
		a, b Span
		want bool
	}{
		{span(0, 10), span(5, 15), true},
		{span(0, 10), span(10, 20), true}, // a shared instant
		{span(0, 10), span(11, 20), false},
		{span(0, 100), span(20, 30), true},
		{span(20, 30), span(0, 100), true},
	} {
		if got := tc.a.Overlaps(tc.b); got != tc.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := tc.b.Overlaps(tc.a); got != tc.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func cell(account, region string, last int) Cell {
	return Cell{Key: Key{account, region}, First: at(0), Last: at(last), Files: 1, Events: 1}
}

func TestHorizonsAndUnmonitored(t *testing.T) {
	tests := []struct {
		name     string
		cells    []Cell
		horizons map[string]time.Time
		unmon    []Key
	}{
		{name: "none", horizons: map[string]time.Time{}},
		{name: "one account", cells: []Cell{cell("111", "us-east-1", 10), cell("111", "eu-west-1", 30)},
			horizons: map[string]time.Time{"111": at(30)}},
		{name: "each account misses the other's region",
			cells:    []Cell{cell("222", "us-east-1", 50), cell("111", "us-east-1", 10), cell("111", "eu-west-1", 30), cell("333", "ap-south-1", 5)},
			horizons: map[string]time.Time{"111": at(30), "222": at(50), "333": at(5)},
			unmon:    []Key{{"111", "ap-south-1"}, {"222", "ap-south-1"}, {"222", "eu-west-1"}, {"333", "eu-west-1"}, {"333", "us-east-1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.horizons, Horizons(tt.cells)); diff != "" {
				t.Errorf("horizons (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.unmon, Unmonitored(tt.cells)); diff != "" {
				t.Errorf("unmonitored (-want +got):\n%s", diff)
			}
		})
	}
}

// memSource is a Source over fixed files.
type memSource struct {
	files map[Key][]Span
	err   error
}

func (m *memSource) Coverage(context.Context) ([]Cell, error) {
	if m.err != nil {
		return nil, m.err
	}
	var cells []Cell
	for k, fs := range m.files {
		c := Cell{Key: k, Files: int64(len(fs))}
		for _, s := range fs {
			if c.First.IsZero() || s.Start.Before(c.First) {
				c.First = s.Start
			}
			if s.End.After(c.Last) {
				c.Last = s.End
			}
		}
		cells = append(cells, c)
	}
	return cells, nil
}

func (m *memSource) FileSpans(_ context.Context, k Key) ([]Span, error) { return m.files[k], nil }

func TestAnalyze(t *testing.T) {
	a, b := "111122223333", "444455556666"
	src := &memSource{files: map[Key][]Span{
		{a, "us-east-1"}: {span(0, 5), span(5, 10), span(300, 305), span(600, 605)}, // silent 10-300
		{a, "eu-west-1"}: {span(0, 5), span(5, 200)},                                // stops at 200, the account goes on to 605
		{b, "us-east-1"}: {span(0, 5), span(40, 45)},                                // b's own horizon is 45
	}}
	tests := []struct {
		name string
		o    Options
		want []Silence
	}{
		{name: "default threshold", want: []Silence{
			{Key{a, "eu-west-1"}, open(200, 605)},
			{Key{a, "us-east-1"}, closed(10, 300)},
			{Key{a, "us-east-1"}, closed(305, 600)},
		}},
		{name: "five hours", o: Options{SilentAfter: 5 * time.Hour}, want: []Silence{
			{Key{a, "eu-west-1"}, open(200, 605)},
		}},
		{name: "thirty minutes, account b only", o: Options{SilentAfter: 30 * time.Minute, Accounts: []string{b}}, want: []Silence{
			{Key{b, "us-east-1"}, closed(5, 40)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Analyze(t.Context(), src, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, r.Silences()); diff != "" {
				t.Errorf("silences (-want +got):\n%s", diff)
			}
			var keys []Key
			for _, c := range r.Cells {
				keys = append(keys, c.Key)
			}
			if diff := cmp.Diff([]Key{{a, "eu-west-1"}, {a, "us-east-1"}, {b, "us-east-1"}}, keys); diff != "" {
				t.Errorf("cells (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]Key{{b, "eu-west-1"}}, r.Unmonitored); diff != "" {
				t.Errorf("unmonitored (-want +got):\n%s", diff)
			}
			want := tt.o.SilentAfter
			if want == 0 {
				want = DefaultSilentAfter
			}
			if r.SilentAfter != want {
				t.Errorf("SilentAfter = %s, want %s", r.SilentAfter, want)
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		if _, err := Analyze(t.Context(), src, Options{SilentAfter: -time.Second}); err == nil {
			t.Error("negative threshold accepted")
		}
		boom := errors.New("disk on fire")
		if _, err := Analyze(t.Context(), &memSource{err: boom}, Options{}); !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "coverage: ") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestSilenceString(t *testing.T) {
	s := Silence{Key{"111122223333", "eu-west-1"}, closed(60, 240)}
	if got, want := s.String(), "111122223333/eu-west-1: 2024-03-04T01:00:00Z to 2024-03-04T04:00:00Z"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
