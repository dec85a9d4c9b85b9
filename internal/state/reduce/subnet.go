package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeSubnet is the resource type of a VPC subnet. Its state:
//
//	subnetId, vpcId, cidrBlock, availabilityZone, mapPublicIpOnLaunch, state, tags
//	assignIpv6AddressOnCreation, cidrBlockAssociations (IPv6)   when known
//	and whatever ModifySubnetAttribute sets (mapPublicIpOnLaunch, enableDns64...)
const TypeSubnet = "AWS::EC2::Subnet"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateSubnet":          createSubnet,
		"CreateDefaultSubnet":   createSubnet,
		"DeleteSubnet":          deleteSubnet,
		"ModifySubnetAttribute": modifySubnetAttribute,
	})
}

func createSubnet(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "subnet").(map[string]any)
	id := fstr(v, "subnetId")
	if id == "" {
		return nil, c.errorf("no responseElements.subnet.subnetId: the subnet's id is unknown")
	}
	s := map[string]any{
		"subnetId":         id,
		"vpcId":            firstNonEmpty(fstr(v, "vpcId"), fstr(c.req, "vpcId")),
		"cidrBlock":        firstNonEmpty(fstr(v, "cidrBlock"), fstr(c.req, "cidrBlock")),
		"availabilityZone": firstNonEmpty(fstr(v, "availabilityZone"), fstr(c.req, "availabilityZone")),
		"state":            firstNonEmpty(fstr(v, "state"), "pending"),
		"tags":             createdTags(c.req, v, "subnet"),
	}
	for _, k := range []string{"mapPublicIpOnLaunch", "assignIpv6AddressOnCreation"} {
		if b, ok := boolOf(fget(v, k)); ok {
			s[k] = b
		}
	}
	if as := cidrAssociations(v); len(as) > 0 {
		s["cidrBlockAssociations"] = as
	}
	ch := c.put(TypeSubnet, id, s)
	ch.Resource.ARN = fstr(v, "subnetArn")
	return []state.Change{ch}, nil
}

func deleteSubnet(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "subnetId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeSubnet, id)}, nil
}

// modifySubnetAttribute sets the attribute changed:
// {"subnetId": ..., "mapPublicIpOnLaunch": {"value": true}}.
func modifySubnetAttribute(c *call) ([]state.Change, error) {
	return setAttributes(c, TypeSubnet, "subnetId")
}
