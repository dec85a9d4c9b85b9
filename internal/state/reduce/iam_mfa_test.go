package reduce

import "testing"

func TestReduceIAMMFADevices(t *testing.T) {
	const dev = "arn:aws:iam::123837392027:mfa/alice-phone"
	const u = `"userName":"alice","serialNumber":"` + dev + `"`
	runCases(t, []reduceCase{
		{name: "CreateVirtualMFADevice", source: iam, event: "CreateVirtualMFADevice", req: `{"virtualMFADeviceName":"alice-phone","path":"/"}`,
			resp: `{"virtualMFADevice":{"serialNumber":"` + dev + `"}}`,
			want: `put global/AWS::IAM::VirtualMFADevice/` + dev + ` = {"path":"/","serialNumber":"` + dev + `","virtualMFADeviceName":"alice-phone"}`},
		{name: "CreateVirtualMFADevice without response", source: iam, event: "CreateVirtualMFADevice",
			req:  `{"virtualMFADeviceName":"alice-phone","tags":[{"key":"owner","value":"alice"}]}`,
			want: `put global/AWS::IAM::VirtualMFADevice/` + dev + ` = {"path":"/","serialNumber":"` + dev + `","tags":{"owner":"alice"},"virtualMFADeviceName":"alice-phone"}`},
		{name: "CreateVirtualMFADevice without name", source: iam, event: "CreateVirtualMFADevice", req: `{"path":"/"}`, wantErr: true},
		{name: "CreateVirtualMFADevice denied", source: iam, event: "CreateVirtualMFADevice", req: `{"virtualMFADeviceName":"alice-phone"}`, errorCode: "AccessDenied"},
		{name: "EnableMFADevice virtual", source: iam, event: "EnableMFADevice", req: `{` + u + `}`,
			want: `add global/AWS::IAM::User/alice mfaDevices.` + dev + ` = {"enabledAt":"2023-07-10T12:10:01Z"}
set global/AWS::IAM::VirtualMFADevice/` + dev + ` user = "alice"`},
		{name: "EnableMFADevice hardware", source: iam, event: "EnableMFADevice", req: `{"userName":"alice","serialNumber":"GAHT12345678"}`,
			want: `add global/AWS::IAM::User/alice mfaDevices.GAHT12345678 = {"enabledAt":"2023-07-10T12:10:01Z"}`},
		{name: "EnableMFADevice for oneself", source: iam, event: "EnableMFADevice", req: `{"serialNumber":"GAHT12345678"}`,
			want: `add global/AWS::IAM::User/bert-jan mfaDevices.GAHT12345678 = {"enabledAt":"2023-07-10T12:10:01Z"}`},
		{name: "EnableMFADevice without serial", source: iam, event: "EnableMFADevice", req: `{"userName":"alice"}`, wantErr: true},
		{name: "EnableMFADevice out of sync", source: iam, event: "EnableMFADevice", req: `{` + u + `}`, errorCode: "InvalidAuthenticationCode"},
		{name: "ResyncMFADevice", source: iam, event: "ResyncMFADevice", req: `{` + u + `}`,
			want: `set global/AWS::IAM::User/alice mfaDevices.` + dev + `.resyncedAt = "2023-07-10T12:10:01Z"`},
		{name: "DeactivateMFADevice", source: iam, event: "DeactivateMFADevice", req: `{` + u + `}`,
			want: `remove global/AWS::IAM::User/alice mfaDevices.` + dev + `
unset global/AWS::IAM::VirtualMFADevice/` + dev + ` user`},
		{name: "DeleteVirtualMFADevice", source: iam, event: "DeleteVirtualMFADevice", req: `{"serialNumber":"` + dev + `"}`,
			want: `delete global/AWS::IAM::VirtualMFADevice/` + dev},
		{name: "TagMFADevice", source: iam, event: "TagMFADevice", req: `{"serialNumber":"` + dev + `","tags":[{"key":"owner","value":"alice"}]}`,
			want: `set global/AWS::IAM::VirtualMFADevice/` + dev + ` tags.owner = "alice"`},
		{name: "UntagMFADevice", source: iam, event: "UntagMFADevice", req: `{"serialNumber":"` + dev + `","tagKeys":["owner"]}`,
			want: `unset global/AWS::IAM::VirtualMFADevice/` + dev + ` tags.owner`},
	})
}
