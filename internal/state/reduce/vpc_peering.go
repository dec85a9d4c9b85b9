package reduce

import (
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeVPCPeering is the resource type of a VPC peering connection. Its
// state:
//
//	vpcPeeringConnectionId, status, tags
//	requester, accepter   {vpcId, ownerId, region, cidrBlock (when known)}
//
// Accept and Reject are called from the accepter's account: their
// changes land on the connection as that account and region see it.
const TypeVPCPeering = "AWS::EC2::VPCPeeringConnection"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateVpcPeeringConnection": createVPCPeering,
		"AcceptVpcPeeringConnection": acceptVPCPeering,
		"RejectVpcPeeringConnection": peeringStatus("rejected"),
		"DeleteVpcPeeringConnection": deleteVPCPeering,
	})
}

// peerInfo reads a requesterVpcInfo or accepterVpcInfo.
func peerInfo(m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"vpcId", "ownerId", "region", "cidrBlock"} {
		setIf(out, k, fstr(m, k))
	}
	return out
}

func createVPCPeering(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "vpcPeeringConnection").(map[string]any)
	id := fstr(v, "vpcPeeringConnectionId")
	if id == "" {
		return nil, c.errorf("no responseElements.vpcPeeringConnection.vpcPeeringConnectionId: the connection's id is unknown")
	}
	req, _ := fget(v, "requesterVpcInfo").(map[string]any)
	acc, _ := fget(v, "accepterVpcInfo").(map[string]any)
	requester, accepter := peerInfo(req), peerInfo(acc)
	account, region := strings.Clone(c.e.Account), strings.Clone(c.e.Region) // the event's buffer is not kept
	// what the request tells, where the response is silent
	setIf(requester, "vpcId", firstNonEmpty(fstr(requester, "vpcId"), fstr(c.req, "vpcId")))
	setIf(requester, "ownerId", firstNonEmpty(fstr(requester, "ownerId"), account))
	setIf(requester, "region", firstNonEmpty(fstr(requester, "region"), region))
	setIf(accepter, "vpcId", firstNonEmpty(fstr(accepter, "vpcId"), fstr(c.req, "peerVpcId")))
	setIf(accepter, "ownerId", firstNonEmpty(fstr(accepter, "ownerId"), fstr(c.req, "peerOwnerId"), account))
	setIf(accepter, "region", firstNonEmpty(fstr(accepter, "region"), fstr(c.req, "peerRegion"), region))
	s := map[string]any{
		"vpcPeeringConnectionId": id,
		"requester":              requester,
		"accepter":               accepter,
		"status":                 firstNonEmpty(fstr(v, "status", "code"), "initiating-request"),
		"tags":                   createdTags(c.req, v, "vpc-peering-connection"),
	}
	return []state.Change{c.put(TypeVPCPeering, id, s)}, nil
}

// acceptVPCPeering sets the status and what the response adds about the
// accepter (its CIDR block).
func acceptVPCPeering(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "vpcPeeringConnection").(map[string]any)
	id := firstNonEmpty(fstr(v, "vpcPeeringConnectionId"), fstr(c.req, "vpcPeeringConnectionId"))
	if id == "" {
		return nil, c.errorf("no vpcPeeringConnectionId in the request or the response")
	}
	out := []state.Change{c.set(TypeVPCPeering, id, firstNonEmpty(fstr(v, "status", "code"), "provisioning"), "status")}
	acc, _ := fget(v, "accepterVpcInfo").(map[string]any)
	info := peerInfo(acc)
	for _, k := range sortedKeys(info) {
		out = append(out, c.set(TypeVPCPeering, id, info[k], "accepter", k))
	}
	return out, nil
}

// peeringStatus sets the status the call leads to.
func peeringStatus(status string) reducer {
	return func(c *call) ([]state.Change, error) {
		id, err := c.need(c.req, "requestParameters", "vpcPeeringConnectionId")
		if err != nil {
			return nil, err
		}
		return []state.Change{c.set(TypeVPCPeering, id, status, "status")}, nil
	}
}

func deleteVPCPeering(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "vpcPeeringConnectionId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeVPCPeering, id)}, nil
}
