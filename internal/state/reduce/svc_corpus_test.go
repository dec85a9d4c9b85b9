package reduce

import (
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TestCorpusServiceHistories checks the histories the corpus gives the
// Lambda, CloudTrail, RDS and S3 lifecycle reducers: the Stratus Red Team
// techniques that backdoor a function, share a snapshot with another
// account, weaken a trail's selectors and shorten a log bucket's life.
func TestCorpusServiceHistories(t *testing.T) {
	hs := corpusHistories(t)
	const acct = "123837392027/us-east-1/"
	history := func(key string) state.History {
		t.Helper()
		h, ok := hs[key]
		if !ok {
			t.Fatalf("no history for %s", key)
		}
		return h
	}
	field := func(h state.History, rev int, path ...string) any {
		t.Helper()
		if rev > len(h.Revisions) {
			t.Fatalf("%s: no revision %d", h.Resource.ID, rev)
		}
		return get(h.Revisions[rev-1].State, path...)
	}
	bert := func(s string) string { return strings.ReplaceAll(s, "BERT", "arn:aws:iam::123837392027:user/bert-jan") }

	cases := []struct {
		key, timeline string
		check         func(h state.History)
	}{
		{key: acct + "AWS::Lambda::Function/stratus-red-team-backdoor-f-func", timeline: `12:25:33 CreateFunction20150331 BERT rev=1
12:25:40 AddPermission20150331v2 BERT rev=2
12:28:24 RemovePermission20150331v2 BERT rev=3
12:28:39 DeleteFunction20150331 BERT rev=4 deleted
`, check: func(h state.History) {
			if p := field(h, 2, "permissions", "backdoor", "principal"); p != "*" {
				t.Errorf("backdoor permission principal %v, want *", p)
			}
			if p := field(h, 3, "permissions"); p == nil || len(p.(map[string]any)) != 0 {
				t.Errorf("permissions after the removal: %v", p)
			}
			if r := field(h, 1, "role"); r != "arn:aws:iam::123837392027:role/stratus-red-team-backdoor-f-lambda" {
				t.Errorf("role %v", r)
			}
		}},
		{key: acct + "AWS::Lambda::Function/stratus-red-team-olc-func-xhfgzaowxc", timeline: `12:26:40 CreateFunction20150331 BERT rev=0 error=InvalidParameterValueException
12:26:41 CreateFunction20150331 BERT rev=0 error=InvalidParameterValueException
12:26:42 CreateFunction20150331 BERT rev=0 error=InvalidParameterValueException
12:26:44 CreateFunction20150331 BERT rev=0 error=InvalidParameterValueException
12:26:49 CreateFunction20150331 BERT rev=1
12:26:56 UpdateFunctionCode20150331v2 BERT rev=2
12:28:24 UpdateFunctionCode20150331v2 BERT rev=3
12:28:38 DeleteFunction20150331 BERT rev=4 deleted
`, check: func(h state.History) {
			if a, b := field(h, 1, "codeSha256"), field(h, 2, "codeSha256"); a == b || b != "Pt1c8vVaBygmNtAeSyjlpdy7r8nHRqJAAL++HEGlQkc=" {
				t.Errorf("code hash %v then %v", a, b)
			}
			if h.Resource.ARN != "arn:aws:lambda:us-east-1:123837392027:function:stratus-red-team-olc-func-xhfgzaowxc" {
				t.Errorf("ARN %q (want it unqualified)", h.Resource.ARN)
			}
		}},
		{key: acct + "AWS::CloudTrail::Trail/stratus-red-team-ctes-trail-qyxyekjbtk", timeline: `12:00:05 CreateTrail BERT rev=1
12:00:05 StartLogging BERT rev=2
12:00:08 PutEventSelectors BERT rev=3
12:07:49 PutEventSelectors BERT rev=4
12:08:04 DeleteTrail BERT rev=5 deleted
`, check: func(h state.History) {
			if field(h, 1, "isLogging") != false || field(h, 2, "isLogging") != true {
				t.Errorf("isLogging %v then %v", field(h, 1, "isLogging"), field(h, 2, "isLogging"))
			}
			sel, _ := field(h, 3, "eventSelectors").([]any)
			if len(sel) != 1 || get(sel[0].(map[string]any), "includeManagementEvents") != false {
				t.Errorf("selectors after the evasion: %v", sel)
			}
		}},
		{key: acct + "AWS::CloudTrail::Trail/stratus-red-team-ct-stop-trail-qzbgnfqisx", timeline: `12:00:42 StopLogging BERT rev=0 error=TrailNotFoundException
12:01:23 StopLogging BERT rev=0 error=TrailNotFoundException
12:01:27 StopLogging BERT rev=0 error=TrailNotFoundException
12:07:49 StartLogging BERT rev=0 error=TrailNotFoundException
12:11:57 StartLogging BERT rev=0 error=TrailNotFoundException
12:28:24 StartLogging BERT rev=0 error=TrailNotFoundException
`},
		{key: acct + "AWS::RDS::DBInstance/terraform-20230710121504061500000001", timeline: `12:15:06 CreateDBInstance BERT rev=1
12:28:39 DeleteDBInstance BERT rev=0 error=InvalidDBInstanceStateFault
12:28:39 DeleteDBInstance BERT rev=2 deleted
`, check: func(h state.History) {
			if field(h, 1, "publiclyAccessible") != false || field(h, 1, "engine") != "mysql" {
				t.Errorf("instance: %v", h.Revisions[0].State)
			}
		}},
		{key: acct + "AWS::RDS::DBSnapshot/exfiltration", timeline: `12:19:39 CreateDBSnapshot BERT rev=1
12:22:06 ModifyDBSnapshotAttribute BERT rev=2
12:28:24 ModifyDBSnapshotAttribute BERT rev=3
12:28:38 DeleteDBSnapshot BERT rev=4 deleted
`, check: func(h state.History) {
			if field(h, 2, "restoreAttributes", "193672423079") == nil {
				t.Errorf("snapshot not shared in revision 2: %v", h.Revisions[1].State)
			}
			if m, _ := field(h, 3, "restoreAttributes").(map[string]any); len(m) != 0 {
				t.Errorf("snapshot still shared in revision 3: %v", m)
			}
		}},
		{key: "123837392027/global/AWS::S3::Bucket/stratus-red-team-ctlr-bucket-zqfsvooxqj", timeline: `12:00:23 CreateBucket BERT rev=1
12:00:24 PutBucketTagging BERT rev=2
12:00:25 PutBucketPolicy BERT rev=3
12:00:35 PutBucketLifecycle BERT rev=4
12:07:49 DeleteBucketLifecycle BERT rev=5
12:08:05 DeleteBucket BERT rev=0 error=BucketNotEmpty
12:08:09 DeleteBucket BERT rev=0 error=BucketNotEmpty
12:08:10 DeleteBucket BERT rev=6 deleted
`, check: func(h state.History) {
			if d := field(h, 4, "lifecycle", "Rule", "Expiration", "Days"); d != int64(1) {
				t.Errorf("lifecycle expiration %v (%T), want 1 day", d, d)
			}
			if field(h, 5, "lifecycle") != nil {
				t.Errorf("lifecycle not removed")
			}
		}},
	}
	for _, tc := range cases {
		h := history(tc.key)
		if got, want := timeline(h), bert(tc.timeline); got != want {
			t.Errorf("%s timeline:\n%s\nwant:\n%s", h.Resource.ID, got, want)
			continue
		}
		if tc.check != nil {
			tc.check(h)
		}
	}
}
