package reduce

import "testing"

func TestReduceSecurityGroups(t *testing.T) {
	runCases(t, []reduceCase{
		{name: "CreateSecurityGroup has the implicit egress rule", source: ec2, event: "CreateSecurityGroup",
			req:  `{"groupName":"open-sg","groupDescription":"Allow TLS inbound traffic","vpcId":"vpc-0e56","tagSpecificationSet":{"items":[{"resourceType":"security-group","tags":[{"key":"StratusRedTeam","value":"true"}]}]}}`,
			resp: `{"requestId":"0298","_return":true,"groupId":"sg-04cf","tagSet":{"items":[{"key":"StratusRedTeam","value":"true"}]}}`,
			want: `put us-east-1/AWS::EC2::SecurityGroup/sg-04cf = {"description":"Allow TLS inbound traffic","egress":{"-1:all:cidrIpv4:0.0.0.0/0":{"cidrIpv4":"0.0.0.0/0","protocol":"-1"}},"groupName":"open-sg","ingress":{},"tags":{"StratusRedTeam":"true"},"vpcId":"vpc-0e56"}`},
		{name: "CreateSecurityGroup without response", source: ec2, event: "CreateSecurityGroup", req: `{"groupName":"x"}`, wantErr: true},
		{name: "AuthorizeSecurityGroupIngress", source: ec2, event: "AuthorizeSecurityGroupIngress",
			req:  `{"groupId":"sg-04cf","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0","description":"TLS from Internet"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`,
			resp: `{"requestId":"0c89","_return":true,"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0bb3","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"0.0.0.0/0"}]}}`,
			want: `add us-east-1/AWS::EC2::SecurityGroup/sg-04cf ingress.tcp:443-443:cidrIpv4:0.0.0.0/0 = {"cidrIpv4":"0.0.0.0/0","description":"TLS from Internet","fromPort":443,"protocol":"tcp","ruleId":"sgr-0bb3","toPort":443}`},
		{name: "AuthorizeSecurityGroupEgress v4 and v6", source: ec2, event: "AuthorizeSecurityGroupEgress",
			req: `{"groupId":"sg-04cf","ipPermissions":{"items":[{"ipProtocol":"-1","groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]},"prefixListIds":{}}]}}`,
			want: `
add us-east-1/AWS::EC2::SecurityGroup/sg-04cf egress.-1:all:cidrIpv4:0.0.0.0/0 = {"cidrIpv4":"0.0.0.0/0","protocol":"-1"}
add us-east-1/AWS::EC2::SecurityGroup/sg-04cf egress.-1:all:cidrIpv6:::/0 = {"cidrIpv6":"::/0","protocol":"-1"}`},
		{name: "RevokeSecurityGroupEgress of the default rule (ports 0)", source: ec2, event: "RevokeSecurityGroupEgress",
			req:  `{"groupId":"sg-04cf","ipPermissions":{"items":[{"ipProtocol":"-1","fromPort":0,"toPort":0,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`,
			want: `remove us-east-1/AWS::EC2::SecurityGroup/sg-04cf egress.-1:all:cidrIpv4:0.0.0.0/0`},
		{name: "RevokeSecurityGroupIngress flat form", source: ec2, event: "RevokeSecurityGroupIngress",
			req:  `{"groupId":"sg-04cf","ipPermissions":{},"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIp":"0.0.0.0/0"}`,
			want: `remove us-east-1/AWS::EC2::SecurityGroup/sg-04cf ingress.tcp:22-22:cidrIpv4:0.0.0.0/0`},
		{name: "Authorize from a group and a prefix list, by group name", source: ec2, event: "AuthorizeSecurityGroupIngress",
			req: `{"groupName":"default","ipPermissions":{"items":[{"ipProtocol":"6","fromPort":"5432","toPort":"5432","groups":{"items":[{"groupId":"sg-app"}]},"prefixListIds":{"items":[{"prefixListId":"pl-1"}]}}]}}`,
			want: `
add us-east-1/AWS::EC2::SecurityGroup/name:default ingress.tcp:5432-5432:group:sg-app = {"fromPort":5432,"group":"sg-app","protocol":"tcp","toPort":5432}
add us-east-1/AWS::EC2::SecurityGroup/name:default ingress.tcp:5432-5432:prefixList:pl-1 = {"fromPort":5432,"prefixList":"pl-1","protocol":"tcp","toPort":5432}`},
		{name: "Revoke by rule ids", source: ec2, event: "RevokeSecurityGroupIngress", req: `{"groupId":"sg-1","securityGroupRuleIds":{"items":[{"securityGroupRuleId":"sgr-1"}]}}`,
			want: `remove us-east-1/AWS::EC2::SecurityGroup/sg-1 ingress = {"ruleId":"sgr-1"}`},
		{name: "Revoke with neither permissions nor rule ids", source: ec2, event: "RevokeSecurityGroupIngress", req: `{"groupId":"sg-1"}`, wantErr: true},
		{name: "Authorize without group", source: ec2, event: "AuthorizeSecurityGroupIngress", req: `{"ipPermissions":{}}`, wantErr: true},
		{name: "Authorize a permission without peers", source: ec2, event: "AuthorizeSecurityGroupIngress", req: `{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp"}]}}`, wantErr: true},
		{name: "DeleteSecurityGroup", source: ec2, event: "DeleteSecurityGroup", req: `{"groupId":"sg-04cf"}`, resp: `{"requestId":"ca3c","_return":true}`,
			want: `delete us-east-1/AWS::EC2::SecurityGroup/sg-04cf`},
	})
}
