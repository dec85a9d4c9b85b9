package reduce

import "testing"

func TestReduceRouteTables(t *testing.T) {
	const rtb = "us-east-1/AWS::EC2::RouteTable/rtb-0c7c2f4aff3677054"
	runCases(t, []reduceCase{
		{name: "CreateRouteTable has the local route", source: ec2, event: "CreateRouteTable",
			req:  `{"vpcId":"vpc-06fe1a64761a0f720","tagSpecificationSet":{"items":[{"resourceType":"route-table","tags":[{"key":"Name","value":"public"}]}]}}`,
			resp: `{"requestId":"6448","routeTable":{"routeTableId":"rtb-0c7c2f4aff3677054","vpcId":"vpc-06fe1a64761a0f720","ownerId":"123837392027","routeSet":{"items":[{"destinationCidrBlock":"10.0.0.0/16","gatewayId":"local","state":"active","origin":"CreateRouteTable"}]},"associationSet":{},"propagatingVgwSet":{},"tagSet":{"items":[{"key":"Name","value":"public"}]}}}`,
			want: "put " + rtb + ` = {"associations":{},"routeTableId":"rtb-0c7c2f4aff3677054","routes":{"10.0.0.0/16":{"gatewayId":"local"}},"tags":{"Name":"public"},"vpcId":"vpc-06fe1a64761a0f720"}`},
		{name: "CreateRouteTable without response", source: ec2, event: "CreateRouteTable", req: `{"vpcId":"vpc-1"}`, wantErr: true},
		{name: "CreateRoute to an internet gateway", source: ec2, event: "CreateRoute",
			req:  `{"routeTableId":"rtb-0c7c2f4aff3677054","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-02a84e4222d62e16b"}`,
			resp: `{"requestId":"c78b","_return":true}`,
			want: "add " + rtb + ` routes.0.0.0.0/0 = {"gatewayId":"igw-02a84e4222d62e16b"}`},
		{name: "CreateRoute failed", source: ec2, event: "CreateRoute", errorCode: "Client.RouteAlreadyExists",
			req: `{"routeTableId":"rtb-1","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-1"}`},
		{name: "CreateRoute without target", source: ec2, event: "CreateRoute", req: `{"routeTableId":"rtb-1","destinationCidrBlock":"0.0.0.0/0"}`, wantErr: true},
		{name: "ReplaceRoute IPv6 to a NAT gateway", source: ec2, event: "ReplaceRoute",
			req:  `{"routeTableId":"rtb-1","destinationIpv6CidrBlock":"::/0","natGatewayId":"nat-03575abbac42080d9"}`,
			want: `add us-east-1/AWS::EC2::RouteTable/rtb-1 routes.::/0 = {"natGatewayId":"nat-03575abbac42080d9"}`},
		{name: "DeleteRoute to a prefix list", source: ec2, event: "DeleteRoute", req: `{"routeTableId":"rtb-1","destinationPrefixListId":"pl-63a5400a"}`,
			want: `remove us-east-1/AWS::EC2::RouteTable/rtb-1 routes.pl-63a5400a`},
		{name: "DeleteRoute without destination", source: ec2, event: "DeleteRoute", req: `{"routeTableId":"rtb-1"}`, wantErr: true},
		{name: "AssociateRouteTable", source: ec2, event: "AssociateRouteTable",
			req:  `{"routeTableId":"rtb-0c7c2f4aff3677054","subnetId":"subnet-01ed430875cff578d"}`,
			resp: `{"requestId":"baee","associationId":"rtbassoc-0b911e98f29251a51","associationState":{"state":"associated"}}`,
			want: "add " + rtb + ` associations.rtbassoc-0b911e98f29251a51 = {"subnetId":"subnet-01ed430875cff578d"}
put us-east-1/AWS::EC2::RouteTableAssociation/rtbassoc-0b911e98f29251a51 = {"associationId":"rtbassoc-0b911e98f29251a51","routeTableId":"rtb-0c7c2f4aff3677054","subnetId":"subnet-01ed430875cff578d"}`},
		{name: "AssociateRouteTable gateway without response", source: ec2, event: "AssociateRouteTable",
			req:  `{"routeTableId":"rtb-1","gatewayId":"igw-1"}`,
			want: `add us-east-1/AWS::EC2::RouteTable/rtb-1 associations.igw-1 = {"gatewayId":"igw-1"}`},
		{name: "AssociateRouteTable without subnet", source: ec2, event: "AssociateRouteTable", req: `{"routeTableId":"rtb-1"}`, wantErr: true},
		{name: "DisassociateRouteTable", source: ec2, event: "DisassociateRouteTable", req: `{"associationId":"rtbassoc-0b911e98f29251a51"}`,
			resp: `{"requestId":"4aa1","associationState":{"state":"disassociating"},"_return":true}`,
			want: `delete us-east-1/AWS::EC2::RouteTableAssociation/rtbassoc-0b911e98f29251a51`},
		{name: "DisassociateRouteTable without id", source: ec2, event: "DisassociateRouteTable", req: `{}`, wantErr: true},
		{name: "ReplaceRouteTableAssociation", source: ec2, event: "ReplaceRouteTableAssociation",
			req:  `{"associationId":"rtbassoc-main1","routeTableId":"rtb-2"}`,
			resp: `{"requestId":"d4","newAssociationId":"rtbassoc-new2","associationState":{"state":"associated"}}`,
			want: `
add us-east-1/AWS::EC2::RouteTable/rtb-2 associations.rtbassoc-new2 = {"replacedAssociationId":"rtbassoc-main1"}
delete us-east-1/AWS::EC2::RouteTableAssociation/rtbassoc-main1
put us-east-1/AWS::EC2::RouteTableAssociation/rtbassoc-new2 = {"associationId":"rtbassoc-new2","replacedAssociationId":"rtbassoc-main1","routeTableId":"rtb-2"}`},
		{name: "ReplaceRouteTableAssociation without response", source: ec2, event: "ReplaceRouteTableAssociation", req: `{"associationId":"rtbassoc-1","routeTableId":"rtb-2"}`, wantErr: true},
		{name: "DeleteRouteTable", source: ec2, event: "DeleteRouteTable", req: `{"routeTableId":"rtb-0c7c2f4aff3677054"}`, resp: `{"requestId":"0952","_return":true}`,
			want: "delete " + rtb},
		{name: "DeleteRouteTable without id", source: ec2, event: "DeleteRouteTable", req: `{}`, wantErr: true},
	})
}
