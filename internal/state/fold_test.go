package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var sg = ResourceID{Account: "123456789012", Region: "us-east-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}

func step(id string, sec int, actor string, cs ...Change) Step {
	return Step{Provenance: Provenance{EventID: id, EventName: "E" + id, EventTime: time.Unix(1688990000+int64(sec), 0).UTC(), Actor: actor}, Changes: cs}
}

func steps() []Step {
	return []Step{
		step("a", 0, "alice", Change{Resource: sg, Op: OpPut, Value: map[string]any{"name": "web", "egress": map[string]any{"all": map[string]any{"cidr": "0.0.0.0/0"}}}}),
		step("b", 5, "bob", Change{Resource: sg, Op: OpAdd, Path: []string{"ingress", "tcp:22-22:0.0.0.0/0"}, Value: map[string]any{"cidr": "0.0.0.0/0", "from": int64(22)}}),
		// same time as b: ordered by id
		step("c", 5, "carol", Change{Resource: sg, Op: OpSet, Path: []string{"tags", "env"}, Value: "prod"}),
		{Provenance: Provenance{EventID: "d", EventName: "RevokeSecurityGroupIngress", EventTime: time.Unix(1688990010, 0).UTC(), ErrorCode: "Client.InvalidPermission.NotFound"}},
		step("e", 20, "bob", Change{Resource: sg, Op: OpRemove, Path: []string{"ingress", "tcp:22-22:0.0.0.0/0"}}),
		step("f", 30, "bob", Change{Resource: sg, Op: OpSet, Path: []string{"tags", "env"}, Value: "prod"}), // no-op
		step("g", 40, "alice", Change{Resource: sg, Op: OpDelete}),
	}
}

func TestFoldHistory(t *testing.T) {
	h, err := Fold(sg, steps())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.Revisions {
		got = append(got, fmt.Sprintf("%d %s %s del=%v diff=%d", r.Number, r.Provenance.EventID, r.Provenance.Actor, r.Deleted, len(r.Diff)))
	}
	want := []string{
		"1 a alice del=false diff=2",
		"2 b bob del=false diff=1",
		"3 c carol del=false diff=1",
		"4 e bob del=false diff=1",
		"5 g alice del=true diff=4",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("revisions:\n got %q\nwant %q", got, want)
	}
	if len(h.Timeline) != 7 || h.Timeline[3].Revision != 0 || h.Timeline[3].Provenance.ErrorCode == "" || h.Timeline[5].Revision != 0 {
		t.Fatalf("timeline: %+v", h.Timeline)
	}
	if s := h.Revisions[1].State; s["ingress"] == nil || s["name"] != "web" {
		t.Fatalf("state after b: %v", s)
	}
	if d := h.Revisions[3].Diff[0]; d.Before == nil || d.After != nil || d.Path[0] != "ingress" {
		t.Fatalf("diff of e: %+v", d)
	}
	if h.Revisions[4].State != nil {
		t.Fatalf("tombstone has state %v", h.Revisions[4].State)
	}
}

// TestFoldOrderIndependent shuffles and duplicates the steps: the history
// must come out byte-identical.
func TestFoldOrderIndependent(t *testing.T) {
	base := steps()
	h0, err := Fold(sg, base)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(h0)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		in := append([]Step(nil), base...)
		for range rng.IntN(len(base) + 1) {
			in = append(in, base[rng.IntN(len(base))])
		}
		rng.Shuffle(len(in), func(a, b int) { in[a], in[b] = in[b], in[a] })
		h, err := Fold(sg, in)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(h)
		if !bytes.Equal(got, want) {
			t.Fatalf("iteration %d: history differs\n got %s\nwant %s", i, got, want)
		}
	}
	// the inputs were not modified
	if again, _ := Fold(sg, base); fmt.Sprint(again) != fmt.Sprint(h0) {
		t.Fatal("Fold modified its input")
	}
}

func TestFoldAllSplitsResources(t *testing.T) {
	other := sg
	other.ID = "sg-2"
	s := step("x", 0, "a", Change{Resource: sg, Op: OpPut, Value: map[string]any{"n": "1"}}, Change{Resource: other, Op: OpPut, Value: map[string]any{"n": "2"}})
	hs, err := FoldAll([]Step{s, s})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[0].Resource.ID != "sg-1" || hs[1].Revisions[0].State["n"] != "2" || len(hs[1].Timeline) != 1 {
		t.Fatalf("%+v", hs)
	}
}

func TestFoldBadChange(t *testing.T) {
	_, err := Fold(sg, []Step{step("a", 0, "x", Change{Resource: sg, Op: "bogus"})})
	if err == nil {
		t.Fatal("want an error for an unknown op")
	}
}

// TestFoldSameSecond: CloudTrail times have one-second resolution; within
// a second, the creation comes first and the deletion last whatever the
// event ids (AWS makes you remove a user's keys before deleting it).
func TestFoldSameSecond(t *testing.T) {
	in := []Step{
		step("0-delete", 10, "x", Change{Resource: sg, Op: OpDelete}),
		step("1-change", 10, "x", Change{Resource: sg, Op: OpSet, Path: []string{"k"}, Value: "v"}),
		step("2-create", 10, "x", Change{Resource: sg, Op: OpPut, Value: map[string]any{}}),
	}
	h, err := Fold(sg, in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range h.Revisions {
		got = append(got, r.Provenance.EventID)
	}
	if fmt.Sprint(got) != "[2-create 1-change 0-delete]" || !h.Revisions[2].Deleted {
		t.Fatalf("order %v", got)
	}
}

func TestFoldRemoveByMatch(t *testing.T) {
	in := []Step{
		step("a", 0, "x", Change{Resource: sg, Op: OpPut, Value: map[string]any{"ingress": map[string]any{
			"tcp:22": map[string]any{"ruleId": "sgr-1"}, "tcp:443": map[string]any{"ruleId": "sgr-2"}}}}),
		step("b", 1, "x", Change{Resource: sg, Op: OpRemove, Path: []string{"ingress"}, Value: map[string]any{"ruleId": "sgr-1"}}),
	}
	h, err := Fold(sg, in)
	if err != nil {
		t.Fatal(err)
	}
	ing := h.Current().State["ingress"].(map[string]any)
	if _, ok := ing["tcp:22"]; ok || len(ing) != 1 || len(h.Current().Diff) != 1 {
		t.Fatalf("after removing sgr-1: %v, diff %v", ing, h.Current().Diff)
	}
}
