package reduce

import "testing"

func TestReduceVPCs(t *testing.T) {
	const vpc = "us-east-1/AWS::EC2::VPC/vpc-06fe1a64761a0f720"
	runCases(t, []reduceCase{
		{name: "CreateVpc", source: ec2, event: "CreateVpc",
			req:  `{"cidrBlock":"10.0.0.0/16","instanceTenancy":"default","amazonProvidedIpv6CidrBlock":false,"tagSpecificationSet":{"items":[{"resourceType":"vpc","tags":[{"key":"Name","value":"stratus-vpc"},{"key":"StratusRedTeam","value":"true"}]}]}}`,
			resp: `{"requestId":"2272","vpc":{"vpcId":"vpc-06fe1a64761a0f720","state":"pending","ownerId":"123837392027","cidrBlock":"10.0.0.0/16","cidrBlockAssociationSet":{"items":[{"cidrBlock":"10.0.0.0/16","associationId":"vpc-cidr-assoc-01a3","cidrBlockState":{"state":"associated"}}]},"ipv6CidrBlockAssociationSet":{},"dhcpOptionsId":"dopt-0ef5","instanceTenancy":"default","tagSet":{"items":[{"key":"Name","value":"stratus-vpc"},{"key":"StratusRedTeam","value":"true"}]},"isDefault":false}}`,
			want: "put " + vpc + ` = {"cidrBlock":"10.0.0.0/16","cidrBlockAssociations":{"vpc-cidr-assoc-01a3":{"cidrBlock":"10.0.0.0/16"}},"dhcpOptionsId":"dopt-0ef5","instanceTenancy":"default","isDefault":false,"state":"pending","tags":{"Name":"stratus-vpc","StratusRedTeam":"true"},"vpcId":"vpc-06fe1a64761a0f720"}`},
		{name: "CreateDefaultVpc", source: ec2, event: "CreateDefaultVpc", req: `{}`,
			resp: `{"requestId":"d0","vpc":{"vpcId":"vpc-0def","state":"pending","ownerId":"123837392027","cidrBlock":"172.31.0.0/16","cidrBlockAssociationSet":{"items":[{"cidrBlock":"172.31.0.0/16","associationId":"vpc-cidr-assoc-0d","cidrBlockState":{"state":"associated"}}]},"dhcpOptionsId":"dopt-0ef5","instanceTenancy":"default","isDefault":true}}`,
			want: `put us-east-1/AWS::EC2::VPC/vpc-0def = {"cidrBlock":"172.31.0.0/16","cidrBlockAssociations":{"vpc-cidr-assoc-0d":{"cidrBlock":"172.31.0.0/16"}},"dhcpOptionsId":"dopt-0ef5","instanceTenancy":"default","isDefault":true,"state":"pending","tags":{},"vpcId":"vpc-0def"}`},
		{name: "CreateVpc failed", source: ec2, event: "CreateVpc", errorCode: "Client.VpcLimitExceeded", req: `{"cidrBlock":"10.0.0.0/16"}`},
		{name: "CreateVpc without response", source: ec2, event: "CreateVpc", req: `{"cidrBlock":"10.0.0.0/16"}`, wantErr: true},
		{name: "DeleteVpc", source: ec2, event: "DeleteVpc", req: `{"vpcId":"vpc-06fe1a64761a0f720"}`, resp: `{"requestId":"0c7d","_return":true}`,
			want: "delete " + vpc},
		{name: "DeleteVpc without id", source: ec2, event: "DeleteVpc", req: `{}`, wantErr: true},
		{name: "ModifyVpcAttribute", source: ec2, event: "ModifyVpcAttribute", req: `{"vpcId":"vpc-06fe1a64761a0f720","enableDnsHostnames":{"value":true}}`, resp: `{"requestId":"a1","_return":true}`,
			want: "set " + vpc + " enableDnsHostnames = true"},
		{name: "ModifyVpcAttribute without attribute", source: ec2, event: "ModifyVpcAttribute", req: `{"vpcId":"vpc-1"}`, wantErr: true},
		{name: "AssociateVpcCidrBlock IPv6", source: ec2, event: "AssociateVpcCidrBlock",
			req:  `{"vpcId":"vpc-06fe1a64761a0f720","amazonProvidedIpv6CidrBlock":true}`,
			resp: `{"requestId":"b2","ipv6CidrBlockAssociation":{"associationId":"vpc-cidr-assoc-0aa","ipv6CidrBlock":"2600:1f18:abc::/56","ipv6CidrBlockState":{"state":"associating"},"networkBorderGroup":"us-east-1","ipv6Pool":"Amazon"},"vpcId":"vpc-06fe1a64761a0f720"}`,
			want: "add " + vpc + ` cidrBlockAssociations.vpc-cidr-assoc-0aa = {"ipv6CidrBlock":"2600:1f18:abc::/56"}`},
		{name: "AssociateVpcCidrBlock IPv4", source: ec2, event: "AssociateVpcCidrBlock",
			req:  `{"vpcId":"vpc-1","cidrBlock":"10.1.0.0/16"}`,
			resp: `{"cidrBlockAssociation":{"associationId":"vpc-cidr-assoc-0bb","cidrBlock":"10.1.0.0/16","cidrBlockState":{"state":"associating"}},"vpcId":"vpc-1"}`,
			want: `add us-east-1/AWS::EC2::VPC/vpc-1 cidrBlockAssociations.vpc-cidr-assoc-0bb = {"cidrBlock":"10.1.0.0/16"}`},
		{name: "AssociateVpcCidrBlock without response", source: ec2, event: "AssociateVpcCidrBlock", req: `{"vpcId":"vpc-1","cidrBlock":"10.1.0.0/16"}`, wantErr: true},
		{name: "DisassociateVpcCidrBlock", source: ec2, event: "DisassociateVpcCidrBlock", req: `{"associationId":"vpc-cidr-assoc-0bb"}`,
			resp: `{"cidrBlockAssociation":{"associationId":"vpc-cidr-assoc-0bb","cidrBlock":"10.1.0.0/16","cidrBlockState":{"state":"disassociating"}},"vpcId":"vpc-1"}`,
			want: `remove us-east-1/AWS::EC2::VPC/vpc-1 cidrBlockAssociations.vpc-cidr-assoc-0bb`},
		{name: "DisassociateVpcCidrBlock without response", source: ec2, event: "DisassociateVpcCidrBlock", req: `{"associationId":"vpc-cidr-assoc-0bb"}`, wantErr: true},
	})
}

func TestReduceSubnets(t *testing.T) {
	const subnet = "us-east-1/AWS::EC2::Subnet/subnet-01ed430875cff578d"
	runCases(t, []reduceCase{
		{name: "CreateSubnet", source: ec2, event: "CreateSubnet",
			req:  `{"vpcId":"vpc-06fe1a64761a0f720","cidrBlock":"10.0.128.0/24","availabilityZone":"us-east-1a","tagSpecificationSet":{"items":[{"resourceType":"subnet","tags":[{"key":"Name","value":"public-us-east-1a"}]}]}}`,
			resp: `{"requestId":"8dd1","subnet":{"subnetId":"subnet-01ed430875cff578d","subnetArn":"arn:aws:ec2:us-east-1:123837392027:subnet/subnet-01ed430875cff578d","state":"available","vpcId":"vpc-06fe1a64761a0f720","cidrBlock":"10.0.128.0/24","ipv6CidrBlockAssociationSet":{},"availableIpAddressCount":251,"availabilityZone":"us-east-1a","availabilityZoneId":"use1-az2","ownerId":"123837392027","defaultForAz":false,"mapPublicIpOnLaunch":false,"assignIpv6AddressOnCreation":false,"tagSet":{"items":[{"key":"Name","value":"public-us-east-1a"}]},"privateDnsNameOptionsOnLaunch":{"hostnameType":"ip-name"},"ipv6Native":false,"enableDns64":false}}`,
			want: "put " + subnet + ` = {"assignIpv6AddressOnCreation":false,"availabilityZone":"us-east-1a","cidrBlock":"10.0.128.0/24","mapPublicIpOnLaunch":false,"state":"available","subnetId":"subnet-01ed430875cff578d","tags":{"Name":"public-us-east-1a"},"vpcId":"vpc-06fe1a64761a0f720"}`},
		{name: "CreateSubnet failed", source: ec2, event: "CreateSubnet", errorCode: "Client.InvalidSubnet.Conflict", req: `{"vpcId":"vpc-1","cidrBlock":"10.0.1.0/24"}`},
		{name: "CreateSubnet without response", source: ec2, event: "CreateSubnet", req: `{"vpcId":"vpc-1","cidrBlock":"10.0.1.0/24"}`, wantErr: true},
		{name: "ModifySubnetAttribute makes it public", source: ec2, event: "ModifySubnetAttribute",
			req: `{"subnetId":"subnet-01ed430875cff578d","mapPublicIpOnLaunch":{"value":true}}`, resp: `{"requestId":"c3","_return":true}`,
			want: "set " + subnet + " mapPublicIpOnLaunch = true"},
		{name: "ModifySubnetAttribute without attribute", source: ec2, event: "ModifySubnetAttribute", req: `{"subnetId":"subnet-1"}`, wantErr: true},
		{name: "DeleteSubnet", source: ec2, event: "DeleteSubnet", req: `{"subnetId":"subnet-01ed430875cff578d"}`, resp: `{"requestId":"9e02","_return":true}`,
			want: "delete " + subnet},
		{name: "DeleteSubnet without id", source: ec2, event: "DeleteSubnet", req: `{"subnetId":""}`, wantErr: true},
	})
}
