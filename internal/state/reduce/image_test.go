package reduce

import "testing"

func TestReduceImages(t *testing.T) {
	const ami = "us-east-1/AWS::EC2::Image/ami-0aa1d83d0b0985c86"
	runCases(t, []reduceCase{
		{name: "RegisterImage", source: ec2, event: "RegisterImage",
			req:  `{"name":"stratus-red-team-share-ami-ami","architecture":"x86_64","rootDeviceName":"/dev/xvda","blockDeviceMapping":{"items":[{"deviceName":"/dev/xvda","ebs":{"snapshotId":"snap-01ee6be9876379b3b","volumeSize":1,"deleteOnTermination":true,"volumeType":"standard"}}]},"sriovNetSupport":"simple","enaSupport":false}`,
			resp: `{"requestId":"3342","imageId":"ami-0aa1d83d0b0985c86"}`,
			want: "put " + ami + ` = {"architecture":"x86_64","imageId":"ami-0aa1d83d0b0985c86","launchPermissions":{},"name":"stratus-red-team-share-ami-ami","snapshotIds":["snap-01ee6be9876379b3b"],"tags":{}}`},
		{name: "RegisterImage failed", source: ec2, event: "RegisterImage", errorCode: "Client.InvalidAMIName.Duplicate", req: `{"name":"x"}`},
		{name: "RegisterImage without response", source: ec2, event: "RegisterImage", req: `{"name":"x"}`, wantErr: true},
		{name: "CreateImage from an instance", source: ec2, event: "CreateImage",
			req:  `{"instanceId":"i-0dbc91f429e48eeed","name":"backup","description":"nightly","noReboot":true,"tagSpecificationSet":{"items":[{"resourceType":"image","tags":[{"key":"k","value":"v"}]},{"resourceType":"snapshot","tags":[{"key":"s","value":"1"}]}]}}`,
			resp: `{"requestId":"g1","imageId":"ami-0b"}`,
			want: `put us-east-1/AWS::EC2::Image/ami-0b = {"description":"nightly","imageId":"ami-0b","launchPermissions":{},"name":"backup","sourceInstanceId":"i-0dbc91f429e48eeed","tags":{"k":"v"}}`},
		{name: "CopyImage", source: ec2, event: "CopyImage",
			req:  `{"sourceRegion":"eu-west-1","sourceImageId":"ami-src","name":"copied","encrypted":false}`,
			resp: `{"requestId":"g2","imageId":"ami-0c"}`,
			want: `put us-east-1/AWS::EC2::Image/ami-0c = {"imageId":"ami-0c","launchPermissions":{},"name":"copied","sourceImageId":"ami-src","sourceRegion":"eu-west-1","tags":{}}`},
		{name: "ModifyImageAttribute shares with an account", source: ec2, event: "ModifyImageAttribute",
			req:  `{"imageId":"ami-0aa1d83d0b0985c86","launchPermission":{"add":{"items":[{"userId":"012345678901"}]}},"attributeType":"launchPermission"}`,
			resp: `{"requestId":"9a32","_return":true}`,
			want: "add " + ami + ` launchPermissions.012345678901 = {"userId":"012345678901"}`},
		{name: "ModifyImageAttribute makes it public", source: ec2, event: "ModifyImageAttribute",
			req:  `{"imageId":"ami-0aa1d83d0b0985c86","launchPermission":{"add":{"items":[{"group":"all"}]}},"attributeType":"launchPermission"}`,
			want: "add " + ami + ` launchPermissions.all = {"group":"all"}`},
		{name: "ModifyImageAttribute unshares from an organization", source: ec2, event: "ModifyImageAttribute",
			req:  `{"imageId":"ami-1","launchPermission":{"remove":{"items":[{"organizationArn":"arn:aws:organizations::123837392027:organization/o-abc"}]}},"attributeType":"launchPermission"}`,
			want: `remove us-east-1/AWS::EC2::Image/ami-1 launchPermissions.arn:aws:organizations::123837392027:organization/o-abc`},
		{name: "ModifyImageAttribute description", source: ec2, event: "ModifyImageAttribute",
			req:  `{"imageId":"ami-1","description":{"value":"new"},"attributeType":"description"}`,
			want: `set us-east-1/AWS::EC2::Image/ami-1 description = "new"`},
		{name: "ModifyImageAttribute without change", source: ec2, event: "ModifyImageAttribute", req: `{"imageId":"ami-1","attributeType":"launchPermission"}`, wantErr: true},
		{name: "ResetImageAttribute", source: ec2, event: "ResetImageAttribute", req: `{"imageId":"ami-1","attribute":"launchPermission"}`,
			want: `set us-east-1/AWS::EC2::Image/ami-1 launchPermissions = {}`},
		{name: "ResetImageAttribute without attribute", source: ec2, event: "ResetImageAttribute", req: `{"imageId":"ami-1"}`, wantErr: true},
		{name: "DeregisterImage", source: ec2, event: "DeregisterImage", req: `{"imageId":"ami-0aa1d83d0b0985c86"}`, resp: `{"requestId":"eb9d","_return":true}`,
			want: "delete " + ami},
		{name: "DeregisterImage without id", source: ec2, event: "DeregisterImage", req: `{}`, wantErr: true},
	})
}
