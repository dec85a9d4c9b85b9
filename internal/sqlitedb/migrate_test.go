package sqlitedb

import (
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrate(t *testing.T) {
	ok1 := &fstest.MapFile{Data: []byte("CREATE TABLE a (x INTEGER);")}
	ok2 := &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (1);")}
	bad2 := &fstest.MapFile{Data: []byte("CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);")}

	type step struct {
		fsys    fstest.MapFS
		wantErr string // "" for success
		want    []int  // versions recorded afterwards
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"fresh file", []step{
			{fstest.MapFS{"0001_a.sql": ok1, "0002_b.sql": ok2}, "", []int{1, 2}},
		}},
		{"one at a time", []step{
			{fstest.MapFS{"0001_a.sql": ok1}, "", []int{1}},
			{fstest.MapFS{"0001_a.sql": ok1, "0002_b.sql": ok2}, "", []int{1, 2}},
			{fstest.MapFS{"0001_a.sql": ok1, "0002_b.sql": ok2}, "", []int{1, 2}},
		}},
		{"failed migration rolls back alone", []step{
			{fstest.MapFS{"0001_a.sql": ok1, "0002_b.sql": bad2}, "0002_b: SQL logic error: no such table: nowhere", []int{1}},
			{fstest.MapFS{"0001_a.sql": ok1, "0002_b.sql": ok2}, "", []int{1, 2}},
		}},
		{"newer file", []step{
			{fstest.MapFS{"0001_a.sql": ok1, "0002_b.sql": ok2}, "", []int{1, 2}},
			{fstest.MapFS{"0001_a.sql": ok1}, "the file is at version 0002 (b), this binary knows up to 0001", []int{1, 2}},
		}},
		{"applied migration renamed", []step{
			{fstest.MapFS{"0001_a.sql": ok1}, "", []int{1}},
			{fstest.MapFS{"0001_z.sql": ok1}, "applied migration 0001_a is not this binary's 0001_z", []int{1}},
		}},
		{"bad name", []step{
			{fstest.MapFS{"1_a.sql": ok1}, "migration 1_a.sql: name is not NNNN_name.sql", nil},
		}},
		{"gap", []step{
			{fstest.MapFS{"0001_a.sql": ok1, "0003_c.sql": ok2}, "migration 0003_c.sql: want version 0002 next", nil},
		}},
		{"none", []step{
			{fstest.MapFS{}, "no migrations", nil},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.db")
			for i, st := range tc.steps {
				db, err := Open(t.Context(), path, st.fsys)
				switch {
				case st.wantErr == "" && err != nil:
					t.Fatalf("step %d: %v", i, err)
				case st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)):
					t.Fatalf("step %d: error %v, want one containing %q", i, err, st.wantErr)
				case err == nil:
					if err := errors.Join(db.R.Close(), db.W.Close()); err != nil {
						t.Fatal(err)
					}
				}
				if got := appliedVersions(t, path); !slices.Equal(got, st.want) {
					t.Errorf("step %d: versions %v, want %v", i, got, st.want)
				}
			}
		})
	}
}

// appliedVersions reads schema_migrations past the runner.
func appliedVersions(t *testing.T, path string) []int {
	t.Helper()
	db, err := sql.Open("sqlite", DSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// A rolled-back migration leaves no table behind either.
	if len(vs) == 1 {
		var n int
		if err := db.QueryRowContext(t.Context(), "SELECT count(*) FROM sqlite_schema WHERE name = 'b'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Error("table b exists at version 1")
		}
	}
	return vs
}
