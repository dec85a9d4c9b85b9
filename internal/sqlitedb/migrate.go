// Package sqlitedb holds what trailwarden's SQLite stores share: the
// migration runner (an embedded directory of NNNN_name.sql files and a
// schema_migrations table).
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"time"
)

// ErrSchemaTooNew is returned, wrapped, by Migrate when the file was migrated
// by a newer trailwarden than this one. The file is left unchanged: upgrade
// trailwarden, or point this one at another file.
var ErrSchemaTooNew = errors.New("database schema is newer than this trailwarden")

// migration is one file NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func (m migration) String() string { return fmt.Sprintf("%04d_%s", m.version, m.name) }

var migrationName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// Versions returns the number of migrations in fsys, checking their names.
func Versions(fsys fs.FS) (int, error) {
	ms, err := loadMigrations(fsys)
	return len(ms), err
}

// loadMigrations reads the migrations at the root of fsys. Their versions must
// run 1, 2, 3... without gaps.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".") // sorted by name, hence by version
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name is not NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if want := len(ms) + 1; v != want {
			return nil, fmt.Errorf("migration %s: want version %04d next", e.Name(), want)
		}
		b, err := fs.ReadFile(fsys, e.Name())
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

// Migrate brings the schema of db up to the last migration in fsys (files
// NNNN_name.sql at its root, numbered 1, 2, 3... without gaps), recording
// each in schema_migrations. Each runs in its own transaction (db's write
// transactions must be IMMEDIATE); several processes may migrate the same
// file at once, as each migration re-checks the version inside its
// transaction. A file migrated by a newer binary is refused with
// ErrSchemaTooNew, an applied migration this binary knows under another name
// with an error, and the file is left unchanged.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at TEXT    NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	current, err := checkApplied(ctx, db, ms)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range ms[current:] {
		if err := apply(ctx, db, m, len(ms)); err != nil {
			return fmt.Errorf("migrate: %s: %w", m, err)
		}
	}
	return nil
}

// checkApplied returns the version of db, after checking that every applied
// migration is one this binary knows under the same name.
func checkApplied(ctx context.Context, db *sql.DB, ms []migration) (int, error) {
	rows, err := db.QueryContext(ctx, `SELECT version, name FROM schema_migrations ORDER BY version`)
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
			return 0, tooNew(v, name, len(ms))
		}
		if v < 1 || ms[v-1].name != name {
			return 0, fmt.Errorf("applied migration %04d_%s is not this binary's %s", v, name, ms[max(v, 1)-1])
		}
		current = v
	}
	return current, rows.Err()
}

func tooNew(v int, name string, known int) error {
	return fmt.Errorf("%w: the file is at version %04d (%s), this binary knows up to %04d", ErrSchemaTooNew, v, name, known)
}

// apply runs m in its own transaction, unless another process has applied it
// since checkApplied.
func apply(ctx context.Context, db *sql.DB, m migration, known int) error {
	tx, err := db.BeginTx(ctx, nil) // IMMEDIATE: holds the write lock from here
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	var v int
	var name string
	err = tx.QueryRowContext(ctx, `SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1`).Scan(&v, &name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	switch {
	case v > known:
		return tooNew(v, name, known)
	case v >= m.version:
		return nil
	case v != m.version-1:
		return fmt.Errorf("file is at version %04d, want %04d", v, m.version-1)
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return tx.Commit()
}
