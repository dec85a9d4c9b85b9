package reduce

import (
	"fmt"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeNetworkACL is the resource type of a VPC network ACL. Its state:
//
//	networkAclId, vpcId, isDefault (when known), tags
//	entries       set: "ingress:100" / "egress:100" → {ruleAction, protocol,
//	              cidrBlock or ipv6CidrBlock, portRange {from, to}, icmpTypeCode}
//	associations  set: association id → {subnetId}, or
//	              {replacedAssociationId} for a ReplaceNetworkAclAssociation
//	              (which names no subnet)
const TypeNetworkACL = "AWS::EC2::NetworkAcl"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateNetworkAcl":             createNetworkACL,
		"DeleteNetworkAcl":             deleteNetworkACL,
		"CreateNetworkAclEntry":        putNetworkACLEntry,
		"ReplaceNetworkAclEntry":       putNetworkACLEntry,
		"DeleteNetworkAclEntry":        deleteNetworkACLEntry,
		"ReplaceNetworkAclAssociation": replaceNetworkACLAssociation,
	})
}

// aclEntry reads one entry: its key ("egress:100") and value.
func aclEntry(c *call, m map[string]any) (string, map[string]any, error) {
	n := port(fget(m, "ruleNumber"))
	if n < 0 {
		return "", nil, c.errorf("a network ACL entry without ruleNumber")
	}
	egress, _ := boolOf(fget(m, "egress"))
	dir := "ingress"
	if egress {
		dir = "egress"
	}
	// requests log the protocol as aclProtocol, responses as protocol
	proto := fget(m, "aclProtocol")
	if proto == nil {
		proto = fget(m, "protocol")
	}
	v := map[string]any{"ruleAction": fstr(m, "ruleAction"), "protocol": protocol(proto)}
	setIf(v, "cidrBlock", fstr(m, "cidrBlock"))
	setIf(v, "ipv6CidrBlock", fstr(m, "ipv6CidrBlock"))
	if pr, ok := fget(m, "portRange").(map[string]any); ok && len(pr) > 0 {
		v["portRange"] = map[string]any{"from": port(fget(pr, "from")), "to": port(fget(pr, "to"))}
	}
	if it, ok := fget(m, "icmpTypeCode").(map[string]any); ok && len(it) > 0 {
		v["icmpTypeCode"] = map[string]any{"type": port(fget(it, "type")), "code": port(fget(it, "code"))}
	}
	return fmt.Sprintf("%s:%d", dir, n), v, nil
}

func createNetworkACL(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "networkAcl").(map[string]any)
	id := fstr(v, "networkAclId")
	if id == "" {
		return nil, c.errorf("no responseElements.networkAcl.networkAclId: the ACL's id is unknown")
	}
	entries := map[string]any{}
	for _, e := range list(v, "entrySet") {
		k, ev, err := aclEntry(c, e)
		if err != nil {
			return nil, err
		}
		entries[k] = ev
	}
	assocs := map[string]any{}
	for _, a := range list(v, "associationSet") {
		if aid := fstr(a, "networkAclAssociationId"); aid != "" {
			assocs[aid] = map[string]any{"subnetId": fstr(a, "subnetId")}
		}
	}
	s := map[string]any{
		"networkAclId": id,
		"vpcId":        firstNonEmpty(fstr(v, "vpcId"), fstr(c.req, "vpcId")),
		"entries":      entries,
		"associations": assocs,
		"tags":         createdTags(c.req, v, "network-acl"),
	}
	isDefault := fget(v, "default")
	if isDefault == nil {
		isDefault = fget(v, "isDefault")
	}
	if b, ok := boolOf(isDefault); ok {
		s["isDefault"] = b
	}
	return []state.Change{c.put(TypeNetworkACL, id, s)}, nil
}

func deleteNetworkACL(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "networkAclId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeNetworkACL, id)}, nil
}

// putNetworkACLEntry adds an entry or replaces the one with its number
// and direction.
func putNetworkACLEntry(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "networkAclId")
	if err != nil {
		return nil, err
	}
	k, v, err := aclEntry(c, c.req)
	if err != nil {
		return nil, err
	}
	if v["ruleAction"] == "" {
		return nil, c.errorf("a network ACL entry without ruleAction")
	}
	return []state.Change{{Resource: c.id(TypeNetworkACL, id), Op: state.OpAdd, Path: []string{"entries", k}, Value: v}}, nil
}

func deleteNetworkACLEntry(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "networkAclId")
	if err != nil {
		return nil, err
	}
	k, _, err := aclEntry(c, c.req)
	if err != nil {
		return nil, err
	}
	return []state.Change{{Resource: c.id(TypeNetworkACL, id), Op: state.OpRemove, Path: []string{"entries", k}}}, nil
}

// replaceNetworkACLAssociation moves a subnet's association to the ACL
// the request names, under the new id the response reports. The subnet and
// the ACL it leaves are not named by the call.
func replaceNetworkACLAssociation(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "networkAclId")
	if err != nil {
		return nil, err
	}
	old, err := c.need(c.req, "requestParameters", "associationId")
	if err != nil {
		return nil, err
	}
	nid := firstNonEmpty(fstr(c.resp, "newAssociationId"), old)
	return []state.Change{{Resource: c.id(TypeNetworkACL, id), Op: state.OpAdd, Path: []string{"associations", nid}, Value: map[string]any{"replacedAssociationId": old}}}, nil
}
