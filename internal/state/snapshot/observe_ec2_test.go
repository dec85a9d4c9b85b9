package snapshot

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/reduce"
)

// TestRuleKeysMatchReducer checks that a rule read from
// describe-security-groups gets the key and value the securitygroup
// reducer gives the same rule authorised by a CloudTrail event.
func TestRuleKeysMatchReducer(t *testing.T) {
	tests := []struct {
		name string
		perm string // one IpPermissions item, as describe-security-groups prints it
		req  string // the same rule in AuthorizeSecurityGroupIngress's requestParameters.ipPermissions.items
	}{
		{name: "tcp from a CIDR with a description",
			perm: `{"FromPort":443,"ToPort":443,"IpProtocol":"tcp","IpRanges":[{"CidrIp":"0.0.0.0/0","Description":"HTTPS"}],"Ipv6Ranges":[],"PrefixListIds":[],"UserIdGroupPairs":[]}`,
			req:  `{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0","description":"HTTPS"}]},"ipv6Ranges":{},"prefixListIds":{}}`},
		{name: "IPv6",
			perm: `{"FromPort":80,"ToPort":80,"IpProtocol":"tcp","IpRanges":[],"Ipv6Ranges":[{"CidrIpv6":"::/0"}],"PrefixListIds":[],"UserIdGroupPairs":[]}`,
			req:  `{"ipProtocol":"tcp","fromPort":80,"toPort":80,"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}}`},
		{name: "from a group",
			perm: `{"FromPort":5432,"ToPort":5432,"IpProtocol":"tcp","UserIdGroupPairs":[{"GroupId":"sg-app","UserId":"111122223333","Description":"app"}]}`,
			req:  `{"ipProtocol":"6","fromPort":"5432","toPort":"5432","groups":{"items":[{"groupId":"sg-app","description":"app"}]}}`},
		{name: "from a prefix list",
			perm: `{"FromPort":443,"ToPort":443,"IpProtocol":"tcp","PrefixListIds":[{"PrefixListId":"pl-63a5400a"}]}`,
			req:  `{"ipProtocol":"tcp","fromPort":443,"toPort":443,"prefixListIds":{"items":[{"prefixListId":"pl-63a5400a"}]}}`},
		{name: "all traffic",
			perm: `{"IpProtocol":"-1","IpRanges":[{"CidrIp":"10.0.0.0/8"}]}`,
			req:  `{"ipProtocol":"-1","fromPort":0,"toPort":0,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}`},
		{name: "all ICMP",
			perm: `{"FromPort":-1,"ToPort":-1,"IpProtocol":"icmp","IpRanges":[{"CidrIp":"10.0.0.0/8"}]}`,
			req:  `{"ipProtocol":"icmp","fromPort":-1,"toPort":-1,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := Document{Kind: EC2SecurityGroups, Account: "111122223333", Region: "us-east-1",
				Data: json.RawMessage(`{"SecurityGroups":[{"GroupId":"sg-1","GroupName":"g","IpPermissions":[` + tc.perm + `]}]}`)}
			o, err := Observe(doc)
			if err != nil {
				t.Fatal(err)
			}
			got := Canonical(o.Resources[0].State["ingress"])

			raw := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/ops","accountId":"111122223333","userName":"ops"},"eventTime":"2024-03-04T09:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2","requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[%s]}},"responseElements":{"_return":true},"requestID":"r1","eventID":"ev-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`, tc.req)
			e, err := event.NewParser().Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			cs, err := reduce.Reduce(e)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{}
			for _, c := range cs {
				if c.Op != state.OpAdd || len(c.Path) != 2 || c.Path[0] != "ingress" {
					t.Fatalf("unexpected change %+v", c)
				}
				want[c.Path[1]] = c.Value
			}
			if diff := cmp.Diff(Canonical(want), got); diff != "" {
				t.Errorf("observed rules differ from the reducer's (-reducer +observed):\n%s", diff)
			}
		})
	}
}
