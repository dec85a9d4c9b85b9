package reduce

import (
	"github.com/trailwarden/trailwarden/internal/state"
)

// TypeRouteTable is the resource type of a VPC route table. Its state:
//
//	routeTableId, vpcId, tags
//	routes        set: destination (CIDR, IPv6 CIDR or prefix list id) →
//	              {target kind: id}, e.g. {"gatewayId": "igw-1"}
//	associations  set: association id → {subnetId} or {gatewayId} or
//	              {main: true}; {replacedAssociationId} after a replacement
//
// DisassociateRouteTable names the association only, not its table, so it
// cannot update the table's associations; every association is therefore
// also a resource of its own (TypeRouteTableAssociation: associationId,
// routeTableId, subnetId or gatewayId), created by AssociateRouteTable and
// deleted by DisassociateRouteTable, whose history shows who did both.
const TypeRouteTable = "AWS::EC2::RouteTable"

// TypeRouteTableAssociation is the resource type of the link between a
// route table and a subnet or gateway.
const TypeRouteTableAssociation = "AWS::EC2::RouteTableAssociation"

func init() {
	register("ec2.amazonaws.com", map[string]reducer{
		"CreateRouteTable":             createRouteTable,
		"DeleteRouteTable":             deleteRouteTable,
		"CreateRoute":                  putRoute,
		"ReplaceRoute":                 putRoute,
		"DeleteRoute":                  deleteRoute,
		"AssociateRouteTable":          associateRouteTable,
		"DisassociateRouteTable":       disassociateRouteTable,
		"ReplaceRouteTableAssociation": replaceRouteTableAssociation,
	})
}

// routeTargets are the fields that name where a route sends traffic.
var routeTargets = []string{"gatewayId", "natGatewayId", "instanceId", "networkInterfaceId", "vpcPeeringConnectionId",
	"transitGatewayId", "egressOnlyInternetGatewayId", "localGatewayId", "carrierGatewayId", "vpcEndpointId", "coreNetworkArn"}

// route reads one route: its destination and its target(s); "" when it
// has no destination.
func route(m map[string]any) (string, map[string]any) {
	dest := firstNonEmpty(fstr(m, "destinationCidrBlock"), fstr(m, "destinationIpv6CidrBlock"), fstr(m, "destinationPrefixListId"))
	t := map[string]any{}
	for _, k := range routeTargets {
		if v := fstr(m, k); v != "" {
			t[k] = v
		}
	}
	return dest, t
}

func createRouteTable(c *call) ([]state.Change, error) {
	v, _ := fget(c.resp, "routeTable").(map[string]any)
	id := fstr(v, "routeTableId")
	if id == "" {
		return nil, c.errorf("no responseElements.routeTable.routeTableId: the table's id is unknown")
	}
	routes := map[string]any{}
	for _, r := range list(v, "routeSet") {
		if dest, t := route(r); dest != "" && len(t) > 0 {
			routes[dest] = t
		}
	}
	assocs := map[string]any{}
	for _, a := range list(v, "associationSet") {
		if aid := fstr(a, "routeTableAssociationId"); aid != "" {
			assocs[aid] = association(a)
		}
	}
	s := map[string]any{
		"routeTableId": id,
		"vpcId":        firstNonEmpty(fstr(v, "vpcId"), fstr(c.req, "vpcId")),
		"routes":       routes,
		"associations": assocs,
		"tags":         createdTags(c.req, v, "route-table"),
	}
	return []state.Change{c.put(TypeRouteTable, id, s)}, nil
}

// association reads what an association links a table to.
func association(m map[string]any) map[string]any {
	a := map[string]any{}
	setIf(a, "subnetId", fstr(m, "subnetId"))
	setIf(a, "gatewayId", fstr(m, "gatewayId"))
	if b, ok := boolOf(fget(m, "main")); ok && b {
		a["main"] = true
	}
	return a
}

func deleteRouteTable(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "routeTableId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeRouteTable, id)}, nil
}

// putRoute adds a route, or replaces the one to the same destination.
func putRoute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "routeTableId")
	if err != nil {
		return nil, err
	}
	dest, t := route(c.req)
	if dest == "" || len(t) == 0 {
		return nil, c.errorf("a route without a destination or a target")
	}
	return []state.Change{{Resource: c.id(TypeRouteTable, id), Op: state.OpAdd, Path: []string{"routes", dest}, Value: t}}, nil
}

func deleteRoute(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "routeTableId")
	if err != nil {
		return nil, err
	}
	dest, _ := route(c.req)
	if dest == "" {
		return nil, c.errorf("no destination in requestParameters")
	}
	return []state.Change{{Resource: c.id(TypeRouteTable, id), Op: state.OpRemove, Path: []string{"routes", dest}}}, nil
}

// associateRouteTable links a table to a subnet or gateway. Without a
// response the association id is unknown: the table's set is keyed by the
// subnet or gateway id instead and no association resource is made.
func associateRouteTable(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "routeTableId")
	if err != nil {
		return nil, err
	}
	a := association(c.req)
	if len(a) == 0 {
		return nil, c.errorf("no subnetId or gatewayId in requestParameters")
	}
	aid := fstr(c.resp, "associationId")
	if aid == "" {
		return []state.Change{{Resource: c.id(TypeRouteTable, id), Op: state.OpAdd, Path: []string{"associations", firstNonEmpty(fstr(a, "subnetId"), fstr(a, "gatewayId"))}, Value: a}}, nil
	}
	res := map[string]any{"associationId": aid, "routeTableId": id}
	for k, v := range a {
		res[k] = v
	}
	return []state.Change{
		{Resource: c.id(TypeRouteTable, id), Op: state.OpAdd, Path: []string{"associations", aid}, Value: a},
		c.put(TypeRouteTableAssociation, aid, res),
	}, nil
}

func disassociateRouteTable(c *call) ([]state.Change, error) {
	aid, err := c.need(c.req, "requestParameters", "associationId")
	if err != nil {
		return nil, err
	}
	return []state.Change{c.del(TypeRouteTableAssociation, aid)}, nil
}

// replaceRouteTableAssociation moves an association (often the VPC's main
// one) to another table under a new id. The subnet is not named, so the new
// association records the one it replaced.
func replaceRouteTableAssociation(c *call) ([]state.Change, error) {
	id, err := c.need(c.req, "requestParameters", "routeTableId")
	if err != nil {
		return nil, err
	}
	old, err := c.need(c.req, "requestParameters", "associationId")
	if err != nil {
		return nil, err
	}
	nid, err := c.need(c.resp, "responseElements", "newAssociationId")
	if err != nil {
		return nil, err
	}
	return []state.Change{
		{Resource: c.id(TypeRouteTable, id), Op: state.OpAdd, Path: []string{"associations", nid}, Value: map[string]any{"replacedAssociationId": old}},
		c.del(TypeRouteTableAssociation, old),
		c.put(TypeRouteTableAssociation, nid, map[string]any{"associationId": nid, "routeTableId": id, "replacedAssociationId": old}),
	}, nil
}
