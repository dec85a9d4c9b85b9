package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"ModifySecurityGroupRules": modifySecurityGroupRules,
	})
}

// modifySecurityGroupRules rewrites rules named by their
// securityGroupRuleId. The call does not say whether a rule is ingress or
// egress, so each rewrite is an OpReplace sent to both sets: only the one
// holding the rule id changes, and the rule is re-keyed by its new content
// so that a later revocation by content finds it. A rule the state does not
// hold yet (created before the trail began) is not invented.
//
// CloudTrail logs the request as its XML body:
// {"ModifySecurityGroupRulesRequest": {"GroupId": ..., "SecurityGroupRule":
// {"SecurityGroupRuleId": ..., "SecurityGroupRule": {"IpProtocol": ...}}}},
// one object or a list of them.
func modifySecurityGroupRules(c *call) ([]state.Change, error) {
	req := body(c.req, "ModifySecurityGroupRulesRequest")
	group := fstr(req, "groupId")
	if group == "" {
		return nil, c.errorf("no requestParameters.ModifySecurityGroupRulesRequest.GroupId")
	}
	updates := list(req, "securityGroupRule")
	if len(updates) == 0 {
		return nil, c.errorf("no SecurityGroupRule updates")
	}
	r := c.id(TypeSecurityGroup, group)
	out := make([]state.Change, 0, 2*len(updates))
	for _, u := range updates {
		id := fstr(u, "securityGroupRuleId")
		spec, _ := fget(u, "securityGroupRule").(map[string]any)
		if id == "" || spec == nil {
			return nil, c.errorf("a SecurityGroupRule update without SecurityGroupRuleId or SecurityGroupRule")
		}
		ru, err := ruleRequest(c, spec)
		if err != nil {
			return nil, err
		}
		member := ru.value()
		member["ruleId"] = id
		for _, dir := range []string{"ingress", "egress"} {
			out = append(out, state.Change{Resource: r, Op: state.OpReplace, Path: []string{dir},
				Value: map[string]any{"match": map[string]any{"ruleId": id}, "key": ru.key(), "member": member}})
		}
	}
	return out, nil
}

// ruleRequest reads a SecurityGroupRuleRequest: IpProtocol, FromPort,
// ToPort, one of CidrIpv4, CidrIpv6, ReferencedGroupId, PrefixListId, and
// Description.
func ruleRequest(c *call, m map[string]any) (rule, error) {
	ru := rule{Protocol: protocol(fget(m, "ipProtocol")), FromPort: port(fget(m, "fromPort")), ToPort: port(fget(m, "toPort")), Description: fstr(m, "description")}
	switch {
	case fstr(m, "cidrIpv4") != "":
		ru.PeerKind, ru.Peer = "cidrIpv4", fstr(m, "cidrIpv4")
	case fstr(m, "cidrIpv6") != "":
		ru.PeerKind, ru.Peer = "cidrIpv6", fstr(m, "cidrIpv6")
	case fstr(m, "referencedGroupId") != "":
		ru.PeerKind, ru.Peer = "group", fstr(m, "referencedGroupId")
	case fstr(m, "prefixListId") != "":
		ru.PeerKind, ru.Peer = "prefixList", fstr(m, "prefixListId")
	default:
		return rule{}, c.errorf("a SecurityGroupRule without a peer (CidrIpv4, CidrIpv6, ReferencedGroupId, PrefixListId)")
	}
	return ru, nil
}
