package sqlitestate

import (
	"embed"

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
