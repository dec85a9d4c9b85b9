package sqlitestate

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"

	"github.com/trailwarden/trailwarden/internal/sqlitedb"
)

// ErrSchemaTooNew is returned, wrapped, by Open for a file migrated by a
// newer trailwarden. The file is left unchanged.
var ErrSchemaTooNew = sqlitedb.ErrSchemaTooNew

// The migrations, NNNN_name.sql, in order. A released migration is never
// edited: change the schema with the next file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate brings db up to the last migration (see sqlitedb.Migrate).
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	return sqlitedb.Migrate(ctx, db, fsys)
}
