package reduce

import "testing"

func TestReduceNetworkACLs(t *testing.T) {
	const acl = "us-east-1/AWS::EC2::NetworkAcl/acl-0b3a"
	runCases(t, []reduceCase{
		{name: "CreateNetworkAcl has the default deny entries", source: ec2, event: "CreateNetworkAcl",
			req:  `{"vpcId":"vpc-06fe1a64761a0f720","tagSpecificationSet":{"items":[{"resourceType":"network-acl","tags":[{"key":"Name","value":"private"}]}]}}`,
			resp: `{"requestId":"e1","networkAcl":{"networkAclId":"acl-0b3a","vpcId":"vpc-06fe1a64761a0f720","default":false,"entrySet":{"items":[{"ruleNumber":32767,"protocol":"-1","ruleAction":"deny","egress":true,"cidrBlock":"0.0.0.0/0"},{"ruleNumber":32767,"protocol":"-1","ruleAction":"deny","egress":false,"cidrBlock":"0.0.0.0/0"}]},"associationSet":{},"tagSet":{"items":[{"key":"Name","value":"private"}]},"ownerId":"123837392027"}}`,
			want: "put " + acl + ` = {"associations":{},"entries":{"egress:32767":{"cidrBlock":"0.0.0.0/0","protocol":"-1","ruleAction":"deny"},"ingress:32767":{"cidrBlock":"0.0.0.0/0","protocol":"-1","ruleAction":"deny"}},"isDefault":false,"networkAclId":"acl-0b3a","tags":{"Name":"private"},"vpcId":"vpc-06fe1a64761a0f720"}`},
		{name: "CreateNetworkAcl without response", source: ec2, event: "CreateNetworkAcl", req: `{"vpcId":"vpc-1"}`, wantErr: true},
		{name: "CreateNetworkAclEntry allows SSH from anywhere", source: ec2, event: "CreateNetworkAclEntry",
			req:  `{"networkAclId":"acl-0b3a","ruleNumber":100,"egress":false,"ruleAction":"allow","icmpTypeCode":{},"portRange":{"from":22,"to":22},"aclProtocol":"6","cidrBlock":"0.0.0.0/0"}`,
			resp: `{"requestId":"e2","_return":true}`,
			want: "add " + acl + ` entries.ingress:100 = {"cidrBlock":"0.0.0.0/0","portRange":{"from":22,"to":22},"protocol":"tcp","ruleAction":"allow"}`},
		{name: "CreateNetworkAclEntry failed", source: ec2, event: "CreateNetworkAclEntry", errorCode: "Client.NetworkAclEntryAlreadyExists",
			req: `{"networkAclId":"acl-0b3a","ruleNumber":100,"egress":false,"ruleAction":"allow","icmpTypeCode":{},"portRange":{},"aclProtocol":"-1","cidrBlock":"0.0.0.0/0"}`},
		{name: "CreateNetworkAclEntry without rule number", source: ec2, event: "CreateNetworkAclEntry",
			req: `{"networkAclId":"acl-0b3a","egress":false,"ruleAction":"allow","protocol":"-1","cidrBlock":"0.0.0.0/0"}`, wantErr: true},
		{name: "ReplaceNetworkAclEntry ICMPv6 egress", source: ec2, event: "ReplaceNetworkAclEntry",
			req:  `{"networkAclId":"acl-0b3a","ruleNumber":110,"egress":true,"ruleAction":"deny","icmpTypeCode":{"code":-1,"type":-1},"portRange":{},"aclProtocol":"58","ipv6CidrBlock":"::/0"}`,
			want: "add " + acl + ` entries.egress:110 = {"icmpTypeCode":{"code":-1,"type":-1},"ipv6CidrBlock":"::/0","protocol":"58","ruleAction":"deny"}`},
		{name: "DeleteNetworkAclEntry", source: ec2, event: "DeleteNetworkAclEntry", req: `{"networkAclId":"acl-0b3a","ruleNumber":100,"egress":false}`,
			want: "remove " + acl + " entries.ingress:100"},
		{name: "ReplaceNetworkAclAssociation", source: ec2, event: "ReplaceNetworkAclAssociation",
			req:  `{"associationId":"aclassoc-1","networkAclId":"acl-0b3a"}`,
			resp: `{"requestId":"e3","newAssociationId":"aclassoc-2"}`,
			want: "add " + acl + ` associations.aclassoc-2 = {"replacedAssociationId":"aclassoc-1"}`},
		{name: "ReplaceNetworkAclAssociation without association", source: ec2, event: "ReplaceNetworkAclAssociation", req: `{"networkAclId":"acl-0b3a"}`, wantErr: true},
		{name: "DeleteNetworkAcl", source: ec2, event: "DeleteNetworkAcl", req: `{"networkAclId":"acl-0b3a"}`, resp: `{"requestId":"e4","_return":true}`,
			want: "delete " + acl},
		{name: "DeleteNetworkAcl without id", source: ec2, event: "DeleteNetworkAcl", req: `{}`, wantErr: true},
	})
}
