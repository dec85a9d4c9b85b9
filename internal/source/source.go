// Package source finds deliveries: the units trailwarden reads, each with an
// origin used in every message about it. This package holds the contract and
// the local sources (files, folders, stdin); remote ones (S3, SQS) implement
// the same Source interface in their own packages.
package source

import (
	"context"
	"io"
	"regexp"
	"strings"
	"time"
)

// Kind tells what a delivery holds.
type Kind uint8

// The kinds of delivery.
const (
	LogFile Kind = iota // CloudTrail events (any format the decoder knows)
	Digest              // a CloudTrail-Digest file: hashes, no events
	Insight             // a CloudTrail-Insight file: anomalies, not API calls
)

func (k Kind) String() string {
	switch k {
	case Digest:
		return "digest"
	case Insight:
		return "insight"
	}
	return "log"
}

// Delivery is one unit of input: a file, an object, a message.
type Delivery struct {
	// Origin names the delivery in every message: a path, s3://bucket/key, ...
	Origin string
	// Key identifies the delivery across runs whatever the way its origin
	// was written (an absolute path, an object key): checkpoints use it.
	// Empty for deliveries that cannot be read again (stdin).
	Key  string
	Kind Kind
	// Layout is set when the origin follows the AWS key layout.
	Layout *Layout
	// Size and ModTime identify the delivery's version (0 / zero when unknown).
	Size    int64
	ModTime time.Time
	// Open returns the body. It may be called once.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// Source yields deliveries. Next blocks until one is ready or ctx is done,
// and returns io.EOF when a finite source is exhausted.
type Source interface {
	Next(ctx context.Context) (*Delivery, error)
	Close(ctx context.Context) error
}

// Layout is what the AWS key layout
// AWSLogs/[o-orgid/]<account>/CloudTrail[-Digest|-Insight]/<region>/YYYY/MM/DD/<file>
// says about a file.
type Layout struct {
	OrgID   string
	Account string
	Region  string
	Day     time.Time
	Kind    Kind
}

var layoutRE = regexp.MustCompile(`(?:^|/)AWSLogs/(?:(o-[a-z0-9]{10,32})/)?(\d{12})/(CloudTrail|CloudTrail-Digest|CloudTrail-Insight)/([a-z]{2}(?:-[a-z]+)+-\d)/(\d{4})/(\d{2})/(\d{2})/[^/]+$`)

// ParseLayout recognises the AWS key layout in a path or key ('/'-separated).
func ParseLayout(p string) (*Layout, bool) {
	m := layoutRE.FindStringSubmatch(p)
	if m == nil {
		return nil, false
	}
	day, err := time.Parse("2006/01/02", m[5]+"/"+m[6]+"/"+m[7])
	if err != nil {
		return nil, false
	}
	l := &Layout{OrgID: m[1], Account: m[2], Region: m[4], Day: day}
	switch m[3] {
	case "CloudTrail-Digest":
		l.Kind = Digest
	case "CloudTrail-Insight":
		l.Kind = Insight
	}
	return l, true
}

// KindOf classifies a path: by its layout when it has one, else by name.
func KindOf(p string) Kind {
	if l, ok := ParseLayout(p); ok {
		return l.Kind
	}
	switch {
	case strings.Contains(p, "CloudTrail-Digest"):
		return Digest
	case strings.Contains(p, "CloudTrail-Insight"):
		return Insight
	}
	return LogFile
}
