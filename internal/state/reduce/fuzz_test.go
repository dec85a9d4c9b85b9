package reduce

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/trailwarden/trailwarden/internal/event"
)

// eventNames lists every (source, name) with a reducer, in a stable order.
func eventNames() [][2]string {
	var out [][2]string
	for src, m := range reducers {
		for name := range m {
			out = append(out, [2]string{src, name})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0]+a[1], b[0]+b[1]) })
	return out
}

// FuzzReduce feeds every reducer arbitrary request and response objects: it
// must answer changes or a ShapeError, never panic (Reduce turns a panic
// into a ShapeError saying so, which this target reports as a failure).
func FuzzReduce(f *testing.F) {
	names := eventNames()
	for i := range names {
		f.Add(uint16(i), `{}`, `null`)
	}
	f.Add(uint16(0), `{"instancesSet":{"items":[{"instanceId":"i-1"}]}}`, `{"instancesSet":{"items":[{"instanceId":7}]}}`)
	f.Add(uint16(1), `{"groupId":["x"],"ipPermissions":{"items":"x"}}`, `{"groupId":{}}`)
	f.Add(uint16(2), `{"userName":"u","policyDocument":"%7B"}`, `{"user":{"arn":1}}`)
	p := event.NewParser()
	f.Fuzz(func(t *testing.T, n uint16, req, resp string) {
		sn := names[int(n)%len(names)]
		raw := fmt.Sprintf(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/a","userName":"a"},"eventTime":"2023-07-10T12:10:01Z","eventSource":%q,"eventName":%q,"awsRegion":"us-east-1","requestParameters":%s,"responseElements":%s,"eventID":"ev-1","recipientAccountId":"123456789012"}`,
			sn[0], sn[1], req, resp)
		e, err := p.Parse([]byte(raw))
		if err != nil {
			return // not a record: the decoder's business
		}
		_, err = Reduce(e)
		var se *ShapeError
		if err != nil && (!errors.As(err, &se) || strings.Contains(se.Reason, "panicked")) {
			t.Fatalf("%s %s: %v", sn[0], sn[1], err)
		}
		_ = Targets(e)
	})
}
