package reduce

import "testing"

func TestReduceEC2InstanceExtras(t *testing.T) {
	const inst = "us-east-1/AWS::EC2::Instance/i-0dbc91f429e48eeed"
	runCases(t, []reduceCase{
		{name: "RebootInstances", source: ec2, event: "RebootInstances",
			req:  `{"instancesSet":{"items":[{"instanceId":"i-0dbc91f429e48eeed"},{"instanceId":"i-2"}]}}`,
			resp: `{"requestId":"5a1c","_return":true}`,
			want: "set " + inst + ` lastRebootTime = "2023-07-10T12:10:01Z"
set us-east-1/AWS::EC2::Instance/i-2 lastRebootTime = "2023-07-10T12:10:01Z"`},
		{name: "RebootInstances failed", source: ec2, event: "RebootInstances", errorCode: "Client.UnauthorizedOperation",
			req: `{"instancesSet":{"items":[{"instanceId":"i-1"}]}}`},
		{name: "RebootInstances without instances", source: ec2, event: "RebootInstances", req: `{"instancesSet":{}}`, wantErr: true},

		{name: "AssociateIamInstanceProfile", source: ec2, event: "AssociateIamInstanceProfile",
			req:  `{"AssociateIamInstanceProfileRequest":{"InstanceId":"i-0dbc91f429e48eeed","IamInstanceProfile":{"Name":"admin-profile"}}}`,
			resp: `{"AssociateIamInstanceProfileResponse":{"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/","requestId":"c1d4","iamInstanceProfileAssociation":{"associationId":"iip-assoc-0e7736511a163c209","iamInstanceProfile":{"arn":"arn:aws:iam::123837392027:instance-profile/admin-profile","id":"AIPAJ2EXAMPLE"},"instanceId":"i-0dbc91f429e48eeed","state":"associating"}}}`,
			want: "set " + inst + ` instanceProfile = "arn:aws:iam::123837392027:instance-profile/admin-profile"
set ` + inst + ` instanceProfileAssociationId = "iip-assoc-0e7736511a163c209"`},
		{name: "AssociateIamInstanceProfile without response", source: ec2, event: "AssociateIamInstanceProfile",
			req:  `{"AssociateIamInstanceProfileRequest":{"InstanceId":"i-1","IamInstanceProfile":{"Arn":"arn:aws:iam::123837392027:instance-profile/p"}}}`,
			want: `set us-east-1/AWS::EC2::Instance/i-1 instanceProfile = "arn:aws:iam::123837392027:instance-profile/p"`},
		{name: "AssociateIamInstanceProfile without profile", source: ec2, event: "AssociateIamInstanceProfile",
			req: `{"AssociateIamInstanceProfileRequest":{"InstanceId":"i-1"}}`, wantErr: true},

		{name: "ReplaceIamInstanceProfileAssociation", source: ec2, event: "ReplaceIamInstanceProfileAssociation",
			req:  `{"ReplaceIamInstanceProfileAssociationRequest":{"AssociationId":"iip-assoc-0e7736511a163c209","IamInstanceProfile":{"Name":"other"}}}`,
			resp: `{"ReplaceIamInstanceProfileAssociationResponse":{"requestId":"9b1e","iamInstanceProfileAssociation":{"associationId":"iip-assoc-0a2","iamInstanceProfile":{"arn":"arn:aws:iam::123837392027:instance-profile/other","id":"AIPA2"},"instanceId":"i-0dbc91f429e48eeed","state":"associating"}}}`,
			want: "set " + inst + ` instanceProfile = "arn:aws:iam::123837392027:instance-profile/other"
set ` + inst + ` instanceProfileAssociationId = "iip-assoc-0a2"`},
		{name: "ReplaceIamInstanceProfileAssociation without response", source: ec2, event: "ReplaceIamInstanceProfileAssociation",
			req: `{"ReplaceIamInstanceProfileAssociationRequest":{"AssociationId":"iip-assoc-1","IamInstanceProfile":{"Name":"other"}}}`, wantErr: true},

		{name: "DisassociateIamInstanceProfile", source: ec2, event: "DisassociateIamInstanceProfile",
			req:  `{"DisassociateIamInstanceProfileRequest":{"AssociationId":"iip-assoc-0a2"}}`,
			resp: `{"DisassociateIamInstanceProfileResponse":{"requestId":"77aa","iamInstanceProfileAssociation":{"associationId":"iip-assoc-0a2","iamInstanceProfile":{"arn":"arn:aws:iam::123837392027:instance-profile/other","id":"AIPA2"},"instanceId":"i-0dbc91f429e48eeed","state":"disassociating"}}}`,
			want: "unset " + inst + " instanceProfile\nunset " + inst + " instanceProfileAssociationId"},
		{name: "DisassociateIamInstanceProfile flat form", source: ec2, event: "DisassociateIamInstanceProfile",
			req:  `{"associationId":"iip-assoc-1"}`,
			resp: `{"iamInstanceProfileAssociation":{"associationId":"iip-assoc-1","instanceId":"i-1","state":"disassociating"}}`,
			want: "unset us-east-1/AWS::EC2::Instance/i-1 instanceProfile\nunset us-east-1/AWS::EC2::Instance/i-1 instanceProfileAssociationId"},
		{name: "DisassociateIamInstanceProfile without response", source: ec2, event: "DisassociateIamInstanceProfile",
			req: `{"DisassociateIamInstanceProfileRequest":{"AssociationId":"iip-assoc-0a2"}}`, wantErr: true},

		{name: "ModifyInstanceMetadataOptions reports all options", source: ec2, event: "ModifyInstanceMetadataOptions",
			req:  `{"ModifyInstanceMetadataOptionsRequest":{"HttpTokens":"optional","InstanceId":"i-0dbc91f429e48eeed"}}`,
			resp: `{"ModifyInstanceMetadataOptionsResponse":{"xmlns":"http://ec2.amazonaws.com/doc/2016-11-15/","requestId":"1f3a","instanceId":"i-0dbc91f429e48eeed","instanceMetadataOptions":{"state":"pending","httpTokens":"optional","httpPutResponseHopLimit":1,"httpEndpoint":"enabled","httpProtocolIpv6":"disabled","instanceMetadataTags":"disabled"}}}`,
			want: "set " + inst + ` metadataOptions.httpEndpoint = "enabled"
set ` + inst + ` metadataOptions.httpProtocolIpv6 = "disabled"
set ` + inst + ` metadataOptions.httpPutResponseHopLimit = 1
set ` + inst + ` metadataOptions.httpTokens = "optional"
set ` + inst + ` metadataOptions.instanceMetadataTags = "disabled"`},
		{name: "ModifyInstanceMetadataOptions without response", source: ec2, event: "ModifyInstanceMetadataOptions",
			req:  `{"ModifyInstanceMetadataOptionsRequest":{"HttpPutResponseHopLimit":3,"InstanceId":"i-1"}}`,
			want: `set us-east-1/AWS::EC2::Instance/i-1 metadataOptions.httpPutResponseHopLimit = 3`},
		{name: "ModifyInstanceMetadataOptions failed", source: ec2, event: "ModifyInstanceMetadataOptions", errorCode: "Client.InvalidParameterValue",
			req: `{"ModifyInstanceMetadataOptionsRequest":{"HttpTokens":"required","InstanceId":"i-abcd"}}`},
		{name: "ModifyInstanceMetadataOptions without options", source: ec2, event: "ModifyInstanceMetadataOptions",
			req: `{"ModifyInstanceMetadataOptionsRequest":{"InstanceId":"i-1"}}`, wantErr: true},

		{name: "RunInstances keeps metadata options and marks user data", source: ec2, event: "RunInstances",
			req:  `{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1,"maxCount":1}]},"instanceType":"t3.micro","userData":"<sensitiveDataRemoved>","metadataOptions":{"httpTokens":"required"}}`,
			resp: `{"requestId":"95b4","reservationId":"r-1","instancesSet":{"items":[{"instanceId":"i-1","imageId":"ami-1","instanceState":{"code":0,"name":"pending"},"instanceType":"t3.micro","metadataOptions":{"state":"pending","httpTokens":"required","httpPutResponseHopLimit":2,"httpEndpoint":"enabled"}}]}}`,
			want: `put us-east-1/AWS::EC2::Instance/i-1 = {"imageId":"ami-1","instanceId":"i-1","instanceType":"t3.micro","launchTime":"2023-07-10T12:10:01Z","metadataOptions":{"httpEndpoint":"enabled","httpPutResponseHopLimit":2,"httpTokens":"required"},"state":"pending","tags":{},"userData":"(redacted)","userDataChangedAt":"2023-07-10T12:10:01Z"}`},
		{name: "ModifyInstanceAttribute user data, value form", source: ec2, event: "ModifyInstanceAttribute",
			req:  `{"instanceId":"i-1","userData":{"value":"<sensitiveDataRemoved>"}}`,
			want: "set us-east-1/AWS::EC2::Instance/i-1 userData = \"(redacted)\"\nset us-east-1/AWS::EC2::Instance/i-1 userDataChangedAt = \"2023-07-10T12:10:01Z\""},
		{name: "ModifyInstanceAttribute instance type", source: ec2, event: "ModifyInstanceAttribute",
			req:  `{"instanceId":"i-1","instanceType":{"value":"t3.large"}}`,
			want: `set us-east-1/AWS::EC2::Instance/i-1 instanceType = "t3.large"`},
		{name: "ModifyInstanceAttribute empty groupSet", source: ec2, event: "ModifyInstanceAttribute",
			req: `{"instanceId":"i-1","groupSet":{}}`, wantErr: true},
	})
}
