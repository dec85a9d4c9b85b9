package route

import (
	"context"
	"fmt"
	"testing"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule"
)

// stubRule is a rule that only has a subscription (routing never evaluates).
type stubRule struct{ m rule.Meta }

func (s *stubRule) Meta() *rule.Meta { return &s.m }
func (s *stubRule) Eval(context.Context, *event.Event, *rule.Scratch) ([]*finding.Finding, error) {
	return nil, nil
}

func mk(id string, sources, names []string) rule.Rule {
	return &stubRule{m: rule.Meta{ID: id, Match: rule.Match{Sources: sources, Names: names}}}
}

func ids(rs []rule.Rule) string {
	s := ""
	for _, r := range rs {
		s += r.Meta().ID + " "
	}
	return s
}

func TestRoute(t *testing.T) {
	r := New([]rule.Rule{
		mk("exact", []string{"cloudtrail.amazonaws.com"}, []string{"StopLogging", "DeleteTrail"}),
		mk("glob-name", []string{"ec2.amazonaws.com"}, []string{"*SecurityGroup*"}),
		mk("all", []string{"*"}, nil),
		mk("glob-source", []string{"*.amazonaws.com"}, []string{"Delete*"}),
	})
	cases := map[[2]string]string{
		{"cloudtrail.amazonaws.com", "StopLogging"}:            "exact all ",
		{"cloudtrail.amazonaws.com", "DeleteTrail"}:            "exact all glob-source ",
		{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"}: "glob-name all ",
		{"ec2.amazonaws.com", "DescribeInstances"}:             "all ",
		{"signin.amazonaws.com", "ConsoleLogin"}:               "all ",
		{"s3.amazonaws.com", "DeleteBucket"}:                   "all glob-source ",
	}
	for i := 0; i < 2; i++ { // second pass hits the cache
		for k, want := range cases {
			if got := ids(r.Route(k[0], k[1])); got != want {
				t.Errorf("Route(%s, %s) = %q, want %q", k[0], k[1], got, want)
			}
		}
	}
}

func TestRouteCacheBounded(t *testing.T) {
	r := New([]rule.Rule{mk("all", []string{"*"}, nil)})
	for i := 0; i < MaxCached+100; i++ {
		if got := r.Route("s", fmt.Sprint(i)); len(got) != 1 {
			t.Fatal("lost a route")
		}
	}
	if n := r.cached.Load(); n > MaxCached {
		t.Fatalf("cache grew to %d", n)
	}
}

func benchRouter(b *testing.B, n int) {
	rules := []rule.Rule{mk("target", []string{"cloudtrail.amazonaws.com"}, []string{"StopLogging"})}
	for i := 0; i < n-1; i++ {
		rules = append(rules, mk(fmt.Sprint(i), []string{fmt.Sprintf("svc%d.amazonaws.com", i)}, []string{fmt.Sprintf("Op%d*", i)}))
	}
	r := New(rules)
	pairs := [][2]string{{"cloudtrail.amazonaws.com", "StopLogging"}, {"ec2.amazonaws.com", "DescribeInstances"}, {"s3.amazonaws.com", "GetObject"}, {"sts.amazonaws.com", "AssumeRole"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		r.Route(p[0], p[1])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkRoute10Rules(b *testing.B)   { benchRouter(b, 10) }
func BenchmarkRoute1000Rules(b *testing.B) { benchRouter(b, 1000) }
