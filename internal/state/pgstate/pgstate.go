// Package pgstate is a state.Store on PostgreSQL (pgx v5, pgxpool), for
// several trailwarden processes sharing one state. It keeps the semantics
// of sqlitestate: the steps are the source of truth, and each Apply brings
// the materialised revisions and summary of the resources it touches up to
// date in the same transaction, by folding the new steps onto the current
// revision when they all come after what was stored, else by folding the
// resource's stored steps again. At and List read the materialised
// revisions; History folds the stored steps.
//
// Concurrent Apply calls, from goroutines or processes, are serialised per
// resource by transaction-scoped advisory locks taken in a stable order, so
// they neither deadlock nor lose a step; serialisation failures and
// deadlocks reported by the server are retried.
//
// The schema is created and migrated by Open from embedded migrations, under
// an advisory lock, so concurrent Opens of one database are safe. WithSchema
// puts the tables in a schema of their own, so that several stores (and
// tests) can share one database.
package pgstate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/trailwarden/trailwarden/internal/state"
)

var _ state.Store = (*Store)(nil)

// Store is a state.Store in PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	schema string // "" for the connection's default search_path
	where  string // the server and database, for errors: never the password
}

// Option configures Open.
type Option func(*options)

type options struct {
	schema   string
	maxConns int32
}

// WithSchema keeps the store's tables in the named schema, created by Open
// when missing. The name must be a plain lower-case identifier
// ([a-z_][a-z0-9_]*, at most 63 bytes). Without it the tables go in the
// first schema of the connection's search_path (usually public).
func WithSchema(name string) Option {
	return func(o *options) { o.schema = name }
}

// WithMaxConns bounds the connection pool (by default pgxpool's: the
// larger of 4 and the number of CPUs). The DSN's pool_max_conns does too.
func WithMaxConns(n int32) Option {
	return func(o *options) { o.maxConns = n }
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx accepts), checks that the server answers and
// migrates the schema. ctx bounds the opening only. Errors never include
// the DSN's password.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.schema != "" && !schemaName.MatchString(o.schema) {
		return nil, fmt.Errorf("open state store: schema %q is not a plain lower-case identifier", o.schema)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors redact the password; say no more than that.
		return nil, fmt.Errorf("open state store: parse DSN: %w", err)
	}
	s := &Store{schema: o.schema, where: fmt.Sprintf("postgres %s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)}
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = o.schema
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open state store %s: %w", s.where, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open state store %s: %w", s.where, err)
	}
	if err := migrate(ctx, s.pool, o.schema); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("open state store %s: %w", s.where, err)
	}
	return s, nil
}

// Schema returns the schema given to WithSchema, or "".
func (s *Store) Schema() string { return s.schema }

// Close closes the pool, waiting for connections in use to be returned. It
// is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// lockID is the advisory lock of name within the store's schema: stores in
// different schemas of one database do not wait on each other (a hash
// collision only makes two callers wait in turn).
func lockID(schema, kind, name string) int64 {
	h := fnv.New64a()
	for _, s := range []string{kind, schema, name} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
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
