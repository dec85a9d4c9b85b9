package live

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// CallError is the failure of one AWS call (all its attempts and pages). It
// names the call and where it was made, so that a denied permission or a
// missing role can be found from the message alone.
type CallError struct {
	Service   string // "ec2", "iam", "s3", "lambda", "sts"
	Operation string // "DescribeInstances", ...
	Account   string // "" when the account is not known yet (sts)
	Region    string // "" for a global call made without one
	Bucket    string // the bucket of a per-bucket S3 call
	Role      string // the role assumed for the account, if any
	Err       error
}

// Error reads like "ec2:DescribeInstances account 111122223333 region
// eu-west-1: <the SDK's error>".
func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Service + ":" + e.Operation)
	if e.Account != "" {
		b.WriteString(" account " + e.Account)
	}
	if e.Region != "" {
		b.WriteString(" region " + e.Region)
	}
	if e.Bucket != "" {
		b.WriteString(" bucket " + e.Bucket)
	}
	if e.Role != "" {
		b.WriteString(" role " + e.Role)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the SDK's error, so errors.As finds smithy.APIError.
func (e *CallError) Unwrap() error { return e.Err }

// PartialError lists the per-bucket S3 calls that failed while everything
// else was collected. Collect returns it together with the documents: the
// snapshot is complete except for those bucket settings, which a
// reconciler must treat as unknown (not as absent).
type PartialError struct {
	Errs []*CallError
}

// Error summarises the failed calls.
func (e *PartialError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%d per-bucket calls failed: %s", len(e.Errs), strings.Join(msgs, "; "))
}

// Unwrap returns every failed call's error.
func (e *PartialError) Unwrap() []error {
	errs := make([]error, len(e.Errs))
	for i, err := range e.Errs {
		errs[i] = err
	}
	return errs
}

// isCode reports whether err is an AWS API error with one of codes.
func isCode(err error, codes ...string) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	for _, c := range codes {
		if api.ErrorCode() == c {
			return true
		}
	}
	return false
}
