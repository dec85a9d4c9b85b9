package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/decode"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reduce"
	"github.com/trailwarden/trailwarden/internal/state/sqlitestate"
)

// stepCollector reduces every decoded event into a state.Step.
type stepCollector struct{ steps []state.Step }

func (c *stepCollector) Event(_ context.Context, e *event.Event) error {
	s, err := reduce.Step(e)
	if err != nil {
		return err
	}
	if len(s.Changes) > 0 || len(s.Targets) > 0 {
		c.steps = append(c.steps, s)
	}
	return nil
}

func (c *stepCollector) Reject(_ context.Context, err *decode.RecordError) error { return err }

// newStateStore applies steps to a new SQLite state store in a temporary
// directory and returns its path.
func newStateStore(t *testing.T, steps []state.Step) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := sqlitestate.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Apply(t.Context(), steps); err != nil {
		t.Fatal(err)
	}
	return path
}

// corpusStateStore is a state store holding the invictus-cloudtrail
// corpus: a security group and IAM users created, changed and deleted by
// bert-jan, buckets, instances and an AMI.
func corpusStateStore(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("../../../shared/corpora/invictus-cloudtrail/CloudTrail/*.json")
	if len(files) == 0 {
		t.Fatal("shared corpus not found at ../shared/corpora")
	}
	d := decode.New(decode.Options{})
	col := &stepCollector{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Decode(t.Context(), f, fh, col)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
	}
	return newStateStore(t, col.steps)
}

const (
	bert    = "arn:aws:iam::123837392027:user/bert-jan"
	corpSG  = "sg-04cfb7a4712d75b00"
	corpSGK = "123837392027/us-east-1/AWS::EC2::SecurityGroup/sg-04cfb7a4712d75b00"
	badUser = "malicious-iam-user"
)

// jsonOf runs the command line with --format json, wants exit code and
// decodes stdout into v.
func jsonOf(t *testing.T, code int, v any, args ...string) {
	t.Helper()
	r := runCLI(t, append(args, "--format", "json")...)
	r.wantCode(t, code)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("%v: stdout is not JSON: %v\n%s", args, err, r.stdout)
	}
}

func TestInventoryCorpusText(t *testing.T) {
	isolate(t)
	db := corpusStateStore(t)
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stdout, or stderr when code is not 0
		not  []string // not in stdout
	}{
		{"list current", []string{"list"}, ExitOK,
			[]string{"AWS::EC2::Image", "ami-0aa1d83d0b0985c86", "resources: 1, deleted: 0"}, []string{corpSG, badUser}},
		{"list deleted", []string{"list", "--deleted"}, ExitOK,
			[]string{"ACCOUNT", "UPDATED", corpSG, badUser, "2023-07-10T12:12:06Z  yes", "resources: 13, deleted: 12"}, nil},
		{"list by short type", []string{"list", "--deleted", "--type", "iam::user"}, ExitOK,
			[]string{badUser, "resources: 4, deleted: 4"}, []string{corpSG}},
		{"list by full type", []string{"list", "--deleted", "--type", "AWS::EC2::SecurityGroup"}, ExitOK,
			[]string{corpSG, "resources: 1, deleted: 1"}, []string{badUser}},
		{"history of the group", []string{"history", corpSG}, ExitOK, []string{
			"resource  " + corpSGK,
			"revision 1   2023-07-10T12:10:01Z  CreateSecurityGroup",
			"  actor       " + bert,
			"  source ip   192.168.10.20",
			"    groupName: + stratus-red-team-open-sg-sg",
			"failed       2023-07-10T12:10:04Z  RevokeSecurityGroupEgress  error Client.InvalidPermission.NotFound",
			"revision 5   2023-07-10T12:10:08Z  AuthorizeSecurityGroupIngress",
			"  user agent  stratus-red-team_2142a106-933f-4595-ad51-0ff5dfff60b7",
			`    ingress.tcp:22-22:cidrIpv4:0.0.0.0/0: + {"cidrIpv4":"0.0.0.0/0","fromPort":22,"protocol":"tcp","ruleId":"sgr-0a11552a7d225f5c7","toPort":22}`,
			`    ingress.tcp:22-22:cidrIpv4:0.0.0.0/0: - {"cidrIpv4"`,
			"revision 7   2023-07-10T12:12:06Z  DeleteSecurityGroup",
			"  deleted",
			"events: 8, revisions: 7, failed calls: 1",
		}, nil},
		{"show before the deletion", []string{"show", corpSG, "--at", "2023-07-10T12:10:30Z"}, ExitOK, []string{
			"at        2023-07-10T12:10:30Z",
			"revision  5, 2023-07-10T12:10:08Z AuthorizeSecurityGroupIngress by " + bert + " from 192.168.10.20",
			`"tcp:22-22:cidrIpv4:0.0.0.0/0": {`,
		}, []string{"Deleted."}},
		{"show now", []string{"show", corpSG}, ExitOK, []string{"revision  7, 2023-07-10T12:12:06Z DeleteSecurityGroup", "Deleted."}, nil},
		{"show at a date is its end", []string{"show", corpSG, "--at", "2023-07-10"}, ExitOK, []string{"at        2023-07-10T23:59:59.999999999Z", "Deleted."}, nil},
		{"show before creation", []string{"show", corpSG, "--at", "2023-07-10T12:00:00Z"}, ExitError, []string{"did not exist yet at 2023-07-10T12:00:00Z"}, nil},
		{"show bad time", []string{"show", corpSG, "--at", "yesterday"}, ExitError, []string{`--at: "yesterday" is not a time`}, nil},
		{"blame the deleted user", []string{"blame", badUser}, ExitOK, []string{
			"deleted   revision 6, 2023-07-10T12:28:24Z DeleteUser by " + bert,
			"FIELD", "SOURCE IP", "USER AGENT",
			"userName malicious-iam-user 1 2023-07-10T12:24:49Z CreateUser " + bert + " 192.168.10.20 stratus-red-team_e1bd4d05",
			"attachedPolicies {} 5 2023-07-10T12:28:24Z DetachUserPolicy " + bert,
		}, []string{"ISSUER"}},
		{"blame one field", []string{"blame", corpSG, "ingress", "--at", "2023-07-10T12:10:30Z"}, ExitOK, []string{
			"ingress.tcp:22-22:cidrIpv4:0.0.0.0/0.fromPort 22 5 2023-07-10T12:10:08Z AuthorizeSecurityGroupIngress " + bert,
			"ingress.tcp:443-443:cidrIpv4:0.0.0.0/0.fromPort 443 3 2023-07-10T12:10:05Z AuthorizeSecurityGroupIngress " + bert,
		}, []string{"groupName", "egress"}},
		{"blame no such field", []string{"blame", corpSG, "tags.Owner"}, ExitError, []string{`has no field "tags.Owner" at revision 6`}, nil},
		{"diff", []string{"diff", corpSG, "--from", "2023-07-10T12:10:05Z", "--to", "2023-07-10T12:12:00Z"}, ExitOK, []string{
			"from      2023-07-10T12:10:05Z: revision 3 (2023-07-10T12:10:05Z AuthorizeSecurityGroupIngress)",
			"to        2023-07-10T12:12:00Z: revision 6 (2023-07-10T12:11:57Z RevokeSecurityGroupIngress)",
			"  4  2023-07-10T12:10:06Z  AuthorizeSecurityGroupEgress   " + bert,
			"  6  2023-07-10T12:11:57Z  RevokeSecurityGroupIngress     " + bert,
			`  egress.-1:all:cidrIpv6:::/0: + {"cidrIpv6":"::/0","protocol":"-1","ruleId":"sgr-08d9fb7a2d678c6e8"}`,
		}, []string{"ingress.tcp:22"}}, // opened and closed again: no net change
		{"diff to the deletion", []string{"diff", corpSG, "--from", "2023-07-10T12:12:00Z"}, ExitOK, []string{
			"to        now: revision 7 (2023-07-10T12:12:06Z DeleteSecurityGroup, deleted)",
			"  groupName: - stratus-red-team-open-sg-sg",
		}, nil},
		{"diff before creation", []string{"diff", corpSG, "--from", "2023-07-09", "--to", "2023-07-10T12:10:01Z"}, ExitOK, []string{
			"from      2023-07-09T23:59:59.999999999Z: nothing (not created yet)",
			"  groupName: + stratus-red-team-open-sg-sg",
		}, nil},
		{"by stored ARN", []string{"show", "arn:aws:iam::123837392027:user/malicious-iam-user", "--at", "2023-07-10T12:25:00Z"}, ExitOK,
			[]string{"revision  3, 2023-07-10T12:24:50Z CreateAccessKey"}, nil},
		{"by ARN not stored", []string{"show", "arn:aws:ec2:us-east-1:123837392027:security-group/" + corpSG}, ExitOK, []string{"resource  " + corpSGK}, nil},
		{"by key", []string{"history", corpSGK}, ExitOK, []string{"resource  " + corpSGK}, nil},
		{"unknown id", []string{"history", "sg-nosuch"}, ExitError, []string{`no resource "sg-nosuch"`}, nil},
		{"unknown key", []string{"history", "123837392027/us-east-1/AWS::EC2::SecurityGroup/sg-nosuch"}, ExitError, []string{"no resource"}, nil},
		{"report tags", []string{"report", "tags", "--require", "Owner"}, ExitFindings, []string{
			"resources: 1, compliant: 0 (0%), not compliant: 1",
			"123837392027  us-east-1  AWS::EC2::Image  ami-0aa1d83d0b0985c86  -     -     -            Owner",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"inventory"}, tt.args...)
			r := runCLI(t, append(args, "--state", db)...)
			r.wantCode(t, tt.code)
			out := r.stdout
			if tt.code == ExitError {
				out = r.stderr
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) && !strings.Contains(squeeze(out), squeeze(w)) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(r.stdout, w) {
					t.Errorf("output holds %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// squeeze collapses the runs of spaces that align columns, so that tests
// do not depend on column widths.
func squeeze(s string) string {
	for strings.Contains(s, "  ") {
		s = strings.ReplaceAll(s, "  ", " ")
	}
	return s
}

func TestInventoryCorpusJSON(t *testing.T) {
	isolate(t)
	db := corpusStateStore(t)

	t.Run("history", func(t *testing.T) {
		var out struct {
			Resource state.ResourceID `json:"resource"`
			Events   []struct {
				state.Provenance
				Revision int  `json:"revision"`
				Deleted  bool `json:"deleted"`
				Changes  []struct {
					Field, Text string
					Before      any
					After       any
				} `json:"changes"`
			} `json:"events"`
		}
		jsonOf(t, ExitOK, &out, "inventory", "history", badUser, "--state", db)
		if out.Resource.ARN != "arn:aws:iam::123837392027:user/malicious-iam-user" {
			t.Errorf("resource %+v", out.Resource)
		}
		var got []string
		for _, e := range out.Events {
			if e.Actor != bert || e.SourceIP != "192.168.10.20" || e.UserAgent == "" {
				t.Errorf("event %s: actor %q ip %q ua %q", e.EventName, e.Actor, e.SourceIP, e.UserAgent)
			}
			got = append(got, e.EventName)
		}
		if strings.Join(got, " ") != "CreateUser AttachUserPolicy CreateAccessKey DeleteAccessKey DetachUserPolicy DeleteUser" {
			t.Errorf("events %v", got)
		}
		if len(out.Events) == 6 {
			if last := out.Events[5]; !last.Deleted || last.Revision != 6 {
				t.Errorf("last event %+v", last)
			}
			if ch := out.Events[1].Changes; len(ch) != 1 || ch[0].Field != "attachedPolicies" || ch[0].After == nil || !strings.Contains(ch[0].Text, ": + ") {
				t.Errorf("AttachUserPolicy changes %+v", ch)
			}
		}
	})

	t.Run("history with a failed call", func(t *testing.T) {
		var out struct {
			Events []struct {
				EventName string `json:"eventName"`
				ErrorCode string `json:"errorCode"`
				Revision  int    `json:"revision"`
			} `json:"events"`
		}
		jsonOf(t, ExitOK, &out, "inventory", "history", corpSG, "--state", db)
		if len(out.Events) != 8 || out.Events[2].ErrorCode != "Client.InvalidPermission.NotFound" || out.Events[2].Revision != 0 || out.Events[7].Revision != 7 {
			t.Errorf("events %+v", out.Events)
		}
	})

	t.Run("blame", func(t *testing.T) {
		var out struct {
			Revision  int               `json:"revision"`
			DeletedBy *state.Provenance `json:"deletedBy"`
			Fields    []struct {
				Field string `json:"field"`
				state.BlameLine
			} `json:"fields"`
		}
		jsonOf(t, ExitOK, &out, "inventory", "blame", badUser, "--state", db)
		if out.Revision != 5 || out.DeletedBy == nil || out.DeletedBy.EventName != "DeleteUser" {
			t.Errorf("revision %d, deleted by %+v", out.Revision, out.DeletedBy)
		}
		by := map[string]string{}
		for _, f := range out.Fields {
			by[f.Field] = f.Provenance.EventName + " " + f.Provenance.Actor
		}
		for field, want := range map[string]string{"userName": "CreateUser " + bert, "accessKeys": "DeleteAccessKey " + bert, "attachedPolicies": "DetachUserPolicy " + bert} {
			if by[field] != want {
				t.Errorf("%s last set by %q, want %q (all: %v)", field, by[field], want, by)
			}
		}
	})

	t.Run("show", func(t *testing.T) {
		var out struct {
			At       string         `json:"at"`
			Revision state.Revision `json:"revision"`
		}
		jsonOf(t, ExitOK, &out, "inventory", "show", corpSG, "--at", "2023-07-10T12:11:00Z", "--state", db)
		ingress, _ := out.Revision.State["ingress"].(map[string]any)
		if out.Revision.Number != 5 || out.Revision.Deleted || ingress["tcp:22-22:cidrIpv4:0.0.0.0/0"] == nil || out.At != "2023-07-10T12:11:00Z" {
			t.Errorf("show: %+v", out)
		}
	})

	t.Run("list", func(t *testing.T) {
		var out struct {
			Resources []struct {
				Resource state.ResourceID `json:"resource"`
				Revision int              `json:"revision"`
				Updated  time.Time        `json:"updated"`
				Deleted  bool             `json:"deleted"`
			} `json:"resources"`
		}
		jsonOf(t, ExitOK, &out, "inventory", "list", "--deleted", "--state", db)
		found := false
		for _, r := range out.Resources {
			if r.Resource.Key() == corpSGK {
				found = r.Deleted && r.Revision == 7 && r.Updated.Equal(time.Date(2023, 7, 10, 12, 12, 6, 0, time.UTC))
			}
		}
		if len(out.Resources) != 13 || !found {
			t.Errorf("list: %+v", out.Resources)
		}
	})

	t.Run("diff", func(t *testing.T) {
		var out struct {
			FromRevision int `json:"fromRevision"`
			ToRevision   int `json:"toRevision"`
			Revisions    []struct {
				Number int    `json:"number"`
				Actor  string `json:"actor"`
			} `json:"revisions"`
			Changes []struct {
				Field string `json:"field"`
				After any    `json:"after"`
			} `json:"changes"`
		}
		jsonOf(t, ExitOK, &out, "inventory", "diff", corpSG, "--from", "2023-07-10T12:10:06Z", "--to", "2023-07-10T12:10:08Z", "--state", db)
		if out.FromRevision != 4 || out.ToRevision != 5 || len(out.Revisions) != 1 || out.Revisions[0].Actor != bert ||
			len(out.Changes) != 1 || out.Changes[0].Field != "ingress.tcp:22-22:cidrIpv4:0.0.0.0/0" || out.Changes[0].After == nil {
			t.Errorf("diff: %+v", out)
		}
	})
}

func TestInventoryNoStore(t *testing.T) {
	home := isolate(t)
	missing := filepath.Join(home, "none", "state.db")
	for _, args := range [][]string{
		{"inventory", "list", "--state", missing},
		{"inventory", "show", "sg-1", "--state", missing},
		{"inventory", "report", "tags", "--require", "Owner", "--state", missing},
		{"inventory", "history", "sg-1"}, // the default path
	} {
		r := runCLI(t, args...)
		r.wantCode(t, ExitError)
		if !strings.Contains(r.stderr, "no state store at") {
			t.Errorf("%v: stderr %q", args, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a reading command created %s", filepath.Dir(missing))
	}
	if _, err := os.Stat(filepath.Join(home, "state", "trailwarden", "state.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a reading command created the default state store")
	}
}
