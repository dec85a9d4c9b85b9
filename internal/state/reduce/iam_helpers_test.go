package reduce

import (
	"encoding/json"
	"testing"
)

func TestPolicyDocument(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want string
	}{
		{"JSON text", `{"Version":"2012-10-17"}`, `{"Version":"2012-10-17"}`},
		{"JSON text with a plus", `{"Condition":{"StringLike":{"aws:userid":"a+b%41"}}}`, `{"Condition":{"StringLike":{"aws:userid":"a+b%41"}}}`},
		{"indented JSON text", "\n  {\n \"Version\": \"2012-10-17\"\n}\n", `{"Version":"2012-10-17"}`},
		{"URL-encoded", "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%7D%0A", `{"Version":"2012-10-17"}`},
		{"URL-encoded with a plus", "%7B%22Sid%22%3A%22a+b%22%7D", `{"Sid":"a+b"}`},
		{"already an object", map[string]any{"Version": "2012-10-17"}, `{"Version":"2012-10-17"}`},
		{"not a document", "not json", `"not json"`},
		{"bad escape", "%7B%ZZ", `"%7B%ZZ"`},
		{"absent", nil, `null`},
	} {
		got, _ := json.Marshal(policyDocument(tc.in))
		if string(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}
