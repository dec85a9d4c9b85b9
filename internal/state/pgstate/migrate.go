package pgstate

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is returned, wrapped, by Open for a database migrated by a
// newer trailwarden. The database is left unchanged: upgrade trailwarden, or
// point this one at another schema.
var ErrSchemaTooNew = errors.New("state store schema is newer than this trailwarden")

// The migrations, NNNN_name.sql, in order. A released migration is never
// edited: change the schema with the next file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (m migration) String() string { return fmt.Sprintf("%04d_%s", m.version, m.name) }

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// loadMigrations reads the embedded migrations; their versions run 1, 2,
// 3... without gaps.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations") // sorted by name
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if want := len(ms) + 1; v != want {
			return nil, fmt.Errorf("migration %s: want version %04d next", e.Name(), want)
		}
		b, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: m[2], sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, errors.New("no migrations")
	}
	return ms, nil
}

// migrate brings the schema up to the last migration in one transaction,
// holding a transaction-scoped advisory lock of the schema: a concurrent
// Open waits, then finds the work done. A database migrated by a newer
// binary is refused with ErrSchemaTooNew, and one whose applied migrations
// this binary knows under other names with an error.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID(schema, "migrate", "")); err != nil {
			return err
		}
		if schema != "" {
			ident := pgx.Identifier{schema}.Sanitize()
			// CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the
			// database even when the schema exists: ask first.
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := tx.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
					return fmt.Errorf("create schema %s: %w", ident, err)
				}
			}
			if _, err := tx.Exec(ctx, `SET LOCAL search_path TO `+ident); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer     NOT NULL PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		current, err := checkApplied(ctx, tx, ms)
		if err != nil {
			return err
		}
		for _, m := range ms[current:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return fmt.Errorf("%s: %w", m, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// checkApplied returns the version of the schema, after checking that every
// applied migration is one this binary knows under the same name.
func checkApplied(ctx context.Context, tx pgx.Tx, ms []migration) (int, error) {
	rows, err := tx.Query(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	current := 0
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return 0, err
		}
		if v > len(ms) {
			return 0, fmt.Errorf("%w: the schema is at version %04d (%s), this binary knows up to %04d", ErrSchemaTooNew, v, name, len(ms))
		}
		if v < 1 || ms[v-1].name != name {
			return 0, fmt.Errorf("applied migration %04d_%s is not this binary's %s", v, name, ms[max(v, 1)-1])
		}
		current = v
	}
	return current, rows.Err()
}
