package reduce

import "testing"

func TestReduceSnapshots(t *testing.T) {
	const snap = "us-east-1/AWS::EC2::Snapshot/snap-083d3b857c13988bc"
	runCases(t, []reduceCase{
		{name: "CreateSnapshot", source: ec2, event: "CreateSnapshot",
			req:  `{"volumeId":"vol-0fc2e34e74650e145","tagSpecificationSet":{"items":[{"resourceType":"snapshot","tags":[{"key":"StratusRedTeam","value":"true"}]}]}}`,
			resp: `{"requestId":"d077","snapshotId":"snap-083d3b857c13988bc","volumeId":"vol-0fc2e34e74650e145","status":"pending","startTime":1688991086923,"ownerId":"123837392027","volumeSize":"1","encrypted":false,"tagSet":{"items":[{"key":"StratusRedTeam","value":"true"}]}}`,
			want: "put " + snap + ` = {"createVolumePermissions":{},"encrypted":false,"ownerId":"123837392027","snapshotId":"snap-083d3b857c13988bc","tags":{"StratusRedTeam":"true"},"volumeId":"vol-0fc2e34e74650e145","volumeSize":"1"}`},
		{name: "CreateSnapshot failed", source: ec2, event: "CreateSnapshot", errorCode: "Client.InvalidVolume.NotFound", req: `{"volumeId":"vol-1"}`},
		{name: "CreateSnapshot without response", source: ec2, event: "CreateSnapshot", req: `{"volumeId":"vol-1"}`, wantErr: true},
		{name: "CreateSnapshots of an instance", source: ec2, event: "CreateSnapshots",
			req:  `{"instanceSpecification":{"instanceId":"i-1","excludeBootVolume":false},"copyTagsFromSource":"volume"}`,
			resp: `{"requestId":"d1","snapshotSet":{"items":[{"snapshotId":"snap-a","volumeId":"vol-a","state":"pending","volumeSize":8,"encrypted":true,"ownerId":"123837392027"}]}}`,
			want: `put us-east-1/AWS::EC2::Snapshot/snap-a = {"createVolumePermissions":{},"encrypted":true,"ownerId":"123837392027","snapshotId":"snap-a","tags":{},"volumeId":"vol-a","volumeSize":8}`},
		{name: "CreateSnapshots without response", source: ec2, event: "CreateSnapshots", req: `{"instanceSpecification":{"instanceId":"i-1"}}`, wantErr: true},
		{name: "CopySnapshot from another region", source: ec2, event: "CopySnapshot",
			req:  `{"sourceRegion":"eu-west-1","sourceSnapshotId":"snap-src","description":"copy","encrypted":true,"kmsKeyId":"alias/x"}`,
			resp: `{"requestId":"d2","snapshotId":"snap-copy"}`,
			want: `put us-east-1/AWS::EC2::Snapshot/snap-copy = {"createVolumePermissions":{},"description":"copy","encrypted":true,"snapshotId":"snap-copy","sourceRegion":"eu-west-1","sourceSnapshotId":"snap-src","tags":{}}`},
		{name: "CopySnapshot without response", source: ec2, event: "CopySnapshot", req: `{"sourceSnapshotId":"snap-src"}`, wantErr: true},
		{name: "ModifySnapshotAttribute shares with an account", source: ec2, event: "ModifySnapshotAttribute",
			req:  `{"snapshotId":"snap-083d3b857c13988bc","createVolumePermission":{"add":{"items":[{"userId":"012345678912"}]}},"attributeType":"CREATE_VOLUME_PERMISSION"}`,
			resp: `{"requestId":"aec7","_return":true}`,
			want: "add " + snap + ` createVolumePermissions.012345678912 = {"userId":"012345678912"}`},
		{name: "ModifySnapshotAttribute makes it public and unshares", source: ec2, event: "ModifySnapshotAttribute",
			req: `{"snapshotId":"snap-083d3b857c13988bc","createVolumePermission":{"add":{"items":[{"group":"all"}]},"remove":{"items":[{"userId":"012345678912"}]}},"attributeType":"CREATE_VOLUME_PERMISSION"}`,
			want: "add " + snap + ` createVolumePermissions.all = {"group":"all"}
remove ` + snap + ` createVolumePermissions.012345678912`},
		{name: "ModifySnapshotAttribute flat form", source: ec2, event: "ModifySnapshotAttribute",
			req:  `{"snapshotId":"snap-1","attributeType":"CREATE_VOLUME_PERMISSION","operationType":"remove","groupNames":{"items":[{"group":"all"}]}}`,
			want: `remove us-east-1/AWS::EC2::Snapshot/snap-1 createVolumePermissions.all`},
		{name: "ModifySnapshotAttribute without permission", source: ec2, event: "ModifySnapshotAttribute", req: `{"snapshotId":"snap-1","attributeType":"PRODUCT_CODES"}`, wantErr: true},
		{name: "ResetSnapshotAttribute", source: ec2, event: "ResetSnapshotAttribute", req: `{"snapshotId":"snap-083d3b857c13988bc","attribute":"CREATE_VOLUME_PERMISSION"}`,
			want: "set " + snap + " createVolumePermissions = {}"},
		{name: "ResetSnapshotAttribute of something else", source: ec2, event: "ResetSnapshotAttribute", req: `{"snapshotId":"snap-1","attribute":"productCodes"}`, wantErr: true},
		{name: "DeleteSnapshot", source: ec2, event: "DeleteSnapshot", req: `{"snapshotId":"snap-083d3b857c13988bc","force":false}`, resp: `{"requestId":"adf1","_return":true}`,
			want: "delete " + snap},
		{name: "DeleteSnapshot without id", source: ec2, event: "DeleteSnapshot", req: `{"force":false}`, wantErr: true},
	})
}
