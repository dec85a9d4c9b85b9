package reduce

import "testing"

func TestReduceGateways(t *testing.T) {
	const igw = "us-east-1/AWS::EC2::InternetGateway/igw-02a84e4222d62e16b"
	runCases(t, []reduceCase{
		{name: "CreateInternetGateway", source: ec2, event: "CreateInternetGateway",
			req:  `{"tagSpecificationSet":{"items":[{"resourceType":"internet-gateway","tags":[{"key":"StratusRedTeam","value":"true"}]}]}}`,
			resp: `{"requestId":"b231","internetGateway":{"internetGatewayId":"igw-02a84e4222d62e16b","ownerId":"123837392027","attachmentSet":{},"tagSet":{"items":[{"key":"StratusRedTeam","value":"true"}]},"association":{}}}`,
			want: "put " + igw + ` = {"attachments":{},"internetGatewayId":"igw-02a84e4222d62e16b","tags":{"StratusRedTeam":"true"}}`},
		{name: "CreateInternetGateway without response", source: ec2, event: "CreateInternetGateway", req: `{}`, wantErr: true},
		{name: "AttachInternetGateway", source: ec2, event: "AttachInternetGateway",
			req: `{"internetGatewayId":"igw-02a84e4222d62e16b","vpcId":"vpc-06fe1a64761a0f720"}`, resp: `{"requestId":"b095","_return":true}`,
			want: "add " + igw + ` attachments.vpc-06fe1a64761a0f720 = {"vpcId":"vpc-06fe1a64761a0f720"}`},
		{name: "AttachInternetGateway failed", source: ec2, event: "AttachInternetGateway", errorCode: "Client.Resource.AlreadyAssociated",
			req: `{"internetGatewayId":"igw-1","vpcId":"vpc-1"}`},
		{name: "AttachInternetGateway without VPC", source: ec2, event: "AttachInternetGateway", req: `{"internetGatewayId":"igw-1"}`, wantErr: true},
		{name: "DetachInternetGateway", source: ec2, event: "DetachInternetGateway",
			req:  `{"internetGatewayId":"igw-02a84e4222d62e16b","vpcId":"vpc-06fe1a64761a0f720"}`,
			want: "remove " + igw + ` attachments.vpc-06fe1a64761a0f720`},
		{name: "DeleteInternetGateway", source: ec2, event: "DeleteInternetGateway", req: `{"internetGatewayId":"igw-02a84e4222d62e16b"}`,
			want: "delete " + igw},
		{name: "DeleteInternetGateway without id", source: ec2, event: "DeleteInternetGateway", req: `{"internetGatewayId":7}`, wantErr: true},

		{name: "CreateNatGateway, XML form", source: ec2, event: "CreateNatGateway",
			req:  `{"CreateNatGatewayRequest":{"ConnectivityType":"public","AllocationId":"eipalloc-08a083beb7e83dbc0","SubnetId":"subnet-01ed430875cff578d","ClientToken":"86C5","TagSpecification":{"ResourceType":"natgateway","tag":1,"Tag":[{"Value":true,"tag":1,"Key":"StratusRedTeam"},{"Value":"nat-us-east-1a","tag":2,"Key":"Name"}]}}}`,
			resp: `{"CreateNatGatewayResponse":{"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/","natGateway":{"connectivityType":"public","subnetId":"subnet-01ed430875cff578d","tagSet":{"item":[{"value":true,"key":"StratusRedTeam"},{"value":"nat-us-east-1a","key":"Name"}]},"natGatewayAddressSet":{"item":{"isPrimary":true,"allocationId":"eipalloc-08a083beb7e83dbc0","status":"associating"}},"createTime":"2023-07-10T11:55:14.000Z","vpcId":"vpc-06fe1a64761a0f720","natGatewayId":"nat-03575abbac42080d9","state":"pending"},"requestId":"98ca","clientToken":"86C5"}}`,
			want: `put us-east-1/AWS::EC2::NatGateway/nat-03575abbac42080d9 = {"allocationIds":["eipalloc-08a083beb7e83dbc0"],"connectivityType":"public","natGatewayId":"nat-03575abbac42080d9","state":"pending","subnetId":"subnet-01ed430875cff578d","tags":{"Name":"nat-us-east-1a","StratusRedTeam":"true"},"vpcId":"vpc-06fe1a64761a0f720"}`},
		{name: "CreateNatGateway, camelCase, tags from the request", source: ec2, event: "CreateNatGateway",
			req:  `{"subnetId":"subnet-1","allocationId":"eipalloc-1","tagSpecificationSet":{"items":[{"resourceType":"natgateway","tags":[{"key":"Name","value":"n"}]}]}}`,
			resp: `{"natGateway":{"natGatewayId":"nat-1","subnetId":"subnet-1","vpcId":"vpc-1","state":"pending"}}`,
			want: `put us-east-1/AWS::EC2::NatGateway/nat-1 = {"allocationIds":["eipalloc-1"],"connectivityType":"public","natGatewayId":"nat-1","state":"pending","subnetId":"subnet-1","tags":{"Name":"n"},"vpcId":"vpc-1"}`},
		{name: "CreateNatGateway without response", source: ec2, event: "CreateNatGateway", req: `{"CreateNatGatewayRequest":{"SubnetId":"subnet-1"}}`, wantErr: true},
		{name: "DeleteNatGateway", source: ec2, event: "DeleteNatGateway",
			req:  `{"DeleteNatGatewayRequest":{"NatGatewayId":"nat-0dd264ee104155137"}}`,
			resp: `{"DeleteNatGatewayResponse":{"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/","requestId":"de00","natGatewayId":"nat-0dd264ee104155137"}}`,
			want: `delete us-east-1/AWS::EC2::NatGateway/nat-0dd264ee104155137`},
		{name: "DeleteNatGateway without id", source: ec2, event: "DeleteNatGateway", req: `{"DeleteNatGatewayRequest":{}}`, wantErr: true},
	})
}
