// Package store keeps trailwarden's durable state in one embedded SQLite
// file: the findings, an outbox of the findings not yet delivered to every
// output, checkpoints of the log files already processed, and the delivery
// coverage of each account × region (coverage.go). No server is
// needed; a batch scan and a daemon use the same file the same way.
//
// The outbox is what keeps a finding from being lost between the store and
// the outputs:
//
//	fresh, err := st.AddFindings(ctx, fs) // stored and queued in one transaction
//	// ... send fresh to every output ...
//	err = st.MarkDelivered(ctx, ids)       // once every output has accepted them
//
// After a crash, Pending returns what was stored but not yet marked delivered,
// to be sent again. Outputs are idempotent on Finding.ID, so a finding sent
// twice is harmless; one never sent is not possible.
//
// Durability: a call that returned has committed. With the WAL journal and
// synchronous=NORMAL, a commit survives a crash of the process; a power loss
// may undo the last few transactions, whole and in order (findings, outbox and
// checkpoints together), so the files they came from are read again.
//
// The driver is modernc.org/sqlite (pure Go, no cgo). All writes go through a
// single connection, in order; reads use a small pool of read-only connections
// alongside it, which the WAL journal allows.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/sqlitedb"
)

// SQLite is the store, in one SQLite file. It is safe for concurrent use by
// several goroutines, and several processes may open the same file.
type SQLite struct {
	path string
	w    *sql.DB // exactly one connection: every write, serialized
	r    *sql.DB // read-only connections
	now  func() time.Time

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store at path, creating the file and its parent directories
// if needed, and brings its schema up to date. It refuses, with an error
// wrapping ErrSchemaTooNew, a file migrated by a newer trailwarden. ctx bounds
// the opening and the migrations only, not the life of the store.
func Open(ctx context.Context, path string) (*SQLite, error) {
	s, err := open(ctx, path, migrationFS())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string, migrations fs.FS) (*SQLite, error) {
	db, err := sqlitedb.Open(ctx, path, migrations)
	if err != nil {
		return nil, err
	}
	return &SQLite{path: db.Path, now: time.Now, w: db.W, r: db.R}, nil
}

// dsn returns the driver's data source name (see sqlitedb.DSN).
func dsn(abs string, readOnly bool) string { return sqlitedb.DSN(abs, readOnly) }

// Path returns the absolute path of the database file.
func (s *SQLite) Path() string { return s.path }

// Close closes the store. Calls in flight should have returned first. It is
// safe to call more than once.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		// Best effort: keeps the query planner's statistics current, as SQLite
		// advises before closing a connection. Its failure loses no data.
		_, _ = s.w.ExecContext(ctx, "PRAGMA optimize")
		if err := errors.Join(s.r.Close(), s.w.Close()); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// Times are stored as Unix nanoseconds, which cover 1678 to 2262; anything
// outside (the zero time, say) is clamped, which keeps the order.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos returns t as stored.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}
