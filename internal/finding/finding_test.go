package finding

import (
	"encoding/json"
	"testing"
)

func TestSeverityRoundTrip(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var got Severity
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if got != s {
			t.Errorf("round trip %v: got %v", s, got)
		}
	}
	if _, err := ParseSeverity("urgent"); err == nil {
		t.Error("ParseSeverity(urgent): want error")
	}
	if s, _ := ParseSeverity(" HIGH "); s != High {
		t.Errorf("ParseSeverity(HIGH) = %v", s)
	}
}

func TestIDDeterministic(t *testing.T) {
	a := ID("r1", "e1")
	if a != ID("r1", "e1") {
		t.Fatal("ID not deterministic")
	}
	if a == ID("r1", "e2") || a == ID("r2", "e1") || ID("r1e", "1") == ID("r1", "e1") {
		t.Fatal("ID collides across inputs")
	}
	if len(a) != 32 {
		t.Fatalf("len(ID) = %d", len(a))
	}
}
