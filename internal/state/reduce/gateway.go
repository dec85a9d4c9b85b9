package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeInternetGateway is the resource type of an internet gateway. Its
// state: internetGatewayId, tags, and attachments, a set: VPC id → {vpcId}.
const TypeInternetGateway = "AWS::EC2::InternetGateway"

// TypeNatGateway is the resource type of a NAT gateway. Its state:
// natGatewayId, subnetId, vpcId, connectivityType, allocationIds (the
// Elastic IPs), state, tags.
const TypeNatGateway = "AWS::EC2::NatGateway"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateInternetGateway": createInternetGateway,
		"DeleteInternetGateway": deleteInternetGateway,
		"AttachInternetGateway": internetGatewayAttachment(state.OpAdd),
		"DetachInternetGateway": internetGatewayAttachment(state.OpRemove),
		"CreateNatGateway":      createNatGateway,
		"DeleteNatGateway":      deleteNatGateway,
	})
}

func createInternetGateway(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "internetGateway").(map[string]any)
	id := fstr(v, "internetGatewayId")
	if id == "" {
		return nil, c.errorf("no responseElements.internetGateway.internetGatewayId: the gateway's id is unknown")
	}
	att := map[string]any{}
	for _, a := range list(v, "attachmentSet") {
		if vpc := fstr(a, "vpcId"); vpc != "" {
			att[vpc] = map[string]any{"vpcId": vpc}
		}
	}
	s := map[string]any{"internetGatewayId": id, "attachments": att, "tags": createdTags(c.req, v, "internet-gateway")}
	return []state.Change{c.put(TypeInternetGateway, id, s)}, nil
}

func deleteInternetGateway(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "internetGatewayId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeInternetGateway, id)}, nil
}

// internetGatewayAttachment attaches (OpAdd) or detaches (OpRemove) the
// gateway and the VPC the request names.
func internetGatewayAttachment(op state.Op) reducer {
	return func(c *call) ([]state.Change, error) {
		id, err := c.need(c.req, "requestParameters", "internetGatewayId")
		if err != nil {
			return nil, err
		}
		vpc, err := c.need(c.req, "requestParameters", "vpcId")
		if err != nil {
			return nil, err
		}
		ch := state.Change{Resource: c.id(TypeInternetGateway, id), Op: op, Path: []string{"attachments", vpc}}
		if op == state.OpAdd {
			ch.Value = map[string]any{"vpcId": vpc}
		}
		return []state.Change{ch}, nil
	}
}

// createNatGateway reads both logged forms: the XML body
// ({"CreateNatGatewayResponse": {"natGateway": ...}}) and camelCase.
func createNatGateway(c *call) ([]state.Change, error) {
	req := body(c.req, "CreateNatGatewayRequest")
	v, _ := fget(body(c.resp, "CreateNatGatewayResponse"), "natGateway").(map[string]any)
	id := fstr(v, "natGatewayId")
	if id == "" {
		return nil, c.errorf("no natGateway.natGatewayId in responseElements: the gateway's id is unknown")
	}
	s := map[string]any{
		"natGatewayId":     id,
		"subnetId":         firstNonEmpty(fstr(v, "subnetId"), fstr(req, "subnetId")),
		"connectivityType": firstNonEmpty(fstr(v, "connectivityType"), fstr(req, "connectivityType"), "public"),
		"state":            firstNonEmpty(fstr(v, "state"), "pending"),
		"tags":             createdTags(req, v, "natgateway"),
	}
	setIf(s, "vpcId", fstr(v, "vpcId"))
	var allocs []any
	for _, a := range list(v, "natGatewayAddressSet") {
		if id := fstr(a, "allocationId"); id != "" {
			allocs = append(allocs, id)
		}
	}
	if allocs == nil {
		if id := fstr(req, "allocationId"); id != "" {
			allocs = []any{id}
		}
	}
	if allocs != nil {
		s["allocationIds"] = allocs
	}
	return []state.Change{c.put(TypeNatGateway, id, s)}, nil
}

func deleteNatGateway(c *call) ([]state.Change, error) {
	id := firstNonEmpty(fstr(body(c.req, "DeleteNatGatewayRequest"), "natGatewayId"), fstr(body(c.resp, "DeleteNatGatewayResponse"), "natGatewayId"))
	if id == "" {
		return nil, c.errorf("no NatGatewayId in the request or the response")
	}
	return []state.Change{c.del(TypeNatGateway, id)}, nil
}
