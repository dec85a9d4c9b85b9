// Package route sends each event only to the rules subscribed to it. The
// subscription of every (eventSource, eventName) pair is resolved once, on
// first sight, and cached, so routing an event costs one map lookup whatever
// the number of rules that do not match it.
package route

import (
	"sync"
	"sync/atomic"

	"github.com/trailwarden/trailwarden/internal/rule"
)

// MaxCached bounds the number of distinct (source, name) pairs cached; pairs
// beyond it (garbage or hostile input) are resolved on every call instead.
const MaxCached = 1 << 16

// maxKeyLen bounds the length of a cached source or name.
const maxKeyLen = 256

type key struct{ source, name string }

// Router routes events to rules. It is safe for concurrent use.
type Router struct {
	rules  []rule.Rule
	cache  sync.Map // key → []rule.Rule
	cached atomic.Int64
}

// New returns a Router over rules.
func New(rules []rule.Rule) *Router { return &Router{rules: rules} }

// Route returns the rules subscribed to events with this source and name.
// The returned slice belongs to the router and must not be modified.
func (r *Router) Route(source, name string) []rule.Rule {
	k := key{source, name}
	if v, ok := r.cache.Load(k); ok {
		return v.([]rule.Rule)
	}
	var out []rule.Rule
	for _, ru := range r.rules {
		m := &ru.Meta().Match
		if m.Matches(source, name) {
			out = append(out, ru)
		}
	}
	if len(source) <= maxKeyLen && len(name) <= maxKeyLen && r.cached.Load() < MaxCached {
		if _, loaded := r.cache.LoadOrStore(k, out); !loaded {
			r.cached.Add(1)
		}
	}
	return out
}

// Rules returns every rule the router knows.
func (r *Router) Rules() []rule.Rule { return r.rules }
