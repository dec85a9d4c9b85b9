package scan

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/coverage"
	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/store"
)

// MemStore is a Store that keeps nothing after the process: for one-off
// scans (--no-store). It still deduplicates findings within the run, and
// keeps the run's delivery coverage, so silences are found.
type MemStore struct {
	mu       sync.Mutex
	seen     map[string]bool
	files    map[string]memFile // by origin
	silences []coverage.Silence
}

// memFile is a recorded file and when it was recorded.
type memFile struct {
	store.FileCoverage
	at time.Time
}

var (
	_ Store         = (*MemStore)(nil)
	_ CoverageStore = (*MemStore)(nil)
)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{seen: map[string]bool{}, files: map[string]memFile{}}
}

// AddFindings returns the findings not seen before in this process.
func (m *MemStore) AddFindings(_ context.Context, fs []*finding.Finding) ([]*finding.Finding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addFindings(fs), nil
}

func (m *MemStore) addFindings(fs []*finding.Finding) []*finding.Finding {
	var fresh []*finding.Finding
	for _, f := range fs {
		if !m.seen[f.ID] {
			m.seen[f.ID] = true
			fresh = append(fresh, f)
		}
	}
	return fresh
}

// MarkDelivered does nothing: there is no outbox to survive a crash.
func (m *MemStore) MarkDelivered(context.Context, []string) error { return nil }

// Pending returns nothing.
func (m *MemStore) Pending(context.Context, int) ([]*finding.Finding, error) { return nil, nil }

// Done reports false: nothing was read before.
func (m *MemStore) Done(context.Context, string, store.Stamp) (bool, error) { return false, nil }

// Checkpoint does nothing.
func (m *MemStore) Checkpoint(context.Context, string, store.Stamp, int) error { return nil }

// Acknowledge records the coverage of acks; it keeps no checkpoints.
func (m *MemStore) Acknowledge(ctx context.Context, acks []store.Ack) error {
	for _, a := range acks {
		if a.Coverage != nil {
			if err := m.RecordFile(ctx, *a.Coverage); err != nil {
				return err
			}
		}
	}
	return nil
}

// RecordFile keeps fc, replacing what was kept of its origin.
func (m *MemStore) RecordFile(_ context.Context, fc store.FileCoverage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[fc.Origin] = memFile{FileCoverage: fc, at: time.Now().UTC()}
	return nil
}

// Coverage sums the recorded files up per account × region.
func (m *MemStore) Coverage(context.Context) ([]coverage.Cell, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cells := map[coverage.Key]*coverage.Cell{}
	for _, f := range m.files {
		k := coverage.Key{Account: f.Account, Region: f.Region}
		c := cells[k]
		if c == nil {
			c = &coverage.Cell{Key: k}
			cells[k] = c
		}
		c.Files++
		c.Events += int64(f.Events)
		if !f.Oldest.IsZero() && (c.First.IsZero() || f.Oldest.Before(c.First)) {
			c.First = f.Oldest
		}
		if f.Newest.After(c.Last) {
			c.Last = f.Newest
		}
		if f.at.After(c.LastFile) {
			c.LastFile = f.at
		}
	}
	out := make([]coverage.Cell, 0, len(cells))
	for _, c := range cells {
		out = append(out, *c)
	}
	return out, nil
}

// FileSpans returns the spans of the files of k that held events.
func (m *MemStore) FileSpans(_ context.Context, k coverage.Key) ([]coverage.Span, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []coverage.Span
	for _, f := range m.files {
		if f.Account == k.Account && f.Region == k.Region && !f.Oldest.IsZero() {
			out = append(out, coverage.Span{Start: f.Oldest, End: f.Newest})
		}
	}
	return out, nil
}

// AddSilences keeps the silences that overlap none kept before in their
// cell, and returns their findings not seen before.
func (m *MemStore) AddSilences(_ context.Context, ss []store.SilenceFinding) ([]*finding.Finding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var fs []*finding.Finding
	for _, sf := range ss {
		known := slices.ContainsFunc(m.silences, func(o coverage.Silence) bool {
			return o.Key == sf.Silence.Key && o.Overlaps(sf.Silence.Span)
		})
		if !known {
			m.silences = append(m.silences, sf.Silence)
			fs = append(fs, sf.Finding)
		}
	}
	return m.addFindings(fs), nil
}

func jsonString(s string) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	return b, err
}
