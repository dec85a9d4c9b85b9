// Package rule holds trailwarden's detections: the Rule interface every rule
// kind implements, the CEL rule declared in YAML, its loader (every problem
// reported as file:line:col) and the runner of the inline test cases.
package rule

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/trailwarden/trailwarden/internal/event"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/rule/expr"
)

// Rule is one compiled detection. Its dependencies are injected when it is
// compiled, not passed on every call. Eval is safe for concurrent use.
type Rule interface {
	Meta() *Meta
	// Eval returns the findings e raises (usually none). The Scratch belongs
	// to the calling goroutine and is reused across calls; it must have been
	// bound to e with s.Begin(e) (once per event, for all its rules).
	Eval(ctx context.Context, e *event.Event, s *Scratch) ([]*finding.Finding, error)
}

// Scratch is per-goroutine reusable evaluation state. Begin must be called
// with each new event before the rules routed to it are evaluated.
type Scratch struct {
	act expr.Activation
	ev  *event.Event
	// idType caches userIdentity.type of ev.
	idType    string
	hasIDType bool
	// recent holds finding ids this goroutine emitted lately, so an event
	// whose dedup key was already reported does not build a finding again.
	recent map[string]struct{}
}

// maxRecent bounds Scratch.recent; it is cleared when full.
const maxRecent = 1 << 14

// SetState binds the resource state store expressions read (nil: none).
func (s *Scratch) SetState(r expr.StateReader) { s.act.SetState(r) }

// Begin binds the next event.
func (s *Scratch) Begin(e *event.Event) {
	s.ev = e
	s.hasIDType = false
	s.act.Reset(e, nil)
}

// identityType returns userIdentity.type of the bound event.
func (s *Scratch) identityType() string {
	if !s.hasIDType {
		s.idType, s.hasIDType = s.ev.IdentityType(), true
	}
	return s.idType
}

// emitted records id and reports whether it was emitted before.
func (s *Scratch) emitted(id string) bool {
	if s.recent == nil {
		s.recent = make(map[string]struct{})
	}
	if _, ok := s.recent[id]; ok {
		return true
	}
	if len(s.recent) >= maxRecent {
		clear(s.recent)
	}
	s.recent[id] = struct{}{}
	return false
}

// Meta describes a rule: what it is, what it subscribes to, where it came from.
type Meta struct {
	ID          string
	Title       string
	Severity    finding.Severity
	Description string
	References  []string
	Runbook     string
	Tags        []string
	Match       Match
	Outcome     Outcome
	// File and Line locate the rule's definition.
	File string
	Line int
}

// Match is a rule's subscription: the event sources and names it wants.
// Patterns may use '*' and '?'. An empty list matches everything.
type Match struct {
	Sources []string
	Names   []string
	// IdentityTypes, when set, keeps only events whose userIdentity.type
	// matches one of them: a cheap filter applied before the condition.
	IdentityTypes []string
	// WritesOnly drops records that say readOnly: true (records without a
	// readOnly field are kept): a cheap filter for rules about changes.
	WritesOnly bool
	// Contains, when set, keeps only records whose raw JSON text contains
	// one of these strings: a necessary condition checked before the
	// condition, at memory speed.
	Contains []Needle
}

// Needle is a string searched in raw records. The search jumps between
// occurrences of the needle's rarest byte in CloudTrail text (by byteRank),
// which is far faster than starting from a quote or a common letter.
type Needle struct {
	s    []byte
	rare int
}

// byteRarity lists printable ASCII from the rarest to the most frequent in
// CloudTrail records (measured on the shared real corpus); bytes outside it
// (non-ASCII) count as rarest.
const byteRarity = "#<>@^`|~?&$!'*=%\\Y[]W_;XJ+LOG()BKjUkZxqzFQVMPHRN{}hEDTCy56g bSfw/49v8IplA7.03mud1c,2io-n:strae\""

var byteRank = func() (r [256]int) {
	for i := range r {
		r[i] = -1
	}
	for i := 0; i < len(byteRarity); i++ {
		r[byteRarity[i]] = i
	}
	return r
}()

// NewNeedle prepares s for searching.
func NewNeedle(s string) Needle {
	n := Needle{s: []byte(s)}
	best := len(byteRarity) + 1
	for i := 0; i < len(s); i++ {
		if r := byteRank[s[i]]; r < best {
			best, n.rare = r, i
		}
	}
	return n
}

// In reports whether h contains the needle.
func (n Needle) In(h []byte) bool {
	if len(n.s) == 0 {
		return true
	}
	c := n.s[n.rare]
	for i := n.rare; i < len(h); {
		j := bytes.IndexByte(h[i:], c)
		if j < 0 {
			return false
		}
		if pos := i + j - n.rare; pos+len(n.s) <= len(h) && bytes.Equal(h[pos:pos+len(n.s)], n.s) {
			return true
		}
		i += j + 1
	}
	return false
}

// containsAny reports whether raw contains one of subs.
func containsAny(raw []byte, subs []Needle) bool {
	for _, s := range subs {
		if s.In(raw) {
			return true
		}
	}
	return false
}

// Matches reports whether an event with this source and name is subscribed.
// Change events (event.ChangeSource) go only to rules that name their
// source exactly, never to patterns such as "*".
func (m *Match) Matches(source, name string) bool {
	if source == event.ChangeSource {
		return slices.Contains(m.Sources, source) && anyGlob(m.Names, name)
	}
	return anyGlob(m.Sources, source) && anyGlob(m.Names, name)
}

func anyGlob(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if p == s || (strings.ContainsAny(p, "*?") && expr.Glob(p, s)) {
			return true
		}
	}
	return false
}

// Outcome filters events by whether the call succeeded.
type Outcome uint8

// The outcomes a rule can require.
const (
	AnyOutcome Outcome = iota
	Success            // no errorCode
	Failure            // an errorCode
)

// ParseOutcome parses "any", "success" or "failure".
func ParseOutcome(s string) (Outcome, error) {
	switch s {
	case "", "any":
		return AnyOutcome, nil
	case "success":
		return Success, nil
	case "failure":
		return Failure, nil
	}
	return AnyOutcome, fmt.Errorf("unknown outcome %q (want any, success or failure)", s)
}

// Accepts reports whether e passes the outcome filter.
func (o Outcome) Accepts(e *event.Event) bool {
	switch o {
	case Success:
		return !e.Failed()
	case Failure:
		return e.Failed()
	}
	return true
}
