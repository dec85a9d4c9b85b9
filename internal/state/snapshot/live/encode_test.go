package live

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"
)

type state string // like the SDK's enums

type item struct {
	Name  *string
	State state
	Count int32
	Seen  *time.Time
	Blob  []byte
}

type output struct {
	Items          []item
	Empty          []item
	Absent         []item
	Labels         map[string]string
	Token          *string
	Flag           bool
	ResultMetadata middleware.Metadata
	hidden         string
}

func TestCLIJSON(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	seen := time.Date(2026, 1, 2, 4, 4, 5, 500_000_000, paris)
	name, token := "a", "t"
	var md middleware.Metadata
	md.Set("k", "v")
	for _, c := range []struct {
		name string
		in   any
		drop []string
		want string
	}{
		{
			name: "members, times, unset and metadata",
			in: &output{
				Items:          []item{{Name: &name, State: "running", Seen: &seen, Blob: []byte("hi")}, {}},
				Empty:          []item{},
				Labels:         map[string]string{"team": "sec"},
				Token:          &token,
				ResultMetadata: md,
				hidden:         "x",
			},
			want: `{"Empty":[],"Flag":false,"Items":[{"Blob":"aGk=","Count":0,"Name":"a","Seen":"2026-01-02T03:04:05.5Z","State":"running"},{"Count":0}],"Labels":{"team":"sec"},"Token":"t"}`,
		},
		{
			name: "drop",
			in:   &output{Token: &token},
			drop: []string{"Token", "Flag"},
			want: `{}`,
		},
		{
			name: "nil",
			in:   (*output)(nil),
			want: `null`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := cliJSON(c.in, c.drop...)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("cliJSON =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestDecodePolicies(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{
			name: "url-encoded, with an encoded plus",
			in:   `{"RoleDetailList":[{"AssumeRolePolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%2C%22Sid%22%3A%22a%2Bb%22%7D"}]}`,
			want: `{"RoleDetailList":[{"AssumeRolePolicyDocument":{"Sid":"a+b","Version":"2012-10-17"}}]}`,
		},
		{
			name: "a literal plus stays a plus",
			in:   `{"PolicyDocument":"{\"Sid\":\"a+b\"}"}`,
			want: `{"PolicyDocument":{"Sid":"a+b"}}`,
		},
		{
			name: "nested policy versions",
			in:   `{"Policies":[{"PolicyVersionList":[{"Document":"%7B%7D","VersionId":"v1"}]}]}`,
			want: `{"Policies":[{"PolicyVersionList":[{"Document":{},"VersionId":"v1"}]}]}`,
		},
		{
			name: "not JSON: kept as sent",
			in:   `{"PolicyDocument":"%ZZnot json","PolicyName":"%7B%7D"}`,
			want: `{"PolicyDocument":"%ZZnot json","PolicyName":"%7B%7D"}`,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(c.in), &v); err != nil {
				t.Fatal(err)
			}
			decodePolicies(v)
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.want, string(got)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}
