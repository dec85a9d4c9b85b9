package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeVPC is the resource type of a VPC. Its state:
//
//	vpcId, cidrBlock, instanceTenancy, dhcpOptionsId, state, tags
//	isDefault               when the response tells it
//	cidrBlockAssociations   set: association id → {cidrBlock} or {ipv6CidrBlock}
//	enableDnsSupport, enableDnsHostnames, ...   as ModifyVpcAttribute sets them
const TypeVPC = "AWS::EC2::VPC"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateVpc":                createVPC,
		"CreateDefaultVpc":         createVPC,
		"DeleteVpc":                deleteVPC,
		"ModifyVpcAttribute":       modifyVPCAttribute,
		"AssociateVpcCidrBlock":    associateVPCCidr,
		"DisassociateVpcCidrBlock": disassociateVPCCidr,
	})
}

func createVPC(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "vpc").(map[string]any)
	id := fstr(v, "vpcId")
	if id == "" {
		return nil, c.errorf("no responseElements.vpc.vpcId: the VPC's id is unknown")
	}
	s := map[string]any{
		"vpcId":                 id,
		"cidrBlock":             firstNonEmpty(fstr(v, "cidrBlock"), fstr(c.req, "cidrBlock")),
		"instanceTenancy":       firstNonEmpty(fstr(v, "instanceTenancy"), fstr(c.req, "instanceTenancy"), "default"),
		"state":                 firstNonEmpty(fstr(v, "state"), "pending"),
		"tags":                  createdTags(c.req, v, "vpc"),
		"cidrBlockAssociations": cidrAssociations(v),
	}
	setIf(s, "dhcpOptionsId", fstr(v, "dhcpOptionsId"))
	if b, ok := boolOf(fget(v, "isDefault")); ok {
		s["isDefault"] = b
	}
	return []state.Change{c.put(TypeVPC, id, s)}, nil
}

// cidrAssociations reads a VPC's (or subnet's) IPv4 and IPv6 CIDR block
// association sets.
func cidrAssociations(v map[string]any) map[string]any {
	out := map[string]any{}
	for _, a := range list(v, "cidrBlockAssociationSet") {
		if id, cidr := fstr(a, "associationId"), fstr(a, "cidrBlock"); id != "" && cidr != "" {
			out[id] = map[string]any{"cidrBlock": cidr}
		}
	}
	for _, a := range list(v, "ipv6CidrBlockAssociationSet") {
		if id, cidr := fstr(a, "associationId"), fstr(a, "ipv6CidrBlock"); id != "" && cidr != "" {
			out[id] = map[string]any{"ipv6CidrBlock": cidr}
		}
	}
	return out
}

func deleteVPC(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "vpcId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeVPC, id)}, nil
}

// modifyVPCAttribute sets the one attribute the call changes:
// {"vpcId": ..., "enableDnsHostnames": {"value": true}}.
func modifyVPCAttribute(c *call) ([]state.Change, error) {
	return setAttributes(c, TypeVPC, "vpcId")
}

// associateVPCCidr adds the CIDR block the response reports (its
// association id is needed to key it).
func associateVPCCidr(c *call) ([]state.Change, error) {
	id := firstNonEmpty(fstr(c.resp, "vpcId"), fstr(c.req, "vpcId"))
	if id == "" {
		return nil, c.errorf("no vpcId in the request or the response")
	}
	as := cidrAssociations(map[string]any{
		"cidrBlockAssociationSet":     fget(c.resp, "cidrBlockAssociation"),
		"ipv6CidrBlockAssociationSet": fget(c.resp, "ipv6CidrBlockAssociation"),
	})
	if len(as) == 0 {
		return nil, c.errorf("no responseElements.cidrBlockAssociation or ipv6CidrBlockAssociation with an associationId")
	}
	out := make([]state.Change, 0, len(as))
	for _, k := range sortedKeys(as) {
		out = append(out, state.Change{Resource: c.id(TypeVPC, id), Op: state.OpAdd, Path: []string{"cidrBlockAssociations", k}, Value: as[k]})
	}
	return out, nil
}

// disassociateVPCCidr removes a CIDR block: the request names only the
// association, the response its VPC.
func disassociateVPCCidr(c *call) ([]state.Change, error) {
	id := fstr(c.resp, "vpcId")
	assoc := firstNonEmpty(fstr(c.resp, "cidrBlockAssociation", "associationId"), fstr(c.resp, "ipv6CidrBlockAssociation", "associationId"), fstr(c.req, "associationId"))
	if id == "" || assoc == "" {
		return nil, c.errorf("no responseElements.vpcId or association id: the VPC is unknown")
	}
	return []state.Change{{Resource: c.id(TypeVPC, id), Op: state.OpRemove, Path: []string{"cidrBlockAssociations", assoc}}}, nil
}
