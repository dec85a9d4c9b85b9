package scan

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/trailwarden/trailwarden/internal/finding"
	"github.com/trailwarden/trailwarden/internal/store"
)

// MemStore is a Store that keeps nothing after the process: for one-off
// scans (--no-store). It still deduplicates findings within the run.
type MemStore struct {
	mu   sync.Mutex
	seen map[string]bool
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{seen: map[string]bool{}} }

// AddFindings returns the findings not seen before in this process.
func (m *MemStore) AddFindings(_ context.Context, fs []*finding.Finding) ([]*finding.Finding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var fresh []*finding.Finding
	for _, f := range fs {
		if !m.seen[f.ID] {
			m.seen[f.ID] = true
			fresh = append(fresh, f)
		}
	}
	return fresh, nil
}

// MarkDelivered does nothing: there is no outbox to survive a crash.
func (m *MemStore) MarkDelivered(context.Context, []string) error { return nil }

// Pending returns nothing.
func (m *MemStore) Pending(context.Context, int) ([]*finding.Finding, error) { return nil, nil }

// Done reports false: nothing was read before.
func (m *MemStore) Done(context.Context, string, store.Stamp) (bool, error) { return false, nil }

// Checkpoint does nothing.
func (m *MemStore) Checkpoint(context.Context, string, store.Stamp, int) error { return nil }

func jsonString(s string) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	return b, err
}
