package finding

import (
	"bytes"
	"encoding/json"
	"fmt"
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

func TestAppendJSONLine(t *testing.T) {
	f := &Finding{ID: "x", RuleID: "r", Severity: High, Tags: []string{"a<b"}, Summary: "s & t",
		Event: json.RawMessage(`{"eventName":"StopLogging","n":1}`)}
	got, err := f.AppendJSONLine([]byte("prefix:"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(f)
	var a, b map[string]any
	if err := json.Unmarshal(got[len("prefix:"):], &a); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	json.Unmarshal(want, &b)
	if fmt.Sprint(a) != fmt.Sprint(b) || got[len(got)-1] != '\n' || bytes.Count(got, []byte("\n")) != 1 {
		t.Fatalf("AppendJSONLine = %s\nwant the same as %s", got, want)
	}
	if !bytes.Contains(got, []byte(`"s & t"`)) || !bytes.Contains(got, []byte(`"a<b"`)) {
		t.Fatalf("HTML characters escaped: %s", got)
	}
	// A pretty-printed event is compacted so the line stays one line.
	f.Event = json.RawMessage("{\n  \"eventName\": \"X\"\n}")
	got, err = f.AppendJSONLine(nil)
	if err != nil || bytes.Count(got, []byte("\n")) != 1 || !bytes.Contains(got, []byte(`"event":{"eventName":"X"}}`)) {
		t.Fatalf("pretty event: %s, %v", got, err)
	}
	f.Event = nil
	if got, err = f.AppendJSONLine(nil); err != nil || !bytes.HasSuffix(got, []byte(`"event":null}`+"\n")) {
		t.Fatalf("no event: %s, %v", got, err)
	}
}
