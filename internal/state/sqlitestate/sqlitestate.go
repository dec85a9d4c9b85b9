// Package sqlitestate is a state.Store in one SQLite file, with the
// conventions of package store: modernc.org/sqlite, WAL, busy_timeout,
// STRICT tables and embedded migrations.
//
// The steps are the source of truth. When an Apply brings new steps for a
// resource, its revisions and summary are brought up to date in the same
// transaction: when the new steps all come after every step stored for it
// (events arriving in order, the usual case), they are folded onto its
// current revision; otherwise its whole history is folded again from all
// its stored steps (state.Fold). Either way out-of-order and repeated
// arrival give the same history as a fold of everything at once. At and
// List read the materialised revisions; History folds the stored steps.
package sqlitestate

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/state"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

const (
	readConns   = 4
	busyTimeout = 5 * time.Second
)

var _ state.Store = (*Store)(nil)

// Store is a state.Store in SQLite. It is safe for concurrent use; all
// writes go through one connection, reads through a small read-only pool.
type Store struct {
	path string
	w    *sql.DB
	r    *sql.DB
	at   *sql.Stmt // At's query, prepared on the read pool

	closeOnce sync.Once
	closeErr  error
}

// Open opens the store at path, creating the file and its directory when
// needed, and migrates its schema. ctx bounds the opening only.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string) (*Store, error) {
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
	// Private, like the -wal and -shm files SQLite creates with its mode.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	s := &Store{path: abs}
	if s.w, err = sql.Open("sqlite", dsn(abs, false)); err != nil {
		return nil, err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, errors.Join(err, s.w.Close())
	}
	if !strings.EqualFold(mode, "wal") {
		return nil, errors.Join(fmt.Errorf("journal mode is %q, want wal", mode), s.w.Close())
	}
	if err := migrate(ctx, s.w); err != nil {
		return nil, errors.Join(err, s.w.Close())
	}
	if s.r, err = sql.Open("sqlite", dsn(abs, true)); err != nil {
		return nil, errors.Join(err, s.w.Close())
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	if s.at, err = s.r.PrepareContext(ctx, atQuery); err != nil {
		return nil, errors.Join(err, s.r.Close(), s.w.Close())
	}
	return s, nil
}

// dsn is the driver's data source name: the same pragmas on every
// connection; the writer begins IMMEDIATE, readers are query-only.
func dsn(abs string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "cache_size(-16384)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String()
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close closes the store; it is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = s.w.ExecContext(ctx, "PRAGMA optimize") // best effort
		if err := errors.Join(s.at.Close(), s.r.Close(), s.w.Close()); err != nil {
			s.closeErr = fmt.Errorf("close state store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// nanos returns t as stored: Unix nanoseconds, clamped to the int64 range.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// unmarshal decodes JSON with numbers kept as json.Number, so that values
// come back exactly as they were given.
func unmarshal(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}
