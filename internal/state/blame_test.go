package state

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// blameSteps is a security group's life: created by alice, a rule and a tag
// added, the tag changed, a rule removed, re-created after a deletion.
func blameSteps() []Step {
	return []Step{
		step("a", 0, "alice", Change{Resource: sg, Op: OpPut, Value: map[string]any{
			"name": "web", "egress": map[string]any{"all": map[string]any{"cidr": "0.0.0.0/0"}}, "ingress": map[string]any{}}}),
		step("b", 5, "bob", Change{Resource: sg, Op: OpAdd, Path: []string{"ingress", "tcp:22-22:cidrIpv4:0.0.0.0/0"}, Value: map[string]any{"cidr": "0.0.0.0/0", "from": int64(22)}}),
		step("c", 6, "carol", Change{Resource: sg, Op: OpSet, Path: []string{"tags", "Owner"}, Value: "carol"}),
		step("d", 7, "dave", Change{Resource: sg, Op: OpSet, Path: []string{"tags", "Team"}, Value: "blue"}),
		step("e", 8, "erin", Change{Resource: sg, Op: OpSet, Path: []string{"tags", "Owner"}, Value: "erin"}),
		step("f", 9, "frank", Change{Resource: sg, Op: OpSet, Path: []string{"tags", "Owner"}, Value: "erin"}), // no change
		step("g", 10, "gina", Change{Resource: sg, Op: OpUnset, Path: []string{"egress", "all"}}),
	}
}

func blameText(ls []BlameLine) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%s=%s r%d %s\n", JoinPath(l.Path), FormatValue(l.Value), l.Revision, l.Provenance.Actor)
	}
	return b.String()
}

func TestBlame(t *testing.T) {
	deleted := append(blameSteps(), step("h", 20, "hank", Change{Resource: sg, Op: OpDelete}))
	recreated := append(append([]Step(nil), deleted...), step("i", 30, "ivan", Change{Resource: sg, Op: OpPut, Value: map[string]any{"name": "web2"}}))
	tests := []struct {
		name  string
		steps []Step
		path  []string
		want  string
	}{
		{"whole state", blameSteps(), nil, `egress={} r6 gina
ingress.tcp:22-22:cidrIpv4:0.0.0.0/0.cidr=0.0.0.0/0 r2 bob
ingress.tcp:22-22:cidrIpv4:0.0.0.0/0.from=22 r2 bob
name=web r1 alice
tags.Owner=erin r5 erin
tags.Team=blue r4 dave
`},
		{"one tag", blameSteps(), []string{"tags", "Owner"}, "tags.Owner=erin r5 erin\n"},
		{"a map", blameSteps(), []string{"tags"}, "tags.Owner=erin r5 erin\ntags.Team=blue r4 dave\n"},
		{"no such field", blameSteps(), []string{"tags", "CostCenter"}, ""},
		{"under a leaf", blameSteps(), []string{"name", "x"}, ""},
		{"deleted", deleted, nil, ""},
		{"re-created", recreated, nil, "name=web2 r8 ivan\n"},
		{"no steps", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Fold(sg, tt.steps)
			if err != nil {
				t.Fatal(err)
			}
			if got := blameText(Blame(&h, tt.path)); got != tt.want {
				t.Errorf("blame:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestBlameProvenance(t *testing.T) {
	ss := blameSteps()
	ss[4].Provenance.Issuer = "arn:aws:iam::123456789012:role/admin"
	ss[4].Provenance.SourceIP = "203.0.113.9"
	ss[4].Provenance.UserAgent = "aws-cli/2.13.0"
	h, err := Fold(sg, ss)
	if err != nil {
		t.Fatal(err)
	}
	ls := Blame(&h, []string{"tags", "Owner"})
	if len(ls) != 1 {
		t.Fatalf("lines: %+v", ls)
	}
	p := ls[0].Provenance
	if p.EventName != "Ee" || !p.EventTime.Equal(time.Unix(1688990008, 0)) || p.Issuer != "arn:aws:iam::123456789012:role/admin" ||
		p.SourceIP != "203.0.113.9" || p.UserAgent != "aws-cli/2.13.0" {
		t.Errorf("provenance: %+v", p)
	}
}

func TestResolvePath(t *testing.T) {
	m := map[string]any{
		"name": "web",
		"tags": map[string]any{"Owner": "x", "kubernetes.io/cluster": "c", "a": "short"},
		"ingress": map[string]any{
			"tcp:22-22:cidrIpv4:10.0.0.0/8": map[string]any{"cidr": "10.0.0.0/8"},
		},
		"a":   map[string]any{"b": map[string]any{"c": 1}},
		"a.b": map[string]any{"d": 2},
	}
	tests := []struct {
		in   string
		want string // path elements joined by |; "!" when not found
	}{
		{"", ""},
		{"name", "name"},
		{"tags.Owner", "tags|Owner"},
		{"tags.kubernetes.io/cluster", "tags|kubernetes.io/cluster"},
		{"ingress.tcp:22-22:cidrIpv4:10.0.0.0/8", "ingress|tcp:22-22:cidrIpv4:10.0.0.0/8"},
		{"ingress.tcp:22-22:cidrIpv4:10.0.0.0/8.cidr", "ingress|tcp:22-22:cidrIpv4:10.0.0.0/8|cidr"},
		{"a.b.d", "a.b|d"},
		{"a.b.c", "a|b|c"}, // the longer key "a.b" has no c: back off to "a"
		{"tags.Nope", "!"},
		{"name.x", "!"},
		{"nam", "!"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			p, ok := ResolvePath(m, tt.in)
			got := strings.Join(p, "|")
			if !ok {
				got = "!"
			}
			if got != tt.want {
				t.Errorf("ResolvePath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFieldChangeString(t *testing.T) {
	tests := []struct {
		name string
		c    FieldChange
		want string
	}{
		{"added map", FieldChange{Path: []string{"ingress", "tcp:22-22:cidrIpv4:0.0.0.0/0"}, After: map[string]any{"to": 22, "cidr": "0.0.0.0/0"}},
			`ingress.tcp:22-22:cidrIpv4:0.0.0.0/0: + {"cidr":"0.0.0.0/0","to":22}`},
		{"changed string", FieldChange{Path: []string{"state"}, Before: "running", After: "stopped"}, "state: running → stopped"},
		{"removed", FieldChange{Path: []string{"tags", "Owner"}, Before: "alice"}, "tags.Owner: - alice"},
		{"bool", FieldChange{Path: []string{"disableApiTermination"}, Before: true, After: false}, "disableApiTermination: true → false"},
		{"list, no html escaping", FieldChange{Path: []string{"groups"}, After: []any{"a&b", "<c>"}}, `groups: + ["a&b","<c>"]`},
		{"empty path", FieldChange{After: "x"}, "(state): + x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
