// Package pgtest finds the PostgreSQL server of the tests and gives each
// test a schema of its own (test support, like net/http/httptest).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultDSN is tried when TRAILWARDEN_TEST_POSTGRES is unset: the server
// scripts/ensure-postgres.sh makes sure of.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	probeOnce sync.Once
	probeErr  error
)

// DSN returns the DSN of the test server. When no server answers, the
// test is skipped only if neither TRAILWARDEN_TEST_POSTGRES nor CI is set:
// make test and CI set them, so there a missing server is a failure.
func DSN(t testing.TB) string {
	t.Helper()
	dsn, explicit := os.LookupEnv("TRAILWARDEN_TEST_POSTGRES")
	if !explicit || dsn == "" {
		dsn = defaultDSN
	}
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			probeErr = err
			return
		}
		probeErr = c.Ping(ctx)
		_ = c.Close(ctx)
	})
	if probeErr != nil {
		_, ci := os.LookupEnv("CI")
		if !explicit && !ci {
			t.Skipf("no PostgreSQL server (set TRAILWARDEN_TEST_POSTGRES, or run scripts/ensure-postgres.sh): %v", probeErr)
		}
		t.Fatalf("PostgreSQL test server: %v", probeErr)
	}
	return dsn
}

// FreshSchema returns the name of a new schema, dropped when the test ends
// (after the stores opened on it are closed, as they are closed by cleanups
// registered later).
func FreshSchema(t testing.TB, dsn, prefix string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}
