package reduce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
)

// collector reduces every decoded event into a Step.
type collector struct {
	steps   []state.Step
	handled int
}

func (c *collector) Event(_ context.Context, e *event.Event) error {
	if Handles(e) {
		c.handled++
	}
	s, err := Step(e)
	if err != nil {
		return fmt.Errorf("reduce: %w", err)
	}
	if len(s.Changes) > 0 || len(s.Targets) > 0 {
		c.steps = append(c.steps, s)
	}
	return nil
}

func (c *collector) Reject(_ context.Context, err *decode.RecordError) error { return err }

func corpusHistories(t *testing.T) map[string]state.History {
	t.Helper()
	files, _ := filepath.Glob("../../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		t.Fatal("shared corpus not found at ../shared/corpora")
	}
	d := decode.New(decode.Options{})
	col := &collector{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Decode(context.Background(), f, fh, col)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
	}
	if col.handled < 60 {
		t.Fatalf("only %d events with a reducer", col.handled)
	}
	hs, err := state.FoldAll(col.steps)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]state.History{}
	for _, h := range hs {
		out[h.Resource.Key()] = h
	}
	return out
}

// timeline renders a history one event a line:
// "eventName actor rev=N [deleted] [error]".
func timeline(h state.History) string {
	var b strings.Builder
	for _, te := range h.Timeline {
		fmt.Fprintf(&b, "%s %s %s rev=%d", te.Provenance.EventTime.Format("15:04:05"), te.Provenance.EventName, te.Provenance.Actor, te.Revision)
		if te.Revision > 0 && h.Revisions[te.Revision-1].Deleted {
			b.WriteString(" deleted")
		}
		if te.Provenance.ErrorCode != "" {
			b.WriteString(" error=" + te.Provenance.ErrorCode)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestCorpusHistories(t *testing.T) {
	hs := corpusHistories(t)
	const bert = "arn:aws:iam::123837392027:user/bert-jan"

	sg, ok := hs["123837392027/us-east-1/AWS::EC2::SecurityGroup/sg-04cfb7a4712d75b00"]
	if !ok {
		t.Fatal("no history for sg-04cfb7a4712d75b00")
	}
	want := strings.ReplaceAll(`12:10:01 CreateSecurityGroup BERT rev=1
12:10:03 RevokeSecurityGroupEgress BERT rev=2
12:10:04 RevokeSecurityGroupEgress BERT rev=0 error=Client.InvalidPermission.NotFound
12:10:05 AuthorizeSecurityGroupIngress BERT rev=3
12:10:06 AuthorizeSecurityGroupEgress BERT rev=4
12:10:08 AuthorizeSecurityGroupIngress BERT rev=5
12:11:57 RevokeSecurityGroupIngress BERT rev=6
12:12:06 DeleteSecurityGroup BERT rev=7 deleted
`, "BERT", bert)
	if got := timeline(sg); got != want {
		t.Errorf("security group timeline:\n%s\nwant:\n%s", got, want)
	}
	t.Logf("security group:\n%s", timeline(sg))
	if len(sg.Revisions) == 7 {
		r2 := sg.Revisions[1].State
		if len(r2["egress"].(map[string]any)) != 0 {
			t.Errorf("after the egress revoke: %v", r2["egress"])
		}
		r5 := sg.Revisions[4].State["ingress"].(map[string]any)
		if _, ok := r5["tcp:443-443:cidrIpv4:0.0.0.0/0"]; !ok {
			t.Errorf("open to the world on 443 expected in revision 5: %v", r5)
		}
		if _, ok := r5["tcp:22-22:cidrIpv4:0.0.0.0/0"]; !ok {
			t.Errorf("open to the world on 22 expected in revision 5: %v", r5)
		}
		if _, ok := sg.Revisions[5].State["ingress"].(map[string]any)["tcp:22-22:cidrIpv4:0.0.0.0/0"]; ok {
			t.Errorf("22 still open after the revoke")
		}
		if sg.Revisions[6].State != nil || !sg.Revisions[6].Deleted {
			t.Errorf("last revision is not a tombstone: %+v", sg.Revisions[6])
		}
	}

	u, ok := hs["123837392027/global/AWS::IAM::User/malicious-iam-user"]
	if !ok {
		t.Fatal("no history for malicious-iam-user")
	}
	want = strings.ReplaceAll(`12:24:49 CreateUser BERT rev=1
12:24:49 AttachUserPolicy BERT rev=2
12:24:50 CreateAccessKey BERT rev=3
12:28:24 DeleteAccessKey BERT rev=4
12:28:24 DetachUserPolicy BERT rev=5
12:28:24 DeleteUser BERT rev=6 deleted
`, "BERT", bert)
	if got := timeline(u); got != want {
		t.Errorf("user timeline:\n%s\nwant:\n%s", got, want)
	}
	if len(u.Revisions) == 6 {
		keys, _ := u.Revisions[2].State["accessKeys"].(map[string]any)
		if len(keys) != 1 || u.Revisions[2].State["attachedPolicies"] == nil {
			t.Errorf("revision 3 state: %v", u.Revisions[2].State)
		}
		if u.Resource.ARN != "arn:aws:iam::123837392027:user/malicious-iam-user" {
			t.Errorf("ARN %q", u.Resource.ARN)
		}
	}
}

// TestCorpusFoldOrderIndependent folds the corpus's steps reversed and
// with every third step duplicated: the histories are byte-identical.
func TestCorpusFoldOrderIndependent(t *testing.T) {
	files, _ := filepath.Glob("../../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		t.Fatal("shared corpus not found at ../shared/corpora")
	}
	d := decode.New(decode.Options{})
	col := &collector{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Decode(context.Background(), f, fh, col)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, err := state.FoldAll(col.steps)
	if err != nil {
		t.Fatal(err)
	}
	var mixed []state.Step
	for i := len(col.steps) - 1; i >= 0; i-- {
		mixed = append(mixed, col.steps[i])
		if i%3 == 0 {
			mixed = append(mixed, col.steps[i])
		}
	}
	b, err := state.FoldAll(mixed)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatal("the corpus's histories depend on the order of the events")
	}
	t.Logf("%d steps, %d resources", len(col.steps), len(a))
}
