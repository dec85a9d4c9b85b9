package reduce

import (
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TestCorpusIAMHistories checks the histories of the roles, instance
// profiles and managed policies that the Stratus Red Team techniques
// created and removed in the invictus corpus.
func TestCorpusIAMHistories(t *testing.T) {
	hs := corpusHistories(t)
	const bert = "arn:aws:iam::123837392027:user/bert-jan"
	const acct = "123837392027/global/"
	check := func(key, want string) state.History {
		t.Helper()
		h, ok := hs[acct+key]
		if !ok {
			t.Fatalf("no history for %s", key)
		}
		if got := timeline(h); got != strings.ReplaceAll(want, "BERT", bert) {
			t.Errorf("%s timeline:\n%s\nwant:\n%s", key, got, want)
		}
		return h
	}

	// A role given a backdoor: its trust policy opened to another account,
	// then closed again before the role was deleted.
	r := check("AWS::IAM::Role/stratus-red-team-backdoor-r-role", `12:24:07 CreateRole BERT rev=1
12:24:10 AttachRolePolicy BERT rev=2
12:24:11 UpdateAssumeRolePolicy BERT rev=3
12:28:24 UpdateAssumeRolePolicy BERT rev=4
12:28:34 DetachRolePolicy BERT rev=5
12:28:35 DeleteRole BERT rev=6 deleted
`)
	const outsider = "arn:aws:iam::193672423079:root"
	if r.Resource.ARN != "arn:aws:iam::123837392027:role/stratus-red-team-backdoor-r-role" {
		t.Errorf("role ARN %q", r.Resource.ARN)
	}
	if len(r.Revisions) == 6 {
		if trusts(r.Revisions[1].State, outsider) || !trusts(r.Revisions[2].State, outsider) || trusts(r.Revisions[3].State, outsider) {
			t.Errorf("trust of %s by revision: %v, %v, %v", outsider,
				trusts(r.Revisions[1].State, outsider), trusts(r.Revisions[2].State, outsider), trusts(r.Revisions[3].State, outsider))
		}
		if r.Revisions[0].State["roleId"] == nil {
			t.Errorf("no roleId at creation: %v", r.Revisions[0].State)
		}
		if !r.Revisions[5].Deleted || r.Revisions[5].State != nil {
			t.Errorf("last revision is not a tombstone: %+v", r.Revisions[5])
		}
	}

	// A role with an inline and a managed policy, used by an instance profile.
	r = check("AWS::IAM::Role/stratus-red-team-ec2-steal-credentials-role", `11:55:08 CreateRole BERT rev=1
11:55:08 PutRolePolicy BERT rev=2
11:55:10 AttachRolePolicy BERT rev=3
12:08:05 DetachRolePolicy BERT rev=4
12:08:39 DeleteRolePolicy BERT rev=5
12:08:39 DeleteRole BERT rev=6 deleted
`)
	if len(r.Revisions) == 6 {
		s := r.Revisions[2].State
		inline, _ := s["inlinePolicies"].(map[string]any)
		attached, _ := s["attachedPolicies"].(map[string]any)
		if _, ok := inline["inline"].(map[string]any); !ok || attached["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"] == nil {
			t.Errorf("revision 3 policies: inline %v, attached %v", inline, attached)
		}
		if s["maxSessionDuration"] != int64(3600) || s["tags"] == nil {
			t.Errorf("revision 3 state: %v", s)
		}
	}
	p := check("AWS::IAM::InstanceProfile/stratus-red-team-ec2-steal-credentials-instance", `11:55:10 CreateInstanceProfile BERT rev=1
11:55:11 AddRoleToInstanceProfile BERT rev=2
11:55:12 TagInstanceProfile BERT rev=0
12:08:37 RemoveRoleFromInstanceProfile BERT rev=3
12:08:37 DeleteInstanceProfile BERT rev=4 deleted
`)
	if len(p.Revisions) == 4 {
		if roles, _ := p.Revisions[1].State["roles"].(map[string]any); len(roles) != 1 || roles["stratus-red-team-ec2-steal-credentials-role"] == nil {
			t.Errorf("revision 2 roles: %v", roles)
		}
		if roles, _ := p.Revisions[2].State["roles"].(map[string]any); len(roles) != 0 {
			t.Errorf("revision 3 roles: %v", roles)
		}
	}

	pol := check("AWS::IAM::Policy/stratus-red-team-ec2lui-policy-pcccexdthk", `12:06:32 CreatePolicy BERT rev=1
12:08:01 DeletePolicy BERT rev=2 deleted
`)
	if len(pol.Revisions) == 2 {
		s := pol.Revisions[0].State
		v1, _ := get(s, "versions", "v1", "document").(map[string]any)
		if s["defaultVersionId"] != "v1" || s["document"] == nil || v1 == nil || s["policyId"] != "ANPATFQR7NSCRBSSSS4N4" {
			t.Errorf("policy at creation: %v", s)
		}
	}

	// Every IAM resource the techniques created they also deleted, and IAM
	// histories are global whatever region logged the calls.
	n := map[string]int{}
	for k, h := range hs {
		if !strings.Contains(k, "/AWS::IAM::") {
			continue
		}
		n[h.Resource.Type]++
		if h.Resource.Region != "global" {
			t.Errorf("%s: region %q", k, h.Resource.Region)
		}
		if c := h.Current(); c == nil || !c.Deleted {
			t.Errorf("%s: not deleted at the end of the corpus", k)
		}
	}
	if n[TypeRole] != 13 || n[TypeInstanceProfile] != 3 || n[TypePolicy] != 2 || n[TypeUser] != 4 {
		t.Errorf("IAM histories by type: %v", n)
	}
}

// trusts reports whether a role's trust policy names principal.
func trusts(s map[string]any, principal string) bool {
	stmts, _ := get(s, "assumeRolePolicyDocument", "Statement").([]any)
	for _, st := range stmts {
		if m, ok := st.(map[string]any); ok && get(m, "Principal", "AWS") == principal {
			return true
		}
	}
	return false
}
