package state

import (
	"fmt"
	"testing"
)

func TestFoldReplace(t *testing.T) {
	rule := func(cidr string) map[string]any { return map[string]any{"cidr": cidr, "ruleId": "sgr-1"} }
	replace := func(set string) Change {
		return Change{Resource: sg, Op: OpReplace, Path: []string{set},
			Value: map[string]any{"match": map[string]any{"ruleId": "sgr-1"}, "key": "tcp:22:0.0.0.0/0", "member": rule("0.0.0.0/0")}}
	}
	h, err := Fold(sg, []Step{
		step("a", 0, "alice", Change{Resource: sg, Op: OpPut, Value: map[string]any{
			"ingress": map[string]any{"tcp:22:10.0.0.0/8": rule("10.0.0.0/8")},
			"egress":  map[string]any{},
		}}),
		// the direction is not known: the change goes to both sets
		step("b", 1, "bob", replace("ingress"), replace("egress")),
		// a rule id no set holds changes nothing
		step("c", 2, "bob", Change{Resource: sg, Op: OpReplace, Path: []string{"ingress"},
			Value: map[string]any{"match": map[string]any{"ruleId": "sgr-2"}, "key": "x", "member": map[string]any{}}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Revisions) != 2 || h.Timeline[2].Revision != 0 {
		t.Fatalf("revisions %d, timeline %+v", len(h.Revisions), h.Timeline)
	}
	got := fmt.Sprint(h.Revisions[1].State)
	want := "map[egress:map[] ingress:map[tcp:22:0.0.0.0/0:map[cidr:0.0.0.0/0 ruleId:sgr-1]]]"
	if got != want {
		t.Fatalf("state:\n got %s\nwant %s", got, want)
	}
	if _, err := Fold(sg, []Step{step("a", 0, "x", Change{Resource: sg, Op: OpReplace, Path: []string{"s"}, Value: "bad"})}); err == nil {
		t.Fatal("a replace without a map value folded")
	}
}
