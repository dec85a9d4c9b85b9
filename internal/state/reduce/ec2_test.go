package reduce

import "testing"

const ec2 = "ec2.amazonaws.com"

func TestReduceEC2Instances(t *testing.T) {
	runCases(t, []reduceCase{
		{name: "RunInstances", source: ec2, event: "RunInstances",
			req:  `{"instancesSet":{"items":[{"imageId":"ami-029eb80bc237bec6f","minCount":2,"maxCount":2}]},"instanceType":"t3.micro","iamInstanceProfile":{"name":"prof"},"tagSpecificationSet":{"items":[{"resourceType":"instance","tags":[{"key":"StratusRedTeam","value":"true"}]}]}}`,
			resp: `{"requestId":"95b4","reservationId":"r-0ac0","ownerId":"123837392027","groupSet":{},"instancesSet":{"items":[{"instanceId":"i-0dbc91f429e48eeed","imageId":"ami-029eb80bc237bec6f","instanceState":{"code":0,"name":"pending"},"instanceType":"t3.micro","launchTime":1688990121000,"placement":{"availabilityZone":"us-east-1a","tenancy":"default"},"subnetId":"subnet-0ed3","vpcId":"vpc-06fe","privateIpAddress":"10.0.1.10","tagSet":{"items":[{"key":"StratusRedTeam","value":"true"}]},"groupSet":{"items":[{"groupId":"sg-0b23"}]},"iamInstanceProfile":{"arn":"arn:aws:iam::123837392027:instance-profile/prof","id":"AIPA"}},{"instanceId":"i-2","imageId":"ami-029eb80bc237bec6f","instanceState":{"code":0,"name":"pending"},"instanceType":"t3.micro"}]}}`,
			want: `
put us-east-1/AWS::EC2::Instance/i-0dbc91f429e48eeed = {"availabilityZone":"us-east-1a","imageId":"ami-029eb80bc237bec6f","instanceId":"i-0dbc91f429e48eeed","instanceProfile":"arn:aws:iam::123837392027:instance-profile/prof","instanceType":"t3.micro","launchTime":"2023-07-10T11:55:21Z","privateIpAddress":"10.0.1.10","securityGroups":["sg-0b23"],"state":"pending","subnetId":"subnet-0ed3","tags":{"StratusRedTeam":"true"},"vpcId":"vpc-06fe"}
put us-east-1/AWS::EC2::Instance/i-2 = {"imageId":"ami-029eb80bc237bec6f","instanceId":"i-2","instanceProfile":"prof","instanceType":"t3.micro","launchTime":"2023-07-10T12:10:01Z","state":"pending","tags":{"StratusRedTeam":"true"}}`},
		{name: "RunInstances without response", source: ec2, event: "RunInstances", req: `{"instanceType":"t3.micro"}`, wantErr: true},
		{name: "RunInstances item without id", source: ec2, event: "RunInstances", resp: `{"instancesSet":{"items":[{"imageId":"ami-1"}]}}`, wantErr: true},
		{name: "StopInstances", source: ec2, event: "StopInstances",
			req:  `{"instancesSet":{"items":[{"instanceId":"i-1"}]},"force":false}`,
			resp: `{"requestId":"x","instancesSet":{"items":[{"instanceId":"i-1","currentState":{"code":64,"name":"stopping"},"previousState":{"code":16,"name":"running"}}]}}`,
			want: `set us-east-1/AWS::EC2::Instance/i-1 state = "stopping"`},
		{name: "StartInstances without response", source: ec2, event: "StartInstances",
			req:  `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`,
			want: "set us-east-1/AWS::EC2::Instance/i-1 state = \"pending\"\nset us-east-1/AWS::EC2::Instance/i-2 state = \"pending\""},
		{name: "TerminateInstances", source: ec2, event: "TerminateInstances",
			req:  `{"instancesSet":{"items":[{"instanceId":"i-0dbc91f429e48eeed"}]}}`,
			resp: `{"requestId":"df4f","instancesSet":{"items":[{"instanceId":"i-0dbc91f429e48eeed","currentState":{"code":32,"name":"shutting-down"},"previousState":{"code":16,"name":"running"}}]}}`,
			want: `delete us-east-1/AWS::EC2::Instance/i-0dbc91f429e48eeed`},
		{name: "TerminateInstances without ids", source: ec2, event: "TerminateInstances", req: `{}`, wantErr: true},
		{name: "CreateTags", source: ec2, event: "CreateTags",
			req:  `{"resourcesSet":{"items":[{"resourceId":"ami-0aa1"},{"resourceId":"sg-1"}]},"tagSet":{"items":[{"key":"StratusRedTeam","value":"true"},{"key":"Name","value":"x"}]}}`,
			resp: `{"requestId":"9fcb","_return":true}`,
			want: `
set us-east-1/AWS::EC2::Image/ami-0aa1 tags.Name = "x"
set us-east-1/AWS::EC2::Image/ami-0aa1 tags.StratusRedTeam = "true"
set us-east-1/AWS::EC2::SecurityGroup/sg-1 tags.Name = "x"
set us-east-1/AWS::EC2::SecurityGroup/sg-1 tags.StratusRedTeam = "true"`},
		{name: "DeleteTags all", source: ec2, event: "DeleteTags", req: `{"resourcesSet":{"items":[{"resourceId":"i-1"}]}}`,
			want: `unset us-east-1/AWS::EC2::Instance/i-1 tags`},
		{name: "DeleteTags named", source: ec2, event: "DeleteTags", req: `{"resourcesSet":{"items":[{"resourceId":"weird-1"}]},"tagSet":{"items":[{"key":"Name"}]}}`,
			want: `unset us-east-1/AWS::EC2::Resource/weird-1 tags.Name`},
		{name: "CreateTags without resources", source: ec2, event: "CreateTags", req: `{"tagSet":{}}`, wantErr: true},
		{name: "ModifyInstanceAttribute value form", source: ec2, event: "ModifyInstanceAttribute",
			req:  `{"instanceId":"i-0dbc91f429e48eeed","disableApiTermination":{"value":false}}`,
			resp: `{"requestId":"6920","_return":true}`,
			want: `set us-east-1/AWS::EC2::Instance/i-0dbc91f429e48eeed disableApiTermination = false`},
		{name: "ModifyInstanceAttribute attribute form hides user data", source: ec2, event: "ModifyInstanceAttribute",
			req:  `{"instanceId":"i-1","attribute":"userData","value":"<sensitiveDataRemoved>"}`,
			want: "set us-east-1/AWS::EC2::Instance/i-1 userData = \"(redacted)\"\nset us-east-1/AWS::EC2::Instance/i-1 userDataChangedAt = \"2023-07-10T12:10:01Z\""},
		{name: "ModifyInstanceAttribute groups", source: ec2, event: "ModifyInstanceAttribute",
			req:  `{"instanceId":"i-1","groupSet":{"items":[{"groupId":"sg-1"},{"groupId":"sg-2"}]}}`,
			want: `set us-east-1/AWS::EC2::Instance/i-1 securityGroups = ["sg-1","sg-2"]`},
		{name: "ModifyInstanceAttribute without instance", source: ec2, event: "ModifyInstanceAttribute", req: `{}`, wantErr: true},
	})
}
