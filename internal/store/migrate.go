package store

import (
	"embed"
	"io/fs"

	"github.com/trailwarden/trailwarden/internal/sqlitedb"
)

// ErrSchemaTooNew is returned, wrapped, by Open when the file was migrated by
// a newer trailwarden than this one. The file is left unchanged: upgrade
// trailwarden, or point this one at another file.
var ErrSchemaTooNew = sqlitedb.ErrSchemaTooNew

// The migrations, in order. A migration is never edited once released: change
// the schema with a new file, numbered next. Each runs in its own transaction,
// so it cannot change PRAGMAs such as foreign_keys; rebuild a table the way
// SQLite's ALTER TABLE documentation describes, with PRAGMA defer_foreign_keys.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

func migrationFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
