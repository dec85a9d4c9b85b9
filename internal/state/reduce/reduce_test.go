package reduce

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/state"
)

// record builds a CloudTrail record shaped like the real ones (eventVersion
// 1.08, an IAMUser caller) around the given parts.
func record(t *testing.T, source, name, req, resp, errorCode string) *event.Event {
	t.Helper()
	if req == "" {
		req = "null"
	}
	if resp == "" {
		resp = "null"
	}
	ec := ""
	if errorCode != "" {
		ec = fmt.Sprintf(`"errorCode":%q,"errorMessage":"denied",`, errorCode)
	}
	raw := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123837392027:user/bert-jan","accountId":"123837392027","accessKeyId":"AKIAEXAMPLE","userName":"bert-jan"},"eventTime":"2023-07-10T12:10:01Z","eventSource":%q,"eventName":%q,"awsRegion":"us-east-1","sourceIPAddress":"84.86.1.2","userAgent":"aws-cli/2",%s"requestParameters":%s,"responseElements":%s,"requestID":"r1","eventID":"ev-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123837392027","eventCategory":"Management"}`,
		source, name, ec, req, resp)
	e, err := event.NewParser().Parse([]byte(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return e
}

// summary renders changes one a line: "op type/id path = value".
func summary(cs []state.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s %s/%s/%s", c.Op, c.Resource.Region, c.Resource.Type, c.Resource.ID)
		if len(c.Path) > 0 {
			fmt.Fprintf(&b, " %s", strings.Join(c.Path, "."))
		}
		if c.Value != nil {
			v, _ := json.Marshal(c.Value)
			fmt.Fprintf(&b, " = %s", v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

type reduceCase struct {
	name, source, event, req, resp, errorCode string
	want                                      string // summary; "" for no changes
	wantErr                                   bool
}

func runCases(t *testing.T, cases []reduceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := record(t, tc.source, tc.event, tc.req, tc.resp, tc.errorCode)
			cs, err := Reduce(e)
			if tc.wantErr {
				var se *ShapeError
				if !errors.As(err, &se) || se.EventID != "ev-1" || !errors.Is(err, ErrShape) {
					t.Fatalf("want a ShapeError naming ev-1, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(cs); strings.TrimSpace(got) != strings.TrimSpace(tc.want) {
				t.Fatalf("changes:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestReduceUnknownAndFailed(t *testing.T) {
	runCases(t, []reduceCase{
		{name: "unknown event", source: "ec2.amazonaws.com", event: "DescribeInstances", req: `{}`},
		{name: "failed call", source: "iam.amazonaws.com", event: "CreateUser", req: `{"userName":"x"}`, errorCode: "AccessDenied"},
		{name: "responseElements not an object", source: "iam.amazonaws.com", event: "CreateUser", req: `{"userName":"x"}`, resp: `[1]`, wantErr: true},
	})
}

// TestReduceOddShapes runs every reducer over records of odd shapes: each
// gives changes or a ShapeError naming the event, never a panic.
func TestReduceOddShapes(t *testing.T) {
	shapes := []struct{ req, resp string }{
		{"", ""},
		{`{}`, `{}`},
		{`{"instancesSet":[],"groupId":7,"bucketName":{"a":1},"userName":["x"],"ipPermissions":"x","resourcesSet":{"items":"x"},"tagSet":{"items":[1,null]}}`, `{"instancesSet":{"items":[null,{"instanceId":5}]},"groupId":3,"accessKey":"x","user":[]}`},
		{`{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":null,"fromPort":"x","ipRanges":{"items":[{"cidrIp":1}]}}]}}`, `""`},
		{`{"bucketName":"b","Tagging":{"TagSet":{"Tag":[{"Key":1}]}},"policy":"not json"}`, `null`},
	}
	for source, m := range reducers {
		for name := range m {
			for i, s := range shapes {
				e := record(t, source, name, s.req, s.resp, "")
				cs, err := Reduce(e)
				if err != nil && !errors.Is(err, ErrShape) {
					t.Errorf("%s shape %d: error %v is not a ShapeError", name, i, err)
				}
				if err == nil {
					for _, c := range cs {
						if c.Resource.ID == "" || c.Resource.Type == "" {
							t.Errorf("%s shape %d: change without resource: %+v", name, i, c)
						}
					}
				}
				_ = Targets(e)
			}
		}
	}
}
