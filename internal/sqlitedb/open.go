package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver, "sqlite"
)

// ReadConns bounds each database's read-only pool. Reads are short; a few
// are enough to serve queries while the writer works.
const ReadConns = 4

// BusyTimeout is how long a statement waits for a lock held by another
// connection or process before failing.
const BusyTimeout = 5 * time.Second

// DB is an open SQLite file: one writer connection (IMMEDIATE transactions)
// and a pool of query-only readers, both in WAL mode.
type DB struct {
	Path string // absolute
	W, R *sql.DB
}

// Open opens (creating it, mode 0600, and its directory) the SQLite file at
// path, checks that it is in WAL mode, and runs the migrations of fsys on it
// (see Migrate). The caller closes W and R.
func Open(ctx context.Context, path string, migrations fs.FS) (*DB, error) {
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
	// SQLite gives the same mode, are private: findings and states name
	// principals and IPs.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	db := &DB{Path: abs}
	if db.W, err = sql.Open("sqlite", DSN(abs, false)); err != nil {
		return nil, err
	}
	db.W.SetMaxOpenConns(1)
	db.W.SetMaxIdleConns(1)
	db.W.SetConnMaxLifetime(0)
	db.W.SetConnMaxIdleTime(0)
	if err := checkWAL(ctx, db.W); err != nil {
		return nil, errors.Join(err, db.W.Close())
	}
	if err := Migrate(ctx, db.W, migrations); err != nil {
		return nil, errors.Join(err, db.W.Close())
	}
	if db.R, err = sql.Open("sqlite", DSN(abs, true)); err != nil {
		return nil, errors.Join(err, db.W.Close())
	}
	db.R.SetMaxOpenConns(ReadConns)
	db.R.SetMaxIdleConns(ReadConns)
	if err := db.R.PingContext(ctx); err != nil {
		return nil, errors.Join(err, db.R.Close(), db.W.Close())
	}
	return db, nil
}

// checkWAL fails when SQLite could not switch the file to WAL (on some network
// file systems it silently keeps the old journal), since readers would then
// block the writer.
func checkWAL(ctx context.Context, w *sql.DB) error {
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal (is the file on a network file system?)", mode)
	}
	return nil
}

// DSN returns the driver's data source name for the file at the absolute path
// abs. Every connection gets the same pragmas; the writer begins its
// transactions IMMEDIATE so that a write lock is taken up front (no deadlock
// between two processes upgrading a read lock), and readers are query-only.
func DSN(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
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
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()
}
