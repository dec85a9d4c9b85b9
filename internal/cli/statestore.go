package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/trailwarden/trailwarden/internal/state"
	"github.com/trailwarden/trailwarden/internal/state/pgstate"
	"github.com/trailwarden/trailwarden/internal/state/sqlitestate"
)

// isPostgres reports whether a state store location is a PostgreSQL
// connection URL rather than a SQLite file.
func isPostgres(loc string) bool {
	return strings.HasPrefix(loc, "postgres://") || strings.HasPrefix(loc, "postgresql://")
}

// openStateStore opens the resource state store at loc: a PostgreSQL
// connection URL (postgres://user@host/db; a schema=NAME parameter keeps
// the tables in a schema of their own), else a SQLite file.
func openStateStore(ctx context.Context, loc string) (state.Store, error) {
	if !isPostgres(loc) {
		return sqlitestate.Open(ctx, loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, errors.New("open state store: the postgres URL does not parse") // it may hold a password: not echoed
	}
	q := u.Query()
	var opts []pgstate.Option
	if schema := q.Get("schema"); schema != "" {
		opts = append(opts, pgstate.WithSchema(schema))
		q.Del("schema")
		u.RawQuery = q.Encode()
	}
	return pgstate.Open(ctx, u.String(), opts...)
}

// stateStoreExists reports whether a store is at loc; a PostgreSQL URL is
// taken to exist (opening it tells).
func stateStoreExists(loc string) error {
	if isPostgres(loc) {
		return nil
	}
	if _, err := os.Stat(loc); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no state store at %s: scan some CloudTrail logs first, or name the store with --state", loc)
	}
	return nil
}
