package engine_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/engine"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/gen"
	"github.com/trailwarden/trailwarden/internal/rule"
	"github.com/trailwarden/trailwarden/rules"
)

func builtin(tb testing.TB) []rule.Rule {
	tb.Helper()
	set, err := rule.Load(rule.LoadOptions{Sources: []rule.Source{{Name: "builtin", FS: rules.FS}}, SkipTests: true})
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]rule.Rule, len(set.Rules))
	for i, r := range set.Rules {
		out[i] = r
	}
	return out
}

func corpus(tb testing.TB) [][]byte {
	tb.Helper()
	files, _ := filepath.Glob("../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		tb.Fatal("shared corpus missing (../shared/corpora)")
	}
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

type evalHandler struct {
	w     *engine.Worker
	found []*finding.Finding
	errs  []error
}

func (h *evalHandler) Event(ctx context.Context, e *event.Event) error {
	var errs []error
	h.found, errs = h.w.Eval(ctx, e, h.found)
	h.errs = append(h.errs, errs...)
	return nil
}

func (h *evalHandler) Reject(_ context.Context, err *decode.RecordError) error {
	h.errs = append(h.errs, err)
	return nil
}

// TestBuiltinRulesOnRealAttacks runs the built-in pack over the real trail of
// an account that had the Stratus Red Team techniques run in it: the attacks
// must come out at medium or above, ordinary activity mostly at info/low, and
// no rule may fail on real records.
func TestBuiltinRulesOnRealAttacks(t *testing.T) {
	eng := engine.New(builtin(t))
	h := &evalHandler{w: eng.NewWorker()}
	d := decode.New(decode.Options{})
	for i, b := range corpus(t) {
		if _, err := d.Decode(context.Background(), string(rune('a'+i)), bytes.NewReader(b), h); err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range h.errs {
		t.Errorf("error on a real record: %v", err)
	}
	byRule := map[string]finding.Severity{}
	sev := map[finding.Severity]int{}
	seen := map[string]bool{}
	for _, f := range h.found {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		byRule[f.RuleID] = f.Severity
		sev[f.Severity]++
	}
	// Stratus techniques in the corpus and the rule that must flag each at medium+.
	for _, id := range []string{
		"aws-cloudtrail-trail-deleted",            // cloudtrail-delete
		"aws-vpc-flow-logs-deleted",               // ec2-delete-flow-logs
		"aws-ec2-sg-ssh-open-world",               // ec2-security-group-open-port-22-ingress
		"aws-ec2-snapshot-shared-unknown-account", // ec2-share-ebs-snapshot
		"aws-ec2-ami-shared-unknown-account",      // ec2-share-ami
		"aws-rds-snapshot-shared-unknown-account", // rds-share-snapshot
		"aws-iam-access-key-created-for-other-user",
		"aws-iam-login-profile-for-other-user",
		"aws-iam-role-trusts-unknown-account", // iam-backdoor-role
		"aws-lambda-permission-public",        // lambda-backdoor-function
		"aws-ec2-password-data-requested",
		"aws-iam-account-authorization-details",
	} {
		s, ok := byRule[id]
		if !ok {
			t.Errorf("rule %s raised nothing on the Stratus corpus", id)
		} else if s < finding.Medium {
			t.Errorf("rule %s raised %s, want medium or above", id, s)
		}
	}
	high := sev[finding.Medium] + sev[finding.High] + sev[finding.Critical]
	if low := sev[finding.Info] + sev[finding.Low]; low < high {
		t.Errorf("more medium+ findings (%d) than info/low (%d): severities are not honest", high, low)
	}
	t.Logf("%d distinct findings: %v", len(seen), sev)
}

func gzipAll(bs [][]byte) [][]byte {
	out := make([][]byte, len(bs))
	for i, b := range bs {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		out[i] = buf.Bytes()
	}
	return out
}

type countHandler struct{ n int }

func (c *countHandler) Event(context.Context, *event.Event) error         { c.n++; return nil }
func (c *countHandler) Reject(context.Context, *decode.RecordError) error { return nil }

func benchDecode(b *testing.B, files [][]byte) {
	var size int64
	for _, f := range files {
		size += int64(len(f))
	}
	d := decode.New(decode.Options{})
	h := &countHandler{}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, err := d.Decode(context.Background(), "bench", bytes.NewReader(f), h); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(h.n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecode: validate + index every record of the real corpus.
func BenchmarkDecode(b *testing.B) { benchDecode(b, corpus(b)) }

// BenchmarkDecodeGzip: the same, from gzip files as CloudTrail delivers them.
func BenchmarkDecodeGzip(b *testing.B) { benchDecode(b, gzipAll(corpus(b))) }

// BenchmarkEvaluate: decode + route + every built-in rule + findings, on the
// real corpus (attack-dense: far more findings per event than real trails).
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b, gzipAll(corpus(b))) }

// benchEvaluate decodes and evaluates files with every built-in rule.
func benchEvaluate(b *testing.B, files [][]byte) {
	eng := engine.New(builtin(b))
	h := &evalHandler{w: eng.NewWorker()}
	d := decode.New(decode.Options{})
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, f := range files {
			h.found = h.found[:0]
			st, err := d.Decode(context.Background(), "bench", bytes.NewReader(f), h)
			if err != nil {
				b.Fatal(err)
			}
			n += st.Events
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// genFiles generates a synthetic trail (benign mix with attacks) once per
// benchmark run and returns its gzip files' bytes.
func genFiles(b *testing.B, events int) [][]byte {
	b.Helper()
	dir := b.TempDir()
	if _, err := gen.Generate(context.Background(), gen.Options{Events: events, Seed: 11, Out: dir}); err != nil {
		b.Fatal(err)
	}
	var files [][]byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		files = append(files, data)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return files
}

// BenchmarkGenDecode: gunzip + validate + index a realistic generated trail.
func BenchmarkGenDecode(b *testing.B) { benchDecode(b, genFiles(b, 50000)) }

// BenchmarkGenEvaluate: gunzip + decode + route + every built-in rule +
// findings on a realistic generated trail: the hot path of `scan`.
func BenchmarkGenEvaluate(b *testing.B) { benchEvaluate(b, genFiles(b, 50000)) }
