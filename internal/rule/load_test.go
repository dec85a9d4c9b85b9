package rule

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
)

func loadFiles(t *testing.T, ov Overrides, names ...string) (*Set, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, n := range names {
		b, err := os.ReadFile("testdata/" + n)
		if err != nil {
			t.Fatal(err)
		}
		fsys[n] = &fstest.MapFile{Data: b}
	}
	return Load(LoadOptions{Sources: []Source{{Name: "testdata", FS: fsys}}, Overrides: ov,
		Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
}

func TestLoadGood(t *testing.T) {
	set, err := loadFiles(t, Overrides{}, "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Rules) != 2 || set.Fingerprint == "" {
		t.Fatalf("set = %+v", set)
	}
	r := set.Rules[0]
	if m := r.Meta(); m.Severity != finding.High || m.Line != 2 || m.File != "testdata/good.yaml" || !m.Match.Matches("cloudtrail.amazonaws.com", "DeleteTrail") {
		t.Fatalf("meta = %+v", m)
	}
	e, err := event.NewParser().Parse([]byte(`{"eventVersion":"1.08","eventTime":"2024-03-05T14:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventID":"ev-1","awsRegion":"eu-west-1","recipientAccountId":"111122223333","sourceIPAddress":"203.0.113.5","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Ops/eve","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/Ops"},"attributes":{"mfaAuthenticated":"false"}}},"requestParameters":{"name":"main"},"resources":[{"ARN":"arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var s Scratch
	s.Begin(e)
	fs, err := r.Eval(context.Background(), e, &s)
	if err != nil || len(fs) != 1 {
		t.Fatalf("Eval = %v, %v", fs, err)
	}
	f := fs[0]
	if f.Summary != "Trail main stopped by arn:aws:sts::111122223333:assumed-role/Ops/eve" {
		t.Errorf("summary = %q", f.Summary)
	}
	if f.ID != finding.ID("test-stop-logging", "dedup:main") || f.Actor.Issuer != "arn:aws:iam::111122223333:role/Ops" || f.Region != "eu-west-1" || f.SourceIP != "203.0.113.5" {
		t.Errorf("finding = %+v", f)
	}
	if strings.Join(f.Resources, ",") != "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main,main" {
		t.Errorf("resources = %v", f.Resources)
	}
}

func TestLoadOverrides(t *testing.T) {
	off := false
	if set, err := loadFiles(t, Overrides{Rules: map[string]RuleOverride{"test-stop-logging": {Enabled: &off}}}, "good.yaml"); err != nil || len(set.Rules) != 1 || set.Disabled != 1 {
		t.Fatalf("disable: %v %v", set, err)
	}
	set, err := loadFiles(t, Overrides{Rules: map[string]RuleOverride{"test-stop-logging": {Severity: "critical"}}}, "good.yaml")
	if err != nil || set.Rules[0].Meta().Severity != finding.Critical {
		t.Fatalf("severity override: %v", err)
	}
	// A global parameter changes the rule's behaviour, while its inline tests
	// still run with the declared parameters (and pass).
	set, err = loadFiles(t, Overrides{Params: map[string]any{"ignored_trails": []any{}}}, "good.yaml")
	if err != nil {
		t.Fatalf("global param override: %v", err)
	}
	e, _ := event.NewParser().Parse([]byte(`{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventTime":"2024-01-01T00:00:00Z","requestParameters":{"name":"scratch"}}`))
	var s Scratch
	s.Begin(e)
	if fs, err := set.Rules[0].Eval(context.Background(), e, &s); err != nil || len(fs) != 1 {
		t.Fatalf("with ignored_trails overridden to [], a scratch trail must raise a finding: %v, %v", fs, err)
	}
	for name, ov := range map[string]Overrides{
		"unknown rule":         {Rules: map[string]RuleOverride{"nope": {}}},
		"unknown global param": {Params: map[string]any{"nope": 1}},
		"unknown rule param":   {Rules: map[string]RuleOverride{"test-stop-logging": {Params: map[string]any{"nope": 1}}}},
		"bad severity":         {Rules: map[string]RuleOverride{"test-stop-logging": {Severity: "urgent"}}},
		"global param kind":    {Params: map[string]any{"ignored_trails": "scratch"}},
		"rule param kind":      {Rules: map[string]RuleOverride{"test-stop-logging": {Params: map[string]any{"ignored_trails": map[string]any{}}}}},
	} {
		if _, err := loadFiles(t, ov, "good.yaml"); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestLoadBad(t *testing.T) {
	cases := map[string]string{
		"unknown_key.bad.yaml":  `testdata/unknown_key.bad.yaml:7:1: unknown key "conditon" in rule`,
		"type_error.bad.yaml":   `testdata/type_error.bad.yaml:8:11: found no matching overload for '_+_'`,
		"failing_test.bad.yaml": `testdata/failing_test.bad.yaml:8:9: rule test-c, test "wrong expectation": want match, got no match`,
		"yaml_error.bad.yaml":   `testdata/yaml_error.bad.yaml:2:1: YAML: line 2: did not find expected`,
		"bad_severity.bad.yaml": `testdata/bad_severity.bad.yaml:3:11: unknown severity "urgent"`,
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			_, err := loadFiles(t, Overrides{}, file)
			if err == nil {
				t.Fatal("loaded a broken rule")
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("err %v has no *Error", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, want)
			}
		})
	}
	// Two files defining the same id.
	fsys := fstest.MapFS{}
	b, _ := os.ReadFile("testdata/good.yaml")
	fsys["a.yaml"], fsys["b.yaml"] = &fstest.MapFile{Data: b}, &fstest.MapFile{Data: b}
	if _, err := Load(LoadOptions{Sources: []Source{{Name: "x", FS: fsys}}}); err == nil || !strings.Contains(err.Error(), "duplicate rule id") {
		t.Fatalf("duplicate ids: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	for _, n := range []string{"good.yaml", "unknown_key.bad.yaml", "type_error.bad.yaml", "failing_test.bad.yaml"} {
		b, _ := os.ReadFile("testdata/" + n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := Load(LoadOptions{Sources: []Source{{Name: "f", FS: fstest.MapFS{"r.yaml": {Data: b}}}}})
		if err == nil {
			return
		}
		// Every problem is positioned in the file.
		joined, ok := err.(interface{ Unwrap() []error })
		if !ok {
			t.Fatalf("error %T is not a joined list", err)
		}
		for _, e := range joined.Unwrap() {
			var re *Error
			if !errors.As(e, &re) || re.File != "f/r.yaml" {
				t.Fatalf("unpositioned error %q", e)
			}
		}
	})
}

func TestNeedle(t *testing.T) {
	hay := []byte(`{"a":"xx ec2RoleDelivery yy","n":"2.0","q":"\"quoted\""}`)
	for _, c := range []struct {
		n    string
		want bool
	}{{"ec2RoleDelivery", true}, {`"quoted\"`, true}, {"2.0", true}, {"ec2RoleDeliveryX", false}, {"", true}, {"yy\"", true}, {"Z", false}, {`{"a"`, true}, {`"}`, true}} {
		if got := NewNeedle(c.n).In(hay); got != c.want {
			t.Errorf("needle %q: %v, want %v (bytes.Contains: %v)", c.n, got, c.want, bytes.Contains(hay, []byte(c.n)))
		}
	}
}

func FuzzNeedle(f *testing.F) {
	f.Add([]byte("abcRdef"), "cRd")
	f.Fuzz(func(t *testing.T, h []byte, n string) {
		if got, want := NewNeedle(n).In(h), bytes.Contains(h, []byte(n)); got != want {
			t.Fatalf("needle %q in %q: %v, bytes.Contains %v", n, h, got, want)
		}
	})
}
