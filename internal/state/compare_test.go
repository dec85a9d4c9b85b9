package state

import (
	"fmt"
	"testing"
	"time"
)

func TestCompare(t *testing.T) {
	// blameSteps times: a 0, b 5, c 6, d 7, e 8, f 9 (no change), g 10; h 20
	// deletes. Revisions: a 1, b 2, c 3, d 4, e 5, g 6, h 7.
	h, err := Fold(sg, append(blameSteps(), step("h", 20, "hank", Change{Resource: sg, Op: OpDelete})))
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int) time.Time { return time.Unix(1688990000+int64(sec), 0).UTC() }
	tests := []struct {
		name     string
		from, to time.Time
		want     string // from number, to number, revisions, changes
	}{
		{"tag changed", at(6), at(8), "3→5 [4 5] [tags.Owner: carol → erin tags.Team: + blue]"},
		{"same revision", at(8), at(9), "5→5 [] []"},
		{"before creation", at(-1), at(5), `0→2 [1 2] [egress: + {"all":{"cidr":"0.0.0.0/0"}} ingress: + {"tcp:22-22:cidrIpv4:0.0.0.0/0":{"cidr":"0.0.0.0/0","from":22}} name: + web]`},
		{"to the deletion", at(10), time.Time{}, `6→7 [7] [egress: - {} ingress: - {"tcp:22-22:cidrIpv4:0.0.0.0/0":{"cidr":"0.0.0.0/0","from":22}} name: - web tags: - {"Owner":"erin","Team":"blue"}]`},
		{"backwards", at(8), at(6), "5→3 [] [tags.Owner: erin → carol tags.Team: - blue]"},
		{"before creation both", at(-9), at(-1), "0→0 [] []"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(&h, tt.from, tt.to)
			num := func(r *Revision) int {
				if r == nil {
					return 0
				}
				return r.Number
			}
			var revs []int
			for _, r := range c.Revisions {
				revs = append(revs, r.Number)
			}
			var chs []string
			for _, ch := range c.Changes {
				chs = append(chs, ch.String())
			}
			got := fmt.Sprintf("%d→%d %v %v", num(c.From), num(c.To), revs, chs)
			if revs == nil {
				got = fmt.Sprintf("%d→%d [] %v", num(c.From), num(c.To), chs)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestRevisionAt(t *testing.T) {
	h, err := Fold(sg, blameSteps())
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int) time.Time { return time.Unix(1688990000+int64(sec), 0).UTC() }
	for _, tt := range []struct {
		t    time.Time
		want int
	}{{at(-1), 0}, {at(0), 1}, {at(4), 1}, {at(5), 2}, {at(9), 5}, {at(100), 6}, {time.Time{}, 6}} {
		got := 0
		if r := RevisionAt(&h, tt.t); r != nil {
			got = r.Number
		}
		if got != tt.want {
			t.Errorf("RevisionAt(%s) = %d, want %d", tt.t, got, tt.want)
		}
	}
}
