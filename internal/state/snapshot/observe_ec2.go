package snapshot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// instanceKeys are the keys RunInstances gives an instance's state, and
// metadataOptions (ModifyInstanceMetadataOptions).
var instanceKeys = []string{"instanceType", "imageId", "state", "tags", "subnetId", "vpcId",
	"privateIpAddress", "availabilityZone", "keyName", "instanceProfile", "securityGroups", "metadataOptions", "instanceId"}

// observeInstances reads aws ec2 describe-instances. Terminated instances
// are left out: for the hour EC2 still lists them they are gone.
func observeInstances(o *obs, top map[string]any) {
	o.complete(typeInstance, o.d.Account, o.d.Region)
	for i, r := range o.list(top, "", "Reservations") {
		rp := fmt.Sprintf("Reservations[%d]", i)
		account := firstOf(o.str(r, rp, "OwnerId"), o.d.Account)
		for j, it := range o.list(r, rp, "Instances") {
			p := fmt.Sprintf("%s.Instances[%d]", rp, j)
			id := o.need(it, p, "InstanceId")
			st := o.str(o.obj(it, p, "State"), p+".State", "Name")
			if id == "" || st == "terminated" {
				continue
			}
			az := o.str(o.obj(it, p, "Placement"), p+".Placement", "AvailabilityZone")
			s := map[string]any{
				"instanceId":       id,
				"instanceType":     o.str(it, p, "InstanceType"),
				"imageId":          o.str(it, p, "ImageId"),
				"state":            st,
				"tags":             o.tags(it, p, "Tags"),
				"subnetId":         o.str(it, p, "SubnetId"),
				"vpcId":            o.str(it, p, "VpcId"),
				"privateIpAddress": o.str(it, p, "PrivateIpAddress"),
				"availabilityZone": az,
				"keyName":          o.str(it, p, "KeyName"),
				"instanceProfile":  o.str(o.obj(it, p, "IamInstanceProfile"), p+".IamInstanceProfile", "Arn"),
			}
			var groups []any
			for k, g := range o.list(it, p, "SecurityGroups") {
				if gid := o.str(g, fmt.Sprintf("%s.SecurityGroups[%d]", p, k), "GroupId"); gid != "" {
					groups = append(groups, gid)
				}
			}
			s["securityGroups"] = groups
			mo := map[string]any{}
			if m := o.obj(it, p, "MetadataOptions"); m != nil {
				for _, k := range []string{"HttpTokens", "HttpEndpoint", "HttpPutResponseHopLimit", "HttpProtocolIpv6", "InstanceMetadataTags"} {
					if v, ok := m[k]; ok && v != nil {
						mo[strings.ToLower(k[:1])+k[1:]] = v
					}
				}
			}
			s["metadataOptions"] = mo
			rid := state.ResourceID{Account: account, Region: firstOf(regionOfZone(az), o.d.Region), Type: typeInstance, ID: id}
			o.add(rid, s, instanceKeys...)
		}
	}
}

// observeSecurityGroups reads aws ec2 describe-security-groups. Rules are
// the sets ingress and egress keyed by the normalised rule key the
// securitygroup reducer uses ("tcp:443-443:cidrIpv4:0.0.0.0/0").
func observeSecurityGroups(o *obs, top map[string]any) {
	o.complete(typeSecurityGroup, o.d.Account, o.d.Region)
	for i, g := range o.list(top, "", "SecurityGroups") {
		p := fmt.Sprintf("SecurityGroups[%d]", i)
		id := o.need(g, p, "GroupId")
		if id == "" {
			continue
		}
		s := map[string]any{
			"groupName":   o.str(g, p, "GroupName"),
			"description": o.str(g, p, "Description"),
			"vpcId":       o.str(g, p, "VpcId"),
			"tags":        o.tags(g, p, "Tags"),
			"ingress":     o.rules(g, p, "IpPermissions"),
			"egress":      o.rules(g, p, "IpPermissionsEgress"),
		}
		rid := state.ResourceID{Account: firstOf(o.str(g, p, "OwnerId"), o.d.Account), Region: o.d.Region, Type: typeSecurityGroup, ID: id}
		o.add(rid, s, "groupName", "description", "vpcId", "tags", "ingress", "egress")
	}
}

// rules normalises the IpPermissions at g[key] into a rule set.
func (o *obs) rules(g map[string]any, path, key string) map[string]any {
	set := map[string]any{}
	for i, perm := range o.list(g, path, key) {
		p := fmt.Sprintf("%s.%s[%d]", path, key, i)
		proto := RuleProtocol(perm["IpProtocol"])
		from, to := rulePort(perm["FromPort"]), rulePort(perm["ToPort"])
		add := func(kind, peer, desc string) {
			if peer == "" {
				return
			}
			k, v := Rule(proto, from, to, kind, peer, desc)
			set[k] = v
		}
		for j, x := range o.list(perm, p, "IpRanges") {
			q := fmt.Sprintf("%s.IpRanges[%d]", p, j)
			add("cidrIpv4", o.str(x, q, "CidrIp"), o.str(x, q, "Description"))
		}
		for j, x := range o.list(perm, p, "Ipv6Ranges") {
			q := fmt.Sprintf("%s.Ipv6Ranges[%d]", p, j)
			add("cidrIpv6", o.str(x, q, "CidrIpv6"), o.str(x, q, "Description"))
		}
		for j, x := range o.list(perm, p, "UserIdGroupPairs") {
			q := fmt.Sprintf("%s.UserIdGroupPairs[%d]", p, j)
			add("group", firstOf(o.str(x, q, "GroupId"), o.str(x, q, "GroupName")), o.str(x, q, "Description"))
		}
		for j, x := range o.list(perm, p, "PrefixListIds") {
			q := fmt.Sprintf("%s.PrefixListIds[%d]", p, j)
			add("prefixList", o.str(x, q, "PrefixListId"), o.str(x, q, "Description"))
		}
	}
	return set
}

// Rule returns the key and value of one security group rule as the
// securitygroup reducer stores it: the key is protocol:from-to:kind:peer
// ("all" for the ports of an all-protocol rule) and the value holds the
// protocol, the peer under its kind (cidrIpv4, cidrIpv6, group,
// prefixList), the ports unless all protocols, and the description when
// there is one.
func Rule(protocol string, from, to int64, kind, peer, description string) (string, map[string]any) {
	ports := strconv.FormatInt(from, 10) + "-" + strconv.FormatInt(to, 10)
	v := map[string]any{"protocol": protocol, kind: peer}
	if protocol == "-1" {
		ports = "all"
	} else {
		v["fromPort"], v["toPort"] = from, to
	}
	if description != "" {
		v["description"] = description
	}
	return strings.Join([]string{protocol, ports, kind, peer}, ":"), v
}

// RuleProtocol normalises an IpProtocol as the reducer does: "-1", "all"
// and absent are all traffic; 6, 17 and 1 are tcp, udp and icmp.
func RuleProtocol(v any) string {
	s := ""
	if v != nil {
		s = strings.ToLower(fmt.Sprint(v))
	}
	switch s {
	case "", "all", "-1":
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

// rulePort reads a port; absent is -1, as in the reducer.
func rulePort(v any) int64 {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
	case float64:
		return int64(v)
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return -1
}

// observeVPCs reads aws ec2 describe-vpcs.
func observeVPCs(o *obs, top map[string]any) {
	o.complete(typeVPC, o.d.Account, o.d.Region)
	for i, v := range o.list(top, "", "Vpcs") {
		p := fmt.Sprintf("Vpcs[%d]", i)
		id := o.need(v, p, "VpcId")
		if id == "" {
			continue
		}
		s := map[string]any{
			"vpcId":           id,
			"cidrBlock":       o.str(v, p, "CidrBlock"),
			"instanceTenancy": o.str(v, p, "InstanceTenancy"),
			"dhcpOptionsId":   o.str(v, p, "DhcpOptionsId"),
			"state":           o.str(v, p, "State"),
			"tags":            o.tags(v, p, "Tags"),
		}
		if d, ok := v["IsDefault"].(bool); ok {
			s["isDefault"] = d
		}
		assoc := map[string]any{}
		for _, set := range []struct{ list, cidr, field, state string }{
			{"CidrBlockAssociationSet", "CidrBlock", "cidrBlock", "CidrBlockState"},
			{"Ipv6CidrBlockAssociationSet", "Ipv6CidrBlock", "ipv6CidrBlock", "Ipv6CidrBlockState"},
		} {
			for j, a := range o.list(v, p, set.list) {
				q := fmt.Sprintf("%s.%s[%d]", p, set.list, j)
				id, cidr := o.str(a, q, "AssociationId"), o.str(a, q, set.cidr)
				if st := o.str(o.obj(a, q, set.state), q+"."+set.state, "State"); id != "" && cidr != "" && (st == "" || st == "associated" || st == "associating") {
					assoc[id] = map[string]any{set.field: cidr}
				}
			}
		}
		s["cidrBlockAssociations"] = assoc
		rid := state.ResourceID{Account: firstOf(o.str(v, p, "OwnerId"), o.d.Account), Region: o.d.Region, Type: typeVPC, ID: id}
		o.add(rid, s, "vpcId", "cidrBlock", "instanceTenancy", "dhcpOptionsId", "isDefault", "state", "tags", "cidrBlockAssociations")
	}
}
