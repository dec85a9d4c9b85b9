package gen

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendTime(t *testing.T) {
	r := newRNG(1, 0)
	for range 2000 {
		unix := int64(r.intn(4_102_444_800)) // 1970..2100
		want := time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05Z")
		if got := string(appendTime(nil, unix)); got != want {
			t.Fatalf("appendTime(%d) = %s, want %s", unix, got, want)
		}
	}
}

func TestAppendQuoted(t *testing.T) {
	for _, s := range []string{"", "plain", `{"Action":"*"}`, "back\\slash", "tab\tnew\nline\x01", "ünïcode ✓", "<html>&"} {
		got := appendQuoted(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil || back != s {
			t.Errorf("appendQuoted(%q) = %s: decodes to %q, %v", s, got, back, err)
		}
	}
}

func TestJW(t *testing.T) {
	var w jw
	w.obj().ks("a", "x").k("b").arr().s("1").i(2).bl(true).null().end().k("c").obj().end().
		k("d").items("instanceId", "i-1", "i-2").kts("t", 0).end()
	want := `{"a":"x","b":["1",2,true,null],"c":{},"d":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]},"t":"1970-01-01T00:00:00Z"}`
	if got := string(w.bytes()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ in, api, kebab string }{
		{"DescribeInstances", "DescribeInstances", "describe-instances"},
		{"GetFunction20150331v2", "GetFunction", "get-function"},
		{"ListFunctions20150331", "ListFunctions", "list-functions"},
		{"DescribeDBInstances", "DescribeDBInstances", "describe-db-instances"},
		{"GetCallerIdentity", "GetCallerIdentity", "get-caller-identity"},
	}
	for _, tc := range tests {
		if got := apiName(tc.in); got != tc.api {
			t.Errorf("apiName(%s) = %s, want %s", tc.in, got, tc.api)
		}
		if got := kebab(apiName(tc.in)); got != tc.kebab {
			t.Errorf("kebab(%s) = %s, want %s", tc.in, got, tc.kebab)
		}
	}
}
