package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
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
			[]string{"ACCOUNT REGION TYPE ID NAME REV UPDATED DELETED", ", deleted: 0"}, []string{corpSG, badUser}},
		{"list deleted", []string{"list", "--deleted"}, ExitOK,
			[]string{corpSG + " - 7 2023-07-10T12:12:06Z yes", badUser + " - 6 2023-07-10T12:28:24Z yes"}, nil},
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
		{"report tags, deleted resources left out", []string{"report", "tags", "--require", "Owner", "--type", "iam::user"}, ExitOK, []string{"No resources match."}, nil},
		{"report tags failing", []string{"report", "tags", "--require", "Owner"}, ExitFindings, []string{", compliant: 0 (0%)", "Not compliant:"}, nil},
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
		found, live := false, 0
		for _, r := range out.Resources {
			if r.Resource.Key() == corpSGK {
				found = r.Deleted && r.Revision == 7 && r.Updated.Equal(time.Date(2023, 7, 10, 12, 12, 6, 0, time.UTC))
			}
			if !r.Deleted {
				live++
			}
		}
		if !found || live == 0 {
			t.Errorf("list: security group found %v, %d live resources: %+v", found, live, out.Resources)
		}
		// The tag report counts the live resources; none has an Owner tag.
		var rep struct {
			Total, Compliant int
			NonCompliant     []json.RawMessage `json:"nonCompliant"`
		}
		jsonOf(t, ExitFindings, &rep, "inventory", "report", "tags", "--require", "Owner", "--state", db)
		if rep.Total != live || rep.Compliant != 0 || len(rep.NonCompliant) != live {
			t.Errorf("report: total %d compliant %d non-compliant %d; %d live", rep.Total, rep.Compliant, len(rep.NonCompliant), live)
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

// Resources of the tag fixture: two accounts, teams red and blue,
// environments prod and dev.
var (
	tagInst1 = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: "i-1"}
	tagInst2 = state.ResourceID{Account: "111111111111", Region: "eu-west-1", Type: "AWS::EC2::Instance", ID: "i-2"}
	tagSGA   = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}
	tagSGB   = state.ResourceID{Account: "222222222222", Region: "us-east-1", Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}
	tagUser  = state.ResourceID{Account: "222222222222", Region: "global", Type: "AWS::IAM::User", ID: "carol", ARN: "arn:aws:iam::222222222222:user/carol"}
	tagGone  = state.ResourceID{Account: "111111111111", Region: "us-east-1", Type: "AWS::EC2::Instance", ID: "i-gone"}
)

const (
	alice     = "arn:aws:iam::111111111111:user/alice"
	deployer  = "arn:aws:sts::111111111111:assumed-role/deployer/ci-42"
	deployIss = "arn:aws:iam::111111111111:role/deployer"
)

// tagSteps is the tag fixture. i-2 had a CostCenter until a deployer
// removed it; i-gone was compliant but is deleted.
func tagSteps() []state.Step {
	t0 := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	n := 0
	mk := func(actor string, sec int, cs ...state.Change) state.Step {
		n++
		p := state.Provenance{EventID: "ev-" + string(rune('a'+n)), EventName: "E" + string(rune('a'+n)), EventTime: t0.Add(time.Duration(sec) * time.Second),
			Actor: actor, SourceIP: "198.51.100.7", UserAgent: "aws-cli/2.15.0"}
		if actor == deployer {
			p.Issuer = deployIss
			p.EventName = "CreateTags"
		}
		return state.Step{Provenance: p, Changes: cs}
	}
	put := func(id state.ResourceID, tags map[string]any) state.Change {
		return state.Change{Resource: id, Op: state.OpPut, Value: map[string]any{"tags": tags}}
	}
	return []state.Step{
		mk(alice, 0, put(tagInst1, map[string]any{"Name": "web-1", "Owner": "alice", "CostCenter": "42", "team": "red", "env": "prod"})),
		mk(alice, 1, put(tagInst2, map[string]any{"Owner": "bob", "CostCenter": "7", "Team": "blue", "Environment": "dev"})),
		mk(alice, 2, put(tagSGA, map[string]any{"CostCenter": "42", "team": "red", "env": "prod", "Owner": ""})),
		mk(alice, 3, put(tagSGB, map[string]any{"Owner": "dan", "CostCenter": "9", "Team": "blue", "env": "dev", "Note": "x\x1b[2J\ty"})),
		mk(alice, 4, state.Change{Resource: tagUser, Op: state.OpPut, Value: map[string]any{"userName": "carol"}}),
		mk(alice, 5, put(tagGone, map[string]any{"Owner": "alice", "CostCenter": "42"})),
		mk(alice, 60, state.Change{Resource: tagGone, Op: state.OpDelete}),
		mk(deployer, 120, state.Change{Resource: tagInst2, Op: state.OpUnset, Path: []string{"tags", "CostCenter"}}),
		mk(deployer, 180, state.Change{Resource: tagInst1, Op: state.OpSet, Path: []string{"tags", "Owner"}, Value: "erin"}),
		mk(alice, 200, state.Change{Resource: tagInst1, Op: state.OpSet, Path: []string{"tags", "team"}, Value: "red"}), // changes nothing
	}
}

func TestInventoryTagReport(t *testing.T) {
	isolate(t)
	db := newStateStore(t, tagSteps())

	type tally struct {
		Key       string         `json:"key"`
		Total     int            `json:"total"`
		Compliant int            `json:"compliant"`
		Missing   map[string]int `json:"missing"`
	}
	var rep struct {
		Total        int     `json:"total"`
		Compliant    int     `json:"compliant"`
		Accounts     []tally `json:"accounts"`
		Teams        []tally `json:"teams"`
		Environments []tally `json:"environments"`
		NonCompliant []struct {
			Resource    state.ResourceID `json:"resource"`
			Team        string           `json:"team"`
			Environment string           `json:"environment"`
			Missing     []string         `json:"missing"`
		} `json:"nonCompliant"`
	}
	jsonOf(t, ExitFindings, &rep, "inventory", "report", "tags", "--require", "Owner,CostCenter", "--state", db)
	str := func(ts []tally) string {
		var b strings.Builder
		for _, t := range ts {
			b.WriteString(t.Key + ":" + strings.Join([]string{itoa(t.Total), itoa(t.Compliant), itoa(t.Missing["Owner"]), itoa(t.Missing["CostCenter"])}, "/") + " ")
		}
		return b.String()
	}
	// i-1 and B's sg-1 comply; i-2 lost its CostCenter; A's sg-1 has an
	// empty Owner; carol has no tags; i-gone is deleted.
	if rep.Total != 5 || rep.Compliant != 2 {
		t.Errorf("total %d compliant %d, want 5 and 2", rep.Total, rep.Compliant)
	}
	for _, c := range []struct{ what, got, want string }{
		{"accounts", str(rep.Accounts), "111111111111:3/1/1/1 222222222222:2/1/1/1 "},
		{"teams", str(rep.Teams), ":1/0/1/1 blue:2/1/0/1 red:2/1/1/0 "},
		{"environments", str(rep.Environments), ":1/0/1/1 dev:2/1/0/1 prod:2/1/1/0 "},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s, want %s", c.what, c.got, c.want)
		}
	}
	var bad []string
	for _, u := range rep.NonCompliant {
		bad = append(bad, u.Resource.Key()+" "+u.Team+"/"+u.Environment+" "+strings.Join(u.Missing, ","))
	}
	want := []string{
		"111111111111/eu-west-1/AWS::EC2::Instance/i-2 blue/dev CostCenter",
		"111111111111/us-east-1/AWS::EC2::SecurityGroup/sg-1 red/prod Owner",
		"222222222222/global/AWS::IAM::User/carol / Owner,CostCenter",
	}
	if strings.Join(bad, "\n") != strings.Join(want, "\n") {
		t.Errorf("non-compliant:\n%s\nwant:\n%s", strings.Join(bad, "\n"), strings.Join(want, "\n"))
	}

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"text", []string{"--require", "Owner", "--require", "CostCenter"}, ExitFindings, []string{
			"resources: 5, compliant: 2 (40%), not compliant: 3",
			"ACCOUNT RESOURCES COMPLIANT % NO Owner NO CostCenter",
			"111111111111 3 1 33% 1 1",
			"TEAM RESOURCES COMPLIANT % NO Owner NO CostCenter",
			"(untagged) 1 0 0% 1 1",
			"red 2 1 50% 1 0",
			"ENVIRONMENT RESOURCES",
			"Not compliant: 3",
			"111111111111 eu-west-1 AWS::EC2::Instance i-2 - blue dev CostCenter",
			"222222222222 global AWS::IAM::User carol - - - Owner,CostCenter",
		}},
		{"instances with an owner", []string{"--require", "Owner", "--type", "Instance"}, ExitOK, []string{"resources: 2, compliant: 2 (100%), not compliant: 0"}},
		{"one account", []string{"--require", "CostCenter", "--account", "222222222222"}, ExitFindings, []string{"resources: 2, compliant: 1 (50%)", "carol"}},
		{"other team tags", []string{"--require", "Owner", "--team-tag", "Owner"}, ExitFindings, []string{"erin 1 1 100% 0"}},
		{"nothing matches", []string{"--require", "Owner", "--type", "AWS::S3::Bucket"}, ExitOK, []string{"No resources match."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"inventory", "report", "tags", "--state", db}, tt.args...)...)
			r.wantCode(t, tt.code)
			for _, w := range tt.want {
				if !strings.Contains(squeeze(r.stdout), w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestInventoryTagFixture(t *testing.T) {
	isolate(t)
	db := newStateStore(t, tagSteps())
	tests := []struct {
		name string
		args []string
		code int
		want []string // in stdout, or in stderr when code is not 0; spaces squeezed
		not  []string
	}{
		{"list by tag", []string{"list", "--tag", "team=red"}, ExitOK, []string{"i-1 web-1", "resources: 2, deleted: 0"}, []string{"i-2"}},
		{"list by tag key", []string{"list", "--tag", "CostCenter"}, ExitOK, []string{"i-1", "sg-1", "resources: 3"}, []string{"i-2", "i-gone"}},
		{"list by two tags", []string{"list", "--tag", "env=dev", "--tag", "Team=blue", "--account", "222222222222"}, ExitOK, []string{"222222222222 us-east-1 AWS::EC2::SecurityGroup sg-1", "resources: 1"}, nil},
		{"list tag with a comma", []string{"list", "--tag", "Owner=a,b"}, ExitOK, []string{"No resources match."}, nil},
		{"list deleted", []string{"list", "--deleted", "--region", "us-east-1", "--type", "instance"}, ExitOK, []string{"i-gone - 2 2024-03-01T09:01:00Z yes", "resources: 2, deleted: 1"}, nil},
		{"ambiguous id", []string{"show", "sg-1"}, ExitError, []string{`"sg-1" names 2 resources`, "111111111111/us-east-1/AWS::EC2::SecurityGroup/sg-1", "222222222222/us-east-1/AWS::EC2::SecurityGroup/sg-1"}, nil},
		{"ambiguous id resolved by key", []string{"show", "222222222222/us-east-1/AWS::EC2::SecurityGroup/sg-1"}, ExitOK, []string{`"Owner": "dan"`}, nil},
		{"blame with an issuer", []string{"blame", "i-1", "tags"}, ExitOK, []string{
			"FIELD VALUE REV TIME EVENT ACTOR ISSUER SOURCE IP USER AGENT",
			"tags.Owner erin 2 2024-03-01T09:03:00Z CreateTags " + deployer + " " + deployIss + " 198.51.100.7 aws-cli/2.15.0",
			"tags.team red 1 2024-03-01T09:00:00Z Eb " + alice + " - 198.51.100.7",
		}, []string{"tags.Owner alice"}},
		{"history with an issuer", []string{"history", "i-2"}, ExitOK, []string{"revision 2 2024-03-01T09:02:00Z CreateTags", "issuer " + deployIss, "tags.CostCenter: - 7"}, nil},
		{"history with a call that changed nothing", []string{"history", "i-1"}, ExitOK, []string{"no change 2024-03-01T09:03:20Z Ek", "events: 3, revisions: 2, failed calls: 0"}, nil},
		{"diff of a tag", []string{"diff", "i-1", "--from", "2024-03-01T09:01:00Z", "--to", "2024-03-01"}, ExitOK, []string{"tags.Owner: alice → erin"}, nil},
		{"control characters", []string{"blame", "222222222222/us-east-1/AWS::EC2::SecurityGroup/sg-1", "tags.Note"}, ExitOK, []string{"tags.Note x?[2J y 1 2024-03-01T09:00:03Z"}, []string{"\x1b"}},
		{"bad tag flag", []string{"list", "--tag", "=x"}, ExitError, []string{`--tag "=x"`}, nil},
		{"no tag named", []string{"report", "tags", "--require", ","}, ExitError, []string{"--require"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append(append([]string{"inventory"}, tt.args...), "--state", db)...)
			r.wantCode(t, tt.code)
			out := r.stdout
			if tt.code == ExitError {
				out = r.stderr
			}
			for _, w := range tt.want {
				if !strings.Contains(squeeze(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(squeeze(r.stdout), w) {
					t.Errorf("output holds %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestInventoryHelpAndConfig(t *testing.T) {
	home := isolate(t)
	r := runCLI(t, "inventory", "--help")
	r.wantCode(t, ExitOK)
	for _, w := range []string{"inventory list", "inventory show", "inventory history", "inventory blame", "inventory diff", "inventory report tags"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("help lacks %q:\n%s", w, r.stdout)
		}
	}
	r = runCLI(t, "inventory", "diff", "--help")
	r.wantCode(t, ExitOK)
	for _, w := range []string{"--from", "--to", "--state", "--format"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("diff help lacks %q:\n%s", w, r.stdout)
		}
	}
	// The config names the store; a relative path is relative to the config.
	db := newStateStore(t, tagSteps())
	if err := os.Rename(db, filepath.Join(home, "inv.db")); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, home, "trailwarden.yaml", []byte("state_store: inv.db\n"))
	r = runCLI(t, "--config", cfg, "inventory", "list")
	r.wantCode(t, ExitOK)
	if !strings.Contains(r.stdout, "web-1") {
		t.Errorf("list through the config's store:\n%s", r.stdout)
	}
	// diff needs --from.
	r = runCLI(t, "inventory", "diff", "i-1", "--state", filepath.Join(home, "inv.db"))
	r.wantCode(t, ExitError)
	if !strings.Contains(r.stderr, "--from") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

// TestInventoryAfterScan reads the state store a scan of the corpus filled:
// the path a user takes.
func TestInventoryAfterScan(t *testing.T) {
	home := isolate(t)
	db, st := filepath.Join(home, "tw.db"), filepath.Join(home, "state.db")
	args := append([]string{"scan", "--store", db, "--state", st, "--fail-on", "never", "--format", "jsonl"}, loggingPack...)
	r := runCLI(t, append(args, "../../../shared/corpora/invictus-cloudtrail/CloudTrail")...)
	r.wantCode(t, ExitOK)
	var out struct {
		Events []struct {
			EventName string `json:"eventName"`
			Actor     string `json:"actor"`
			Revision  int    `json:"revision"`
		} `json:"events"`
	}
	jsonOf(t, ExitOK, &out, "inventory", "history", corpSG, "--state", st)
	if len(out.Events) != 8 || out.Events[0].EventName != "CreateSecurityGroup" || out.Events[0].Actor != bert || out.Events[7].Revision != 7 {
		t.Errorf("history after a scan: %+v", out.Events)
	}
}
