package rule

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/rule/expr"
	"github.com/trailwarden/trailwarden/internal/state"
)

// TestCase is one inline test of a rule: an event and whether the rule must
// match it.
type TestCase struct {
	Name   string
	Match  bool
	Event  []byte // the completed record, JSON
	Params map[string]any
	// State is the resource state the case's expressions read through
	// state.resource and state.resources.
	State []TestResource
	File  string
	Line  int
	Col   int
}

var testKeys = map[string]bool{"name": true, "match": true, "event": true, "params": true, "state": true}

// TestResource is one resource of a test case's state: its type and id,
// account and region (defaults: the event's; "global" for IAM and S3
// buckets) and state document.
type TestResource struct {
	Type    string         `yaml:"type"`
	ID      string         `yaml:"id"`
	Account string         `yaml:"account"`
	Region  string         `yaml:"region"`
	State   map[string]any `yaml:"state"`
}

// fixtureState serves a test case's resources to expressions.
type fixtureState struct{ rs []TestResource }

func (f fixtureState) match(r *TestResource, account, region, typ string) bool {
	return r.Type == typ && (r.Account == "" || r.Account == account) && (r.Region == "" || r.Region == state.RegionOf(typ, region))
}

func (f fixtureState) Resource(account, region, typ, id string, _ time.Time) ([]byte, error) {
	for i := range f.rs {
		if r := &f.rs[i]; r.ID == id && f.match(r, account, region, typ) {
			return json.Marshal(r.State)
		}
	}
	return nil, nil
}

func (f fixtureState) Resources(account, region, typ string, _ time.Time) ([][]byte, error) {
	var out [][]byte
	for i := range f.rs {
		if r := &f.rs[i]; f.match(r, account, region, typ) {
			b, err := json.Marshal(r.State)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// testDefaults complete a test event; a case states only what its rule reads.
func testDefaults(ruleID string, idx int) map[string]any {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s#%d", ruleID, idx)))
	h := hex.EncodeToString(sum[:16])
	return map[string]any{
		"eventVersion":       "1.08",
		"eventTime":          "2024-03-05T14:00:00Z",
		"awsRegion":          "us-east-1",
		"recipientAccountId": "111122223333",
		"eventType":          "AwsApiCall",
		"eventID":            h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32],
		"requestID":          strings.ToUpper(h[:16]),
		"sourceIPAddress":    "198.51.100.7",
		"userAgent":          "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001", "arn": "arn:aws:iam::111122223333:user/alice",
			"accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice",
		},
	}
}

func (l *loader) tests(r *CELRule, n *yaml.Node) []TestCase {
	if n.Kind != yaml.SequenceNode {
		l.errAt(n, "tests must be a list")
		return nil
	}
	var out []TestCase
	for i, tn := range n.Content {
		if tn.Kind != yaml.MappingNode {
			l.errAt(tn, "a test case must be a mapping")
			continue
		}
		for j := 0; j < len(tn.Content); j += 2 {
			if k := tn.Content[j]; !testKeys[k.Value] {
				l.errAt(k, "unknown key %q in test case (want name, match, event, params, state)", k.Value)
			}
		}
		tc := TestCase{File: l.name, Line: tn.Line, Col: tn.Column}
		if v := mapGet(tn, "name"); v != nil {
			tc.Name = v.Value
		} else {
			tc.Name = fmt.Sprintf("case %d", i+1)
		}
		mn := mapGet(tn, "match")
		if mn == nil || mn.Decode(&tc.Match) != nil {
			l.errAt(nodeOr(mn, tn), "test case %q needs match: true or false", tc.Name)
			continue
		}
		if pn := mapGet(tn, "params"); pn != nil {
			if err := pn.Decode(&tc.Params); err != nil {
				l.errAt(pn, "test case params: %v", err)
				continue
			}
			for k := range tc.Params {
				if _, ok := r.defaults[k]; !ok {
					l.errAt(pn, "test case %q overrides parameter %q the rule does not declare", tc.Name, k)
				}
			}
		}
		if sn := mapGet(tn, "state"); sn != nil {
			if err := sn.Decode(&tc.State); err != nil {
				l.errAt(sn, "test case state: want a list of {type, id, account, region, state}: %v", err)
				continue
			}
			for _, r := range tc.State {
				if r.Type == "" || r.ID == "" {
					l.errAt(sn, "test case %q: every state resource needs a type and an id", tc.Name)
				}
			}
		}
		en := mapGet(tn, "event")
		if en == nil {
			l.errAt(tn, "test case %q has no event", tc.Name)
			continue
		}
		if en.Kind == yaml.AliasNode && en.Alias != nil {
			en = en.Alias // a case reusing another's event (YAML anchor)
		}
		var ev map[string]any
		switch en.Kind {
		case yaml.MappingNode:
			if err := en.Decode(&ev); err != nil {
				l.errAt(en, "test event: %v", err)
				continue
			}
		case yaml.ScalarNode:
			if err := json.Unmarshal([]byte(en.Value), &ev); err != nil {
				l.errAt(en, "test event is not a JSON object: %v", err)
				continue
			}
		default:
			l.errAt(en, "test event must be a mapping or a JSON string")
			continue
		}
		full := testDefaults(r.meta.ID, i)
		maps.Copy(full, ev)
		b, err := json.Marshal(full)
		if err != nil {
			l.errAt(en, "test event: %v", err)
			continue
		}
		tc.Event = b
		out = append(out, tc)
	}
	return out
}

// TestResult is the outcome of one test case.
type TestResult struct {
	Rule *CELRule
	Case *TestCase
	Pass bool
	Got  bool
	Err  error
	// Summary is the rendered summary of a matching case.
	Summary string
}

// Error describes a failed case with its position.
func (t *TestResult) Error() error {
	want := "match"
	if !t.Case.Match {
		want = "no match"
	}
	msg := fmt.Sprintf("rule %s, test %q: want %s, got %s", t.Rule.meta.ID, t.Case.Name, want, map[bool]string{true: "match", false: "no match"}[t.Got])
	if t.Err != nil {
		msg = fmt.Sprintf("rule %s, test %q: %v", t.Rule.meta.ID, t.Case.Name, t.Err)
	}
	return &Error{File: t.Case.File, Line: t.Case.Line, Col: t.Case.Col, Msg: msg}
}

// RunTests runs the rule's inline test cases.
func (r *CELRule) RunTests() []TestResult {
	out := make([]TestResult, 0, len(r.tests))
	p := event.NewParser()
	for i := range r.tests {
		tc := &r.tests[i]
		res := TestResult{Rule: r, Case: tc}
		e, err := p.Parse(tc.Event)
		if err != nil {
			res.Err = fmt.Errorf("test event is not a usable CloudTrail record: %w", err)
			out = append(out, res)
			continue
		}
		// Inline tests describe the rule as written: they run with its
		// declared parameters (and the case's own), not with the config's
		// overrides, which would otherwise make them fail in deployments that
		// tune a parameter.
		merged := maps.Clone(r.defaults)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, tc.Params)
		params := expr.Params(merged)
		var s Scratch
		s.act.SetState(fixtureState{tc.State})
		s.Begin(e)
		if r.meta.Match.Matches(e.Source, e.Name) {
			res.Got, res.Err = r.matchEvent(e, &s, params)
		}
		if res.Got && res.Err == nil {
			f, err := r.build(e, &s, r.findingID(e, &s))
			if err != nil {
				res.Err = err
			} else {
				res.Summary = f.Summary
				for _, part := range r.summary {
					if part.prg != nil {
						if v, err := part.prg.EvalString(&s.act); err != nil || v == "" {
							res.Err = fmt.Errorf("summary part %s does not resolve on this event", part.text)
						}
					}
				}
			}
		}
		res.Pass = res.Err == nil && res.Got == tc.Match
		out = append(out, res)
	}
	return out
}

// Coverage reports what a rule's tests lack: a positive or a negative case.
func (r *CELRule) Coverage() (hasPositive, hasNegative bool) {
	for _, tc := range r.tests {
		if tc.Match {
			hasPositive = true
		} else {
			hasNegative = true
		}
	}
	return
}
