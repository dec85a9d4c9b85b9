package reduce

import "testing"

func TestFget(t *testing.T) {
	m := map[string]any{"InstanceId": "i-1", "instanceType": "t3", "Outer": map[string]any{"Inner": 1}}
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"instanceId"}, "i-1"},
		{[]string{"InstanceId"}, "i-1"},
		{[]string{"instanceType"}, "t3"},
		{[]string{"outer", "inner"}, 1},
		{[]string{"missing"}, nil},
		{[]string{""}, nil},
		{[]string{"instanceId", "deeper"}, nil},
	} {
		if got := fget(m, tc.path...); got != tc.want {
			t.Errorf("fget %v = %v, want %v", tc.path, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = fget(m, "outer", "inner") }); n != 0 {
		t.Errorf("fget allocates %v times", n)
	}
}

func TestList(t *testing.T) {
	one := map[string]any{"a": "1"}
	for name, v := range map[string]any{
		"items":       map[string]any{"items": []any{one}},
		"item list":   map[string]any{"item": []any{one}},
		"item object": map[string]any{"item": one},
		"bare list":   []any{one, "junk"},
		"one object":  one,
	} {
		if got := list(map[string]any{"Set": v}, "set"); len(got) != 1 || got[0]["a"] != "1" {
			t.Errorf("%s: %v", name, got)
		}
	}
	if got := list(map[string]any{"set": map[string]any{}}, "set"); got != nil {
		t.Errorf("empty set: %v", got)
	}
}
