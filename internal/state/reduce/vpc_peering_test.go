package reduce

import "testing"

func TestReduceVPCPeering(t *testing.T) {
	const pcx = "us-east-1/AWS::EC2::VPCPeeringConnection/pcx-0a1b"
	runCases(t, []reduceCase{
		{name: "CreateVpcPeeringConnection to another account", source: ec2, event: "CreateVpcPeeringConnection",
			req:  `{"vpcId":"vpc-06fe1a64761a0f720","peerVpcId":"vpc-0ext","peerOwnerId":"444455556666","peerRegion":"eu-west-1"}`,
			resp: `{"requestId":"f1","vpcPeeringConnection":{"vpcPeeringConnectionId":"pcx-0a1b","requesterVpcInfo":{"ownerId":"123837392027","vpcId":"vpc-06fe1a64761a0f720","cidrBlock":"10.0.0.0/16","region":"us-east-1"},"accepterVpcInfo":{"ownerId":"444455556666","vpcId":"vpc-0ext","region":"eu-west-1"},"status":{"code":"initiating-request","message":"Initiating Request to 444455556666"},"expirationTime":"2023-07-17T12:10:01.000Z","tagSet":{}}}`,
			want: "put " + pcx + ` = {"accepter":{"ownerId":"444455556666","region":"eu-west-1","vpcId":"vpc-0ext"},"requester":{"cidrBlock":"10.0.0.0/16","ownerId":"123837392027","region":"us-east-1","vpcId":"vpc-06fe1a64761a0f720"},"status":"initiating-request","tags":{},"vpcPeeringConnectionId":"pcx-0a1b"}`},
		{name: "CreateVpcPeeringConnection, response without peer info", source: ec2, event: "CreateVpcPeeringConnection",
			req:  `{"vpcId":"vpc-1","peerVpcId":"vpc-2"}`,
			resp: `{"vpcPeeringConnection":{"vpcPeeringConnectionId":"pcx-2"}}`,
			want: `put us-east-1/AWS::EC2::VPCPeeringConnection/pcx-2 = {"accepter":{"ownerId":"123837392027","region":"us-east-1","vpcId":"vpc-2"},"requester":{"ownerId":"123837392027","region":"us-east-1","vpcId":"vpc-1"},"status":"initiating-request","tags":{},"vpcPeeringConnectionId":"pcx-2"}`},
		{name: "CreateVpcPeeringConnection failed", source: ec2, event: "CreateVpcPeeringConnection", errorCode: "Client.InvalidVpcID.NotFound", req: `{"vpcId":"vpc-1","peerVpcId":"vpc-2"}`},
		{name: "CreateVpcPeeringConnection without response", source: ec2, event: "CreateVpcPeeringConnection", req: `{"vpcId":"vpc-1","peerVpcId":"vpc-2"}`, wantErr: true},
		{name: "AcceptVpcPeeringConnection", source: ec2, event: "AcceptVpcPeeringConnection",
			req:  `{"vpcPeeringConnectionId":"pcx-0a1b"}`,
			resp: `{"requestId":"f2","vpcPeeringConnection":{"vpcPeeringConnectionId":"pcx-0a1b","requesterVpcInfo":{"ownerId":"123837392027","vpcId":"vpc-06fe1a64761a0f720"},"accepterVpcInfo":{"ownerId":"444455556666","vpcId":"vpc-0ext","cidrBlock":"172.16.0.0/16","region":"eu-west-1"},"status":{"code":"provisioning","message":"Provisioning"}}}`,
			want: "set " + pcx + ` status = "provisioning"
set ` + pcx + ` accepter.cidrBlock = "172.16.0.0/16"
set ` + pcx + ` accepter.ownerId = "444455556666"
set ` + pcx + ` accepter.region = "eu-west-1"
set ` + pcx + ` accepter.vpcId = "vpc-0ext"`},
		{name: "AcceptVpcPeeringConnection without id", source: ec2, event: "AcceptVpcPeeringConnection", req: `{}`, wantErr: true},
		{name: "RejectVpcPeeringConnection", source: ec2, event: "RejectVpcPeeringConnection", req: `{"vpcPeeringConnectionId":"pcx-0a1b"}`, resp: `{"requestId":"f3","_return":true}`,
			want: "set " + pcx + ` status = "rejected"`},
		{name: "RejectVpcPeeringConnection without id", source: ec2, event: "RejectVpcPeeringConnection", req: `{}`, wantErr: true},
		{name: "DeleteVpcPeeringConnection", source: ec2, event: "DeleteVpcPeeringConnection", req: `{"vpcPeeringConnectionId":"pcx-0a1b"}`, resp: `{"requestId":"f4","_return":true}`,
			want: "delete " + pcx},
		{name: "DeleteVpcPeeringConnection without id", source: ec2, event: "DeleteVpcPeeringConnection", req: `{"vpcPeeringConnectionId":null}`, wantErr: true},
	})
}
