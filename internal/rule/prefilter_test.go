package rule

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/gen"
	"github.com/trailwarden/trailwarden/internal/rule/expr"
	"github.com/trailwarden/trailwarden/rules"
)

// prefilterCheck evaluates every subscribed rule's condition with and
// without its derived prefilter on each event.
type prefilterCheck struct {
	t        *testing.T
	rules    []*CELRule
	events   int
	rejected int // prefilter said no
}

func (c *prefilterCheck) Event(_ context.Context, e *event.Event) error {
	c.events++
	var s Scratch
	s.Begin(e)
	for _, r := range c.rules {
		if r.prefilter == nil || !r.meta.Match.Matches(e.Source, e.Name) {
			continue
		}
		if r.prefilter(e) {
			continue
		}
		c.rejected++
		s.act.SetParams(r.paramsVal)
		ok, err := r.cond.EvalBool(&s.act)
		if err != nil && !errors.Is(err, expr.ErrNoData) {
			c.t.Errorf("rule %s on %s: %v", r.meta.ID, e.ID, err)
		}
		if ok {
			c.t.Errorf("rule %s: the prefilter rejected event %s that the condition matches", r.meta.ID, e.ID)
		}
	}
	return nil
}

func (c *prefilterCheck) Reject(context.Context, *decode.RecordError) error { return nil }

// TestPrefilterIsSound checks, on the built-in rules over the real corpus and
// a generated trail, that a derived prefilter never rejects an event its
// condition would match.
func TestPrefilterIsSound(t *testing.T) {
	set, err := Load(LoadOptions{Sources: []Source{{Name: "builtin", FS: rules.FS, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	c := &prefilterCheck{t: t}
	for _, r := range set.Rules {
		if r.prefilter != nil {
			c.rules = append(c.rules, r)
		}
	}
	if len(c.rules) < 5 {
		t.Fatalf("only %d rules have a prefilter", len(c.rules))
	}
	dir := t.TempDir()
	if _, err := gen.Generate(context.Background(), gen.Options{Events: 20000, Seed: 3, Out: dir}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	d := decode.New(decode.Options{})
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decode(context.Background(), f, fh, c); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	if c.events < 22000 || c.rejected == 0 {
		t.Fatalf("checked %d events, %d prefilter rejections", c.events, c.rejected)
	}
	t.Logf("%d rules with prefilters, %d events, %d rejections checked", len(c.rules), c.events, c.rejected)
}
