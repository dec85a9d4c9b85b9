package store

import (
	"strings"
	"testing"
	"time"
)

func TestCheckpoints(t *testing.T) {
	const origin = "/logs/111111111111_CloudTrail_eu-west-1_20250301T1200Z_abc.json.gz"
	stamp := Stamp{Size: 4096, ModTime: time.Date(2025, 3, 1, 12, 5, 0, 123456789, time.UTC), Ruleset: "sha256:aaaa"}

	s := openTest(t)
	ctx := t.Context()
	if done, err := s.Done(ctx, origin, stamp); err != nil || done {
		t.Fatalf("before any checkpoint: Done = %v, %v; want false", done, err)
	}
	if err := s.Checkpoint(ctx, origin, stamp, 17); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name   string
		origin string
		stamp  func(Stamp) Stamp
		want   bool
	}{
		{"same stamp", origin, func(s Stamp) Stamp { return s }, true},
		{"same instant in another zone", origin, func(s Stamp) Stamp {
			s.ModTime = s.ModTime.In(time.FixedZone("X", 7200))
			return s
		}, true},
		{"size changed", origin, func(s Stamp) Stamp { s.Size++; return s }, false},
		{"mod time changed by 1ns", origin, func(s Stamp) Stamp { s.ModTime = s.ModTime.Add(time.Nanosecond); return s }, false},
		{"ruleset changed", origin, func(s Stamp) Stamp { s.Ruleset = "sha256:bbbb"; return s }, false},
		{"other origin", origin + ".2", func(s Stamp) Stamp { return s }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done, err := s.Done(ctx, tc.origin, tc.stamp(stamp))
			if err != nil {
				t.Fatal(err)
			}
			if done != tc.want {
				t.Errorf("Done = %v, want %v", done, tc.want)
			}
		})
	}

	t.Run("upsert replaces the stamp", func(t *testing.T) {
		newer := stamp
		newer.Size, newer.Ruleset = 8192, "sha256:bbbb"
		if err := s.Checkpoint(ctx, origin, newer, 30); err != nil {
			t.Fatal(err)
		}
		if done, err := s.Done(ctx, origin, stamp); err != nil || done {
			t.Errorf("old stamp: Done = %v, %v; want false", done, err)
		}
		if done, err := s.Done(ctx, origin, newer); err != nil || !done {
			t.Errorf("new stamp: Done = %v, %v; want true", done, err)
		}
		var n, events int
		if err := s.r.QueryRowContext(ctx, "SELECT count(*), max(events) FROM checkpoints").Scan(&n, &events); err != nil {
			t.Fatal(err)
		}
		if n != 1 || events != 30 {
			t.Errorf("%d checkpoints with %d events, want 1 with 30", n, events)
		}
	})

	t.Run("errors name the operation", func(t *testing.T) {
		s := openTest(t)
		s.Close()
		if _, err := s.Done(ctx, origin, stamp); err == nil || !strings.HasPrefix(err.Error(), "read checkpoint "+origin) {
			t.Errorf("Done on a closed store: %v", err)
		}
		if err := s.Checkpoint(ctx, origin, stamp, 1); err == nil || !strings.HasPrefix(err.Error(), "checkpoint "+origin) {
			t.Errorf("Checkpoint on a closed store: %v", err)
		}
	})
}
