package reduce

import (
	"strings"
	"testing"
)

// TestCorpusNetworkHistories checks, event by event, the histories the
// invictus corpus gives the network, snapshot and image resources: the
// Stratus Red Team techniques build VPCs, share a snapshot and an AMI with
// a foreign account, then tear everything down.
func TestCorpusNetworkHistories(t *testing.T) {
	hs := corpusHistories(t)
	const acct = "123837392027/us-east-1/"
	cases := []struct {
		id, timeline string
		checks       []stateCheck
	}{
		{id: "AWS::EC2::Image/ami-0aa1d83d0b0985c86", timeline: `12:10:53 RegisterImage BERT rev=1
12:10:54 CreateTags BERT rev=2
12:11:01 ModifyImageAttribute BERT rev=3
12:11:57 ModifyImageAttribute BERT rev=4
12:12:03 DeregisterImage BERT rev=5 deleted
`, checks: []stateCheck{{2, []string{"launchPermissions", "012345678901", "userId"}, "012345678901"}, {3, []string{"launchPermissions", "012345678901"}, ""}}},
		{id: "AWS::EC2::Snapshot/snap-083d3b857c13988bc", timeline: `12:11:27 CreateSnapshot BERT rev=1
12:11:28 ModifySnapshotAttribute BERT rev=2
12:11:57 ModifySnapshotAttribute BERT rev=3
12:12:03 DeleteSnapshot BERT rev=4 deleted
`, checks: []stateCheck{{1, []string{"createVolumePermissions", "012345678912", "userId"}, "012345678912"}, {0, []string{"volumeId"}, "vol-0fc2e34e74650e145"}}},
		{id: "AWS::EC2::InternetGateway/igw-02a84e4222d62e16b", timeline: `11:55:12 CreateInternetGateway BERT rev=1
11:55:13 AttachInternetGateway BERT rev=2
12:12:05 DetachInternetGateway BERT rev=3
12:12:06 DeleteInternetGateway BERT rev=4 deleted
`, checks: []stateCheck{{1, []string{"attachments", "vpc-06fe1a64761a0f720", "vpcId"}, "vpc-06fe1a64761a0f720"}, {2, []string{"attachments", "vpc-06fe1a64761a0f720"}, ""}}},
		{id: "AWS::EC2::RouteTable/rtb-0d4916f528a90fa4e", timeline: `11:55:12 CreateRouteTable BERT rev=1
11:55:14 AssociateRouteTable BERT rev=2
11:56:45 CreateRoute BERT rev=3
12:08:05 DeleteRoute BERT rev=4
12:08:07 DeleteRouteTable BERT rev=5 deleted
`, checks: []stateCheck{{2, []string{"routes", "0.0.0.0/0", "natGatewayId"}, "nat-03575abbac42080d9"}, {1, []string{"associations", "rtbassoc-000d4a90bd5c12cfb", "subnetId"}, "subnet-0ed352584ab4aa265"}}},
		{id: "AWS::EC2::RouteTableAssociation/rtbassoc-000d4a90bd5c12cfb", timeline: `11:55:14 AssociateRouteTable BERT rev=1
12:08:05 DisassociateRouteTable BERT rev=2 deleted
`, checks: []stateCheck{{0, []string{"routeTableId"}, "rtb-0d4916f528a90fa4e"}}},
		{id: "AWS::EC2::NatGateway/nat-03575abbac42080d9", timeline: `11:55:14 CreateNatGateway BERT rev=1
12:08:07 DeleteNatGateway BERT rev=2 deleted
`, checks: []stateCheck{{0, []string{"subnetId"}, "subnet-01ed430875cff578d"}, {0, []string{"tags", "StratusRedTeam"}, "true"}}},
		{id: "AWS::EC2::VPC/vpc-06fe1a64761a0f720", timeline: `11:55:08 CreateVpc BERT rev=1
12:14:43 DeleteVpc BERT rev=2 deleted
`, checks: []stateCheck{{0, []string{"cidrBlock"}, "10.0.0.0/16"}, {0, []string{"isDefault"}, "false"}}},
		{id: "AWS::EC2::Subnet/subnet-01ed430875cff578d", timeline: `11:55:13 CreateSubnet BERT rev=1
12:12:06 DeleteSubnet BERT rev=2 deleted
`, checks: []stateCheck{{0, []string{"vpcId"}, "vpc-06fe1a64761a0f720"}}},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			h, ok := hs[acct+tc.id]
			if !ok {
				t.Fatalf("no history for %s", tc.id)
			}
			got := strings.ReplaceAll(timeline(h), "arn:aws:iam::123837392027:user/bert-jan", "BERT")
			if got != tc.timeline {
				t.Fatalf("timeline:\n%s\nwant:\n%s", got, tc.timeline)
			}
			for _, c := range tc.checks {
				if c.rev >= len(h.Revisions) {
					t.Fatalf("no revision %d", c.rev+1)
				}
				if got := fmtValue(get(h.Revisions[c.rev].State, c.path...)); got != c.want {
					t.Errorf("revision %d %v = %q, want %q", c.rev+1, c.path, got, c.want)
				}
			}
		})
	}
	if h := hs[acct+"AWS::EC2::Subnet/subnet-01ed430875cff578d"]; h.Resource.ARN != "arn:aws:ec2:us-east-1:123837392027:subnet/subnet-01ed430875cff578d" {
		t.Errorf("subnet ARN %q", h.Resource.ARN)
	}
}

// stateCheck expects the value at path in revision rev (0-based) to
// print as want ("" for absent).
type stateCheck struct {
	rev  int
	path []string
	want string
}

func fmtValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return "?"
}
