package reduce

import (
	"fmt"
	"testing"

	"github.com/trailwarden/trailwarden/internal/event"
)

// BenchmarkReduceNetwork reduces a mix of network, snapshot and image
// records, camelCase and XML-bodied, already parsed.
func BenchmarkReduceNetwork(b *testing.B) {
	evs := []*event.Event{
		benchRecord(b, "CreateVpc", `{"cidrBlock":"10.0.0.0/16","instanceTenancy":"default"}`,
			`{"vpc":{"vpcId":"vpc-1","state":"pending","cidrBlock":"10.0.0.0/16","cidrBlockAssociationSet":{"items":[{"cidrBlock":"10.0.0.0/16","associationId":"vpc-cidr-assoc-1"}]},"dhcpOptionsId":"dopt-1","instanceTenancy":"default","tagSet":{"items":[{"key":"Name","value":"x"}]},"isDefault":false}}`),
		benchRecord(b, "CreateRouteTable", `{"vpcId":"vpc-1"}`,
			`{"routeTable":{"routeTableId":"rtb-1","vpcId":"vpc-1","routeSet":{"items":[{"destinationCidrBlock":"10.0.0.0/16","gatewayId":"local","state":"active"}]},"associationSet":{},"tagSet":{}}}`),
		benchRecord(b, "CreateRoute", `{"routeTableId":"rtb-1","destinationCidrBlock":"0.0.0.0/0","gatewayId":"igw-1"}`, `{"_return":true}`),
		benchRecord(b, "CreateNatGateway", `{"CreateNatGatewayRequest":{"AllocationId":"eipalloc-1","SubnetId":"subnet-1"}}`,
			`{"CreateNatGatewayResponse":{"natGateway":{"subnetId":"subnet-1","natGatewayAddressSet":{"item":{"allocationId":"eipalloc-1"}},"vpcId":"vpc-1","natGatewayId":"nat-1","state":"pending"}}}`),
		benchRecord(b, "ModifySnapshotAttribute", `{"snapshotId":"snap-1","createVolumePermission":{"add":{"items":[{"group":"all"}]}},"attributeType":"CREATE_VOLUME_PERMISSION"}`, `{"_return":true}`),
		benchRecord(b, "CreateNetworkAclEntry", `{"networkAclId":"acl-1","ruleNumber":100,"egress":false,"ruleAction":"allow","icmpTypeCode":{},"portRange":{"from":22,"to":22},"aclProtocol":"6","cidrBlock":"0.0.0.0/0"}`, `{"_return":true}`),
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for _, e := range evs {
			if _, err := Reduce(e); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// benchRecord parses a minimal EC2 CloudTrail record around req and resp.
func benchRecord(b *testing.B, name, req, resp string) *event.Event {
	b.Helper()
	raw := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123837392027:user/u","accountId":"123837392027"},"eventTime":"2023-07-10T12:10:01Z","eventSource":"ec2.amazonaws.com","eventName":%q,"awsRegion":"us-east-1","requestParameters":%s,"responseElements":%s,"eventID":"ev-b","recipientAccountId":"123837392027"}`, name, req, resp)
	e, err := event.NewParser().Parse([]byte(raw))
	if err != nil {
		b.Fatalf("parse %s: %v", name, err)
	}
	return e
}
