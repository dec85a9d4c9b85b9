package finding

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// tricky strings: everything encoding/json escapes one way or another.
var tricky = []string{"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "ctl \x00\x01\x1f\b\f\n\r\t end",
	"line\u2028sep\u2029", "bad utf-8 \xff\xfe and \xe2\x82", "émoji 🎉 日本", "arn:aws:iam::123456789012:user/a+b=c,d@e"}

func randString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return tricky[r.IntN(len(tricky))]
	}
	b := make([]byte, r.IntN(24))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randStrings(r *rand.Rand) []string {
	switch r.IntN(3) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+r.IntN(3))
	for i := range out {
		out[i] = randString(r)
	}
	return out
}

func randFinding(r *rand.Rand) *Finding {
	s := func() string {
		if r.IntN(4) == 0 {
			return ""
		}
		return randString(r)
	}
	t := func() time.Time {
		switch r.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(2024, 3, 5, 14, 0, 0, r.IntN(1e9), time.UTC)
		case 2:
			return time.Date(2024, 3, 5, 14, 0, 0, 0, time.FixedZone("x", 3600+r.IntN(3)*1800))
		}
		return time.Unix(r.Int64N(1<<34), 0)
	}
	return &Finding{
		ID: s(), RuleID: s(), RuleTitle: s(), Severity: Severity(r.IntN(5)), Tags: randStrings(r),
		EventID: s(), EventName: s(), EventSource: s(), EventTime: t(), DetectedAt: t(), Account: s(), Region: s(),
		Actor: Actor{Type: s(), ARN: s(), PrincipalID: s(), AccountID: s(), UserName: s(), AccessKeyID: s(), InvokedBy: s(),
			MFA: r.IntN(2) == 0, SourceIdentity: s(), Issuer: s()},
		SourceIP: s(), UserAgent: s(), ErrorCode: s(), Resources: randStrings(r), Summary: s(), Runbook: s(), Origin: s(),
		Related: randStrings(r),
	}
}

// TestAppendHeadMatchesEncodingJSON checks the hand-written encoder against
// encoding/json, byte for byte, with and without HTML escaping, on random
// findings full of characters that need escaping.
func TestAppendHeadMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		f := randFinding(r)
		head := *f
		head.Event = nil
		want, err := json.Marshal(&head)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendHead(nil, f, true)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("#%d html:\n got %s\nwant %s", i, got, want)
		}
		wantNoHTML, err := marshalNoHTML(&head)
		if err != nil {
			t.Fatal(err)
		}
		got, ok = appendHead(nil, f, false)
		if !ok || !bytes.Equal(got, bytes.TrimSuffix(wantNoHTML, []byte("\n"))) {
			t.Fatalf("#%d no html:\n got %s\nwant %s", i, got, wantNoHTML)
		}
	}
}

// TestEncodeHeadFallsBack leaves to encoding/json what it alone decides: a
// time it refuses, a severity out of range.
func TestEncodeHeadFallsBack(t *testing.T) {
	f := &Finding{ID: "x", EventTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := MarshalHead(f); err == nil {
		t.Error("a year-10000 time encoded")
	}
	f = &Finding{ID: "x", Severity: 9}
	b, err := MarshalHead(f)
	if err != nil || !bytes.Contains(b, []byte(`"severity":"severity(9)"`)) {
		t.Errorf("severity out of range: %s, %v", b, err)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s, true); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	})
}

func BenchmarkMarshalHead(b *testing.B) {
	f := randFinding(rand.New(rand.NewPCG(3, 4)))
	f.Severity = High
	for b.Loop() {
		if _, err := MarshalHead(f); err != nil {
			b.Fatal(err)
		}
	}
}
