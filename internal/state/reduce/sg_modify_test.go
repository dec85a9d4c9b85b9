package reduce

import (
	"testing"

	"github.com/trailwarden/trailwarden/internal/state"
)

func TestReduceModifySecurityGroupRules(t *testing.T) {
	runCases(t, []reduceCase{
		{name: "ModifySecurityGroupRules opens a rule to the world", source: ec2, event: "ModifySecurityGroupRules",
			req:  `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-04cf","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-0bb3","SecurityGroupRule":{"Description":"ssh","IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv4":"0.0.0.0/0"},"tag":1}}}`,
			resp: `{"ModifySecurityGroupRulesResponse":{"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/","requestId":"4b8e","return":true}}`,
			want: `
replace us-east-1/AWS::EC2::SecurityGroup/sg-04cf ingress = {"key":"tcp:22-22:cidrIpv4:0.0.0.0/0","match":{"ruleId":"sgr-0bb3"},"member":{"cidrIpv4":"0.0.0.0/0","description":"ssh","fromPort":22,"protocol":"tcp","ruleId":"sgr-0bb3","toPort":22}}
replace us-east-1/AWS::EC2::SecurityGroup/sg-04cf egress = {"key":"tcp:22-22:cidrIpv4:0.0.0.0/0","match":{"ruleId":"sgr-0bb3"},"member":{"cidrIpv4":"0.0.0.0/0","description":"ssh","fromPort":22,"protocol":"tcp","ruleId":"sgr-0bb3","toPort":22}}`},
		{name: "ModifySecurityGroupRules several, all traffic and a group", source: ec2, event: "ModifySecurityGroupRules",
			req: `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":[{"SecurityGroupRuleId":"sgr-1","SecurityGroupRule":{"IpProtocol":"-1","CidrIpv6":"::/0"},"tag":1},{"SecurityGroupRuleId":"sgr-2","SecurityGroupRule":{"IpProtocol":"tcp","FromPort":5432,"ToPort":5432,"ReferencedGroupId":"sg-app"},"tag":2}]}}`,
			want: `
replace us-east-1/AWS::EC2::SecurityGroup/sg-1 ingress = {"key":"-1:all:cidrIpv6:::/0","match":{"ruleId":"sgr-1"},"member":{"cidrIpv6":"::/0","protocol":"-1","ruleId":"sgr-1"}}
replace us-east-1/AWS::EC2::SecurityGroup/sg-1 egress = {"key":"-1:all:cidrIpv6:::/0","match":{"ruleId":"sgr-1"},"member":{"cidrIpv6":"::/0","protocol":"-1","ruleId":"sgr-1"}}
replace us-east-1/AWS::EC2::SecurityGroup/sg-1 ingress = {"key":"tcp:5432-5432:group:sg-app","match":{"ruleId":"sgr-2"},"member":{"fromPort":5432,"group":"sg-app","protocol":"tcp","ruleId":"sgr-2","toPort":5432}}
replace us-east-1/AWS::EC2::SecurityGroup/sg-1 egress = {"key":"tcp:5432-5432:group:sg-app","match":{"ruleId":"sgr-2"},"member":{"fromPort":5432,"group":"sg-app","protocol":"tcp","ruleId":"sgr-2","toPort":5432}}`},
		{name: "ModifySecurityGroupRules failed", source: ec2, event: "ModifySecurityGroupRules", errorCode: "Client.InvalidSecurityGroupRuleId.NotFound",
			req: `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-9","SecurityGroupRule":{"IpProtocol":"-1","CidrIpv4":"0.0.0.0/0"}}}}`},
		{name: "ModifySecurityGroupRules without group", source: ec2, event: "ModifySecurityGroupRules",
			req: `{"ModifySecurityGroupRulesRequest":{"SecurityGroupRule":{"SecurityGroupRuleId":"sgr-1","SecurityGroupRule":{"IpProtocol":"-1","CidrIpv4":"0.0.0.0/0"}}}}`, wantErr: true},
		{name: "ModifySecurityGroupRules rule without peer", source: ec2, event: "ModifySecurityGroupRules",
			req: `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-1","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-1","SecurityGroupRule":{"IpProtocol":"tcp"}}}}`, wantErr: true},
	})
}

// TestModifySecurityGroupRulesFold checks the rewrite end to end: the
// ingress rule authorized with id sgr-0bb3 is re-keyed by its new content
// and the egress set is untouched.
func TestModifySecurityGroupRulesFold(t *testing.T) {
	var steps []state.Step
	for _, ev := range []struct{ name, req, resp string }{
		{"CreateSecurityGroup", `{"groupName":"web","groupDescription":"web","vpcId":"vpc-1"}`, `{"groupId":"sg-04cf"}`},
		{"AuthorizeSecurityGroupIngress", `{"groupId":"sg-04cf","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]}}`,
			`{"_return":true,"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0bb3","isEgress":false,"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIpv4":"10.0.0.0/8"}]}}`},
		{"ModifySecurityGroupRules", `{"ModifySecurityGroupRulesRequest":{"GroupId":"sg-04cf","SecurityGroupRule":{"SecurityGroupRuleId":"sgr-0bb3","SecurityGroupRule":{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIpv4":"0.0.0.0/0"}}}}`, ``},
	} {
		cs, err := Reduce(record(t, ec2, ev.name, ev.req, ev.resp, ""))
		if err != nil {
			t.Fatal(err)
		}
		s := state.Step{Provenance: state.Provenance{EventID: ev.name, EventName: ev.name}, Changes: cs}
		s.Provenance.EventTime = s.Provenance.EventTime.AddDate(0, 0, len(steps))
		steps = append(steps, s)
	}
	h, err := state.Fold(steps[0].Changes[0].Resource, steps)
	if err != nil {
		t.Fatal(err)
	}
	cur := h.Current().State
	in := cur["ingress"].(map[string]any)
	if _, ok := in["tcp:22-22:cidrIpv4:0.0.0.0/0"]; !ok || len(in) != 1 {
		t.Fatalf("ingress after the modification: %v", in)
	}
	if eg := cur["egress"].(map[string]any); len(eg) != 1 {
		t.Fatalf("egress changed: %v", eg)
	}
}
