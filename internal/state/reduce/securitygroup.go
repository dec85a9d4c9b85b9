package reduce

import (
	"fmt"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeSecurityGroup is the resource type of an EC2 security group.
const TypeSecurityGroup = "AWS::EC2::SecurityGroup"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateSecurityGroup":           createSecurityGroup,
		"DeleteSecurityGroup":           deleteSecurityGroup,
		"AuthorizeSecurityGroupIngress": sgRules("ingress", state.OpAdd),
		"AuthorizeSecurityGroupEgress":  sgRules("egress", state.OpAdd),
		"RevokeSecurityGroupIngress":    sgRules("ingress", state.OpRemove),
		"RevokeSecurityGroupEgress":     sgRules("egress", state.OpRemove),
	})
}

// The rule every new VPC security group gets: all traffic out to anywhere.
var defaultEgress = rule{Protocol: "-1", PeerKind: "cidrIpv4", Peer: "0.0.0.0/0"}

// rule is one normalised security group rule: one protocol and port range
// to or from one peer (a CIDR, a group or a prefix list).
type rule struct {
	Protocol    string // "tcp", "udp", "icmp", "-1" (all) or a number
	FromPort    int64
	ToPort      int64
	PeerKind    string // cidrIpv4, cidrIpv6, group, prefixList
	Peer        string
	Description string
}

// key identifies the rule regardless of its description, e.g.
// "tcp:443-443:cidrIpv4:0.0.0.0/0"; all-protocol rules have no ports.
func (r rule) key() string {
	ports := fmt.Sprintf("%d-%d", r.FromPort, r.ToPort)
	if r.Protocol == "-1" {
		ports = "all"
	}
	return strings.Join([]string{r.Protocol, ports, r.PeerKind, r.Peer}, ":")
}

func (r rule) value() map[string]any {
	m := map[string]any{"protocol": r.Protocol, r.PeerKind: r.Peer}
	if r.Protocol != "-1" {
		m["fromPort"], m["toPort"] = r.FromPort, r.ToPort
	}
	if r.Description != "" {
		m["description"] = r.Description
	}
	return m
}

// groupID returns the group's id, else its name (default VPC and
// EC2-Classic calls may name the group only).
func groupID(c *call, m map[string]any) (string, error) {
	if id := str(m, "groupId"); id != "" {
		return id, nil
	}
	if n := str(m, "groupName"); n != "" {
		return "name:" + n, nil
	}
	return "", c.errorf("no groupId or groupName")
}

func createSecurityGroup(c *call) ([]state.Change, error) {
	id := str(c.resp, "groupId")
	if id == "" {
		return nil, c.errorf("no responseElements.groupId: the group's id is unknown")
	}
	tags := tagMap(items(c.resp, "tagSet"))
	if len(tags) == 0 {
		for _, ts := range items(c.req, "tagSpecificationSet") {
			for k, v := range tagMap(items(ts, "tags")) {
				tags[k] = v
			}
		}
	}
	s := map[string]any{
		"groupName":   str(c.req, "groupName"),
		"description": str(c.req, "groupDescription"),
		"tags":        tags,
		"ingress":     map[string]any{},
		"egress":      map[string]any{defaultEgress.key(): defaultEgress.value()},
	}
	setIf(s, "vpcId", str(c.req, "vpcId"))
	return []state.Change{{Resource: c.id(TypeSecurityGroup, id), Op: state.OpPut, Value: s}}, nil
}

func deleteSecurityGroup(c *call) ([]state.Change, error) {
	id, err := groupID(c, c.req)
	if err != nil {
		return nil, err
	}
	return []state.Change{{Resource: c.id(TypeSecurityGroup, id), Op: state.OpDelete}}, nil
}

// sgRules adds or removes the rules of an Authorize/Revoke call in
// direction dir ("ingress" or "egress").
func sgRules(dir string, op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		id, err := groupID(c, c.req)
		if err != nil {
			return nil, err
		}
		if ids := requestRuleIDs(c); op == state.OpRemove && len(ids) > 0 && len(items(c.req, "ipPermissions")) == 0 {
			// revocation by rule id: remove the members with that ruleId
			out := make([]state.Change, 0, len(ids))
			for _, rid := range ids {
				out = append(out, state.Change{Resource: c.id(TypeSecurityGroup, id), Op: state.OpRemove, Path: []string{dir}, Value: map[string]any{"ruleId": rid}})
			}
			return out, nil
		}
		rules, err := permissions(c)
		if err != nil {
			return nil, err
		}
		r := c.id(TypeSecurityGroup, id)
		ruleIDs := responseRuleIDs(c)
		out := make([]state.Change, 0, len(rules))
		for _, ru := range rules {
			ch := state.Change{Resource: r, Op: op, Path: []string{dir, ru.key()}}
			if op == state.OpAdd {
				v := ru.value()
				if rid := ruleIDs[ru.key()]; rid != "" {
					v["ruleId"] = rid
				}
				ch.Value = v
			}
			out = append(out, ch)
		}
		return out, nil
	}
}

// responseRuleIDs maps the key of each rule an Authorize call created to
// its securityGroupRuleId (responseElements.securityGroupRuleSet).
func responseRuleIDs(c *call) map[string]string {
	out := map[string]string{}
	for _, it := range items(c.resp, "securityGroupRuleSet") {
		r := rule{Protocol: protocol(it["ipProtocol"]), FromPort: port(it["fromPort"]), ToPort: port(it["toPort"])}
		switch {
		case str(it, "cidrIpv4") != "":
			r.PeerKind, r.Peer = "cidrIpv4", str(it, "cidrIpv4")
		case str(it, "cidrIpv6") != "":
			r.PeerKind, r.Peer = "cidrIpv6", str(it, "cidrIpv6")
		case str(it, "referencedGroupInfo", "groupId") != "":
			r.PeerKind, r.Peer = "group", str(it, "referencedGroupInfo", "groupId")
		case str(it, "prefixListId") != "":
			r.PeerKind, r.Peer = "prefixList", str(it, "prefixListId")
		default:
			continue
		}
		if id := str(it, "securityGroupRuleId"); id != "" {
			out[r.key()] = id
		}
	}
	return out
}

// requestRuleIDs returns requestParameters.securityGroupRuleIds (a list of
// {securityGroupRuleId} or of strings).
func requestRuleIDs(c *call) []string {
	var ids []string
	v := get(c.req, "securityGroupRuleIds")
	if o, ok := v.(map[string]any); ok {
		v = o["items"]
	}
	list, _ := v.([]any)
	for _, x := range list {
		switch x := x.(type) {
		case string:
			ids = append(ids, x)
		case map[string]any:
			if id := str(x, "securityGroupRuleId"); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// permissions normalises the rules of a request: ipPermissions.items[]
// with ipRanges/ipv6Ranges/groups/prefixListIds, or the flat legacy form
// (ipProtocol, fromPort, toPort, cidrIp, sourceSecurityGroupName at the
// top level). Revocation by securityGroupRuleIds is handled by sgRules.
func permissions(c *call) ([]rule, error) {
	var out []rule
	perms := items(c.req, "ipPermissions")
	if len(perms) == 0 && (c.req["ipProtocol"] != nil || c.req["cidrIp"] != nil) {
		p := map[string]any{"ipProtocol": c.req["ipProtocol"], "fromPort": c.req["fromPort"], "toPort": c.req["toPort"]}
		if cidr := str(c.req, "cidrIp"); cidr != "" {
			p["ipRanges"] = map[string]any{"items": []any{map[string]any{"cidrIp": cidr}}}
		}
		if g := firstNonEmpty(str(c.req, "sourceSecurityGroupId"), str(c.req, "sourceSecurityGroupName")); g != "" {
			p["groups"] = map[string]any{"items": []any{map[string]any{"groupId": g}}}
		}
		perms = []map[string]any{p}
	}
	for _, p := range perms {
		base := rule{Protocol: protocol(p["ipProtocol"]), FromPort: port(p["fromPort"]), ToPort: port(p["toPort"])}
		n := 0
		add := func(kind, peer, desc string) {
			if peer == "" {
				return
			}
			r := base
			r.PeerKind, r.Peer, r.Description = kind, peer, desc
			out = append(out, r)
			n++
		}
		for _, x := range items(p, "ipRanges") {
			add("cidrIpv4", str(x, "cidrIp"), str(x, "description"))
		}
		for _, x := range items(p, "ipv6Ranges") {
			add("cidrIpv6", str(x, "cidrIpv6"), str(x, "description"))
		}
		for _, x := range items(p, "groups") {
			add("group", firstNonEmpty(str(x, "groupId"), str(x, "groupName")), str(x, "description"))
		}
		for _, x := range items(p, "prefixListIds") {
			add("prefixList", str(x, "prefixListId"), str(x, "description"))
		}
		if n == 0 {
			return nil, c.errorf("an ipPermissions item without any peer (ipRanges, ipv6Ranges, groups, prefixListIds)")
		}
	}
	if len(out) == 0 {
		return nil, c.errorf("no ipPermissions")
	}
	return out, nil
}

// protocol normalises ipProtocol: "-1", "all" and absent mean all traffic.
func protocol(v any) string {
	s := strings.ToLower(fmt.Sprint(v))
	switch s {
	case "", "<nil>", "all", "-1":
		return "-1"
	case "6":
		return "tcp"
	case "17":
		return "udp"
	case "1":
		return "icmp"
	}
	return s
}

func port(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case string:
		var n int64
		if _, err := fmt.Sscan(v, &n); err == nil {
			return n
		}
	}
	return -1
}
