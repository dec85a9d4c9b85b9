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
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// readConns bounds the read-only pool. Reads are short; a few are enough to
// let a query API and a dispatcher read while a scan writes.
const readConns = 4

// busyTimeout is how long a statement waits for a lock held by another
// process (say, `trailwarden query` while a daemon writes) before failing.
const busyTimeout = 5 * time.Second

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
	if path == "" {
		return nil, errors.New("empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, err
	}
	// Create the file ourselves so that it, and the -wal and -shm files that
	// SQLite gives the same mode, are private: findings name principals and IPs.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, err
	}

	s := &SQLite{path: abs, now: time.Now}
	if s.w, err = sql.Open("sqlite", dsn(abs, false)); err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.checkWAL(ctx); err != nil {
		return nil, errors.Join(err, s.w.Close())
	}
	if err := migrate(ctx, s.w, migrations); err != nil {
		return nil, errors.Join(err, s.w.Close())
	}

	if s.r, err = sql.Open("sqlite", dsn(abs, true)); err != nil {
		return nil, errors.Join(err, s.w.Close())
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	if err := s.r.PingContext(ctx); err != nil {
		return nil, errors.Join(err, s.r.Close(), s.w.Close())
	}
	return s, nil
}

// checkWAL fails when SQLite could not switch the file to WAL (on some network
// file systems it silently keeps the old journal), since readers would then
// block the writer.
func (s *SQLite) checkWAL(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal (is the file on a network file system?)", mode)
	}
	return nil
}

// dsn returns the driver's data source name for the file at the absolute path
// abs. Every connection gets the same pragmas; the writer begins its
// transactions IMMEDIATE so that a write lock is taken up front (no deadlock
// between two processes upgrading a read lock), and readers are query-only.
func dsn(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_size_limit(67108864)")
	q.Add("_pragma", "cache_size(-16384)") // KiB
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	// A URI, so that '?', '#' and '%' in the path are escaped, not parsed.
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String()
}

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
