// Package awsfake is an in-process fake of the AWS APIs that package live
// calls, for tests, as net/http/httptest is for HTTP: EC2's query
// protocol, IAM's and STS's query protocol with XML answers, S3's REST XML
// (path-style) and Lambda's REST JSON, on one httptest server. Point the
// real SDK clients at Server.URL (aws.Config.BaseEndpoint, or the
// AWS_ENDPOINT_URL environment variable) with path-style S3 addressing.
//
// The fake reads the region, service and access key from each request's
// SigV4 Authorization header, records every request, and can throttle or
// fail chosen operations. Accounts are derived from the access key: BaseKey
// is account BaseAccount; assuming the role
// "arn:aws:iam::<id>:role/..." yields the session key "ASIA<id>", which
// belongs to account <id>. Any other key is refused (InvalidClientTokenId).
//
// # What it answers
//
// Every account and region holds the same resources, named after the
// region (r) and the account (a):
//
//   - instances i-r-1 (with an instance profile) and i-r-2, both running,
//     t3.micro, image ami-1, in vpc-r and security group sg-r-1, on two
//     DescribeInstances pages;
//   - security groups sg-r-1 (web-1) and sg-r-2 (web-2), each allowing
//     tcp 22 from 0.0.0.0/0 and all traffic out, on two pages;
//   - the default VPC vpc-r;
//   - IAM user alice, group admins, role web and the managed policy admin,
//     on two GetAccountAuthorizationDetails pages;
//   - buckets logs-a and broken-a (us-east-1) and site-a (eu-west-1), on two
//     ListBuckets pages, each with a public policy, a public-read ACL, a
//     public access block and KMS encryption;
//   - Lambda functions fn-r-1 and fn-r-2, on two pages.
package awsfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// The base credentials: BaseKey signs as account BaseAccount. The fake
// does not check signatures, so any secret does.
const (
	BaseKey     = "AKIDBASE"
	BaseSecret  = "base-secret"
	BaseAccount = "111111111111"
)

// Request is one HTTP request as the fake understood it.
type Request struct {
	Service   string // "ec2", "iam", "sts", "s3", "lambda"
	Op        string // "DescribeInstances"; "" when the fake does not know it
	Region    string // from the signature
	AccessKey string // from the signature
	Bucket    string // S3 only
	Params    url.Values
}

// Server is the fake, running. Its methods are safe from any goroutine.
type Server struct {
	// URL is the base URL of the fake ("http://127.0.0.1:port").
	URL string

	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	requests []Request
	// throttle gives, per operation ("ec2:DescribeVpcs"), how many
	// throttling answers each account, region and bucket gets before the
	// real answer; throttled counts them.
	throttle  map[string]int
	throttled map[string]int
	// inflight and maxInflight count concurrent requests.
	inflight, maxInflight int
	// fail gives an error code to answer, always, per
	// "service:Operation@region" or "s3:Operation/bucket".
	fail map[string]string
}

// New starts a fake and stops it when the test ends. A request the fake
// does not know fails the test.
func New(t testing.TB) *Server {
	s := &Server{t: t, throttle: map[string]int{}, throttled: map[string]int{}, fail: map[string]string{}}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Client returns an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Throttle makes the first n requests of op ("service:Operation", e.g.
// "ec2:DescribeVpcs") by each account, region and bucket get the service's
// throttling error (RequestLimitExceeded, SlowDown, TooManyRequestsException
// or Throttling) before the real answer.
func (s *Server) Throttle(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[op] = n
}

// Fail makes every request matching key get the error code: key is
// "service:Operation@region" ("ec2:DescribeInstances@eu-west-1") or, for a
// bucket call, "s3:Operation/bucket" ("s3:GetBucketAcl/broken-111111111111").
// Codes starting with NoSuch or ending with NotFoundError are answered with
// 404, the others with 403.
func (s *Server) Fail(key, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[key] = code
}

// Calls returns the recorded requests of one operation, in arrival order.
func (s *Server) Calls(service, op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Service == service && r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// Requests returns every recorded request, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// MaxInflight returns the most requests that were in flight at once.
func (s *Server) MaxInflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInflight
}

var credentialRE = regexp.MustCompile(`Credential=([^/]+)/[0-9]+/([^/]+)/([^/]+)/aws4_request`)

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := credentialRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		http.Error(w, "unsigned request", http.StatusForbidden)
		return
	}
	req := Request{AccessKey: m[1], Region: m[2], Service: m[3]}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Params = r.Form
	switch req.Service {
	case "ec2", "iam", "sts":
		req.Op = r.PostForm.Get("Action")
	case "s3":
		req.Bucket, req.Op = s3Op(r)
	case "lambda":
		if r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/2015-03-31/functions" {
			req.Op = "ListFunctions"
		}
	}
	account := accountOf(req.AccessKey)

	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.inflight++
	s.maxInflight = max(s.maxInflight, s.inflight)
	key := req.Service + ":" + req.Op
	who := strings.Join([]string{key, req.AccessKey, req.Region, req.Bucket, req.Params.Get("RoleArn")}, " ")
	throttled := s.throttled[who] < s.throttle[key]
	if throttled {
		s.throttled[who]++
	}
	code := s.fail[key+"@"+req.Region]
	if req.Bucket != "" {
		code = s.fail[key+"/"+req.Bucket]
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inflight--
		s.mu.Unlock()
	}()

	switch {
	case account == "":
		writeError(w, req.Service, http.StatusForbidden, "InvalidClientTokenId")
	case throttled:
		switch req.Service {
		case "ec2":
			writeError(w, req.Service, http.StatusServiceUnavailable, "RequestLimitExceeded")
		case "s3":
			writeError(w, req.Service, http.StatusServiceUnavailable, "SlowDown")
		case "lambda":
			writeError(w, req.Service, http.StatusTooManyRequests, "TooManyRequestsException")
		default:
			writeError(w, req.Service, http.StatusBadRequest, "Throttling")
		}
	case code != "":
		status := http.StatusForbidden
		if strings.HasPrefix(code, "NoSuch") || strings.HasSuffix(code, "NotFoundError") {
			status = http.StatusNotFound
		}
		writeError(w, req.Service, status, code)
	default:
		s.answer(w, req, account)
	}
}

// accountOf maps an access key to its account id ("" if unknown).
func accountOf(key string) string {
	if key == BaseKey {
		return BaseAccount
	}
	if id, ok := strings.CutPrefix(key, "ASIA"); ok && len(id) == 12 {
		return id
	}
	return ""
}

// s3Op names the S3 operation of a path-style request.
func s3Op(r *http.Request) (bucket, op string) {
	bucket = strings.Trim(r.URL.Path, "/")
	q := r.URL.Query()
	switch {
	case bucket == "" && r.Method == http.MethodGet:
		return "", "ListBuckets"
	case q.Has("policy"):
		return bucket, "GetBucketPolicy"
	case q.Has("acl"):
		return bucket, "GetBucketAcl"
	case q.Has("publicAccessBlock"):
		return bucket, "GetPublicAccessBlock"
	case q.Has("encryption"):
		return bucket, "GetBucketEncryption"
	}
	return bucket, ""
}

// writeError answers an API error in the service's protocol.
func writeError(w http.ResponseWriter, service string, status int, code string) {
	msg := "fake " + code
	switch service {
	case "ec2":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-1</RequestID></Response>`, code, msg)
	case "s3":
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>%s</Code><Message>%s</Message><RequestId>req-1</RequestId></Error>`, code, msg)
	case "lambda":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"Type":"User","message":%q}`, msg)
	default: // iam, sts
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, code, msg)
	}
}

// answer writes the real answer of r for account.
func (s *Server) answer(w http.ResponseWriter, r Request, account string) {
	body, ok := "", true
	switch r.Service + ":" + r.Op {
	case "sts:AssumeRole":
		body = assumeRoleXML(r.Params.Get("RoleArn"))
	case "sts:GetCallerIdentity":
		body = callerIdentityXML(account)
	case "ec2:DescribeInstances":
		body = instancesXML(account, r.Region, r.Params.Get("NextToken"))
	case "ec2:DescribeSecurityGroups":
		body = securityGroupsXML(account, r.Region, r.Params.Get("NextToken"))
	case "ec2:DescribeVpcs":
		body = vpcsXML(account, r.Region)
	case "iam:GetAccountAuthorizationDetails":
		body = authorizationXML(account, r.Params.Get("Marker"))
	case "s3:ListBuckets":
		body = bucketsXML(account, r.Params.Get("continuation-token"))
	case "s3:GetBucketPolicy":
		body = BucketPolicy(r.Bucket)
	case "s3:GetBucketAcl":
		body = bucketACLXML(account)
	case "s3:GetPublicAccessBlock":
		body = publicAccessBlockXML
	case "s3:GetBucketEncryption":
		body = encryptionXML(account)
	case "lambda:ListFunctions":
		body = functionsJSON(account, r.Region, r.Params.Get("Marker"))
		w.Header().Set("Content-Type", "application/json")
	default:
		ok = false
	}
	if !ok {
		s.t.Errorf("awsfake: unexpected request %+v", r)
		http.Error(w, "unexpected request", http.StatusNotImplemented)
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/xml")
	}
	fmt.Fprint(w, body)
}
