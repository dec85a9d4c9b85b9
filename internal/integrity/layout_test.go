package integrity

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseKey(t *testing.T) {
	day := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		key  string
		want location
		ok   bool
	}{
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/04/111122223333_CloudTrail_us-east-1_20240304T0105Z_abcDEF123.json.gz", ok: true,
			want: location{Base: "AWSLogs/111122223333/", Account: "111122223333", Kind: KindLog, Region: "us-east-1",
				Time: day.Add(65 * time.Minute), Day: day}},
		{key: "org/AWSLogs/o-abc123def4/444455556666/CloudTrail-Digest/eu-west-1/2024/03/04/" +
			"444455556666_CloudTrail-Digest_eu-west-1_my_org_trail_us-east-1_20240304T020000Z.json.gz", ok: true,
			want: location{Base: "org/AWSLogs/o-abc123def4/444455556666/", Account: "444455556666", Kind: KindDigest, Region: "eu-west-1",
				Trail: "my_org_trail", Time: day.Add(2 * time.Hour), Day: day}},
		// Off the layout, but still under CloudTrail/<region>/: no times.
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/evil.json.gz", ok: true,
			want: location{Base: "AWSLogs/111122223333/", Account: "111122223333", Kind: KindLog, Region: "us-east-1"}},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/04/x_CloudTrail_us-east-1_2024_y.json.gz", ok: true,
			want: location{Base: "AWSLogs/111122223333/", Account: "111122223333", Kind: KindLog, Region: "us-east-1"}},
		{key: "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/03/04/x.json.gz"},
		{key: "AWSLogs/1111/CloudTrail/us-east-1/2024/03/04/x.json.gz"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/"},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1"},
		{key: "111122223333/CloudTrail/us-east-1/x", ok: true, // a folder holding the accounts
			want: location{Base: "111122223333/", Account: "111122223333", Kind: KindLog, Region: "us-east-1"}},
		{key: "CloudTrail/us-east-1/x"},
	}
	for _, tt := range tests {
		got, ok := parseKey(tt.key)
		if ok != tt.ok {
			t.Errorf("parseKey(%q) ok = %v", tt.key, ok)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseKey(%q) (-want +got):\n%s", tt.key, diff)
		}
	}
}
