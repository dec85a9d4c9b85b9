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
	"io/fs"
	"math"
	"sync"
	"time"

	"github.com/trailwarden/trailwarden/internal/sqlitedb"
	"github.com/trailwarden/trailwarden/internal/state"
)

var (
	_ state.Store       = (*Store)(nil)
	_ state.StateLister = (*Store)(nil)
)

// Store is a state.Store in SQLite. It is safe for concurrent use; all
// writes go through one connection, reads through a small read-only pool.
type Store struct {
	path string
	w    *sql.DB
	r    *sql.DB
	at   *sql.Stmt // At's query, prepared on the read pool

	applyMu     sync.Mutex      // one Apply at a time (there is one writer anyway)
	tips        map[string]*tip // by resource key; see tip
	dataVersion int64           // PRAGMA data_version when tips were last valid

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
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	db, err := sqlitedb.Open(ctx, path, fsys)
	if err != nil {
		return nil, err
	}
	s := &Store{path: db.Path, w: db.W, r: db.R}
	if s.at, err = s.r.PrepareContext(ctx, atQuery); err != nil {
		return nil, errors.Join(err, s.r.Close(), s.w.Close())
	}
	return s, nil
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
