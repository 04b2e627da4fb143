// Package testdb gives tests a fresh database of either backend. SQLite is
// a file in the test's temporary directory; PostgreSQL is a schema of its
// own in the database MEMBERD_TEST_POSTGRES names (scripts/test sets it),
// dropped when the test ends. MEMBERD_TEST_BACKEND=postgres makes the
// tests that accept either backend (the HTTP and service tests) run on
// PostgreSQL.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"github.com/memberd/memberd/postgres"
	"github.com/memberd/memberd/sqlite"
	"github.com/memberd/memberd/sqlstore"
)

// Environment variables.
const (
	// PostgresEnv names the PostgreSQL database tests create their schemas
	// in, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
	PostgresEnv = "MEMBERD_TEST_POSTGRES"
	// BackendEnv chooses the backend of Open: "sqlite" (the default) or
	// "postgres".
	BackendEnv = "MEMBERD_TEST_BACKEND"
)

// Postgres reports whether Open uses PostgreSQL.
func Postgres() bool { return os.Getenv(BackendEnv) == "postgres" }

// Open opens a fresh, migrated store of the backend BackendEnv chooses,
// closed when the test ends.
func Open(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	if Postgres() {
		return OpenPostgres(tb)
	}
	return OpenSQLite(tb, filepath.Join(tb.TempDir(), "memberd.db"))
}

// OpenSQLite opens the SQLite file at path, closed when the test ends.
func OpenSQLite(tb testing.TB, path string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// OpenPostgres opens a store on a fresh schema (see PostgresDSN).
func OpenPostgres(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), PostgresDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// PostgresDSN creates an empty schema in the database PostgresEnv names
// and returns a URL whose connections use it; the schema is dropped when
// the test ends. Without PostgresEnv the test is skipped; with it, an
// unreachable database fails the test.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skipf("%s is not set: no PostgreSQL to test with (scripts/test sets it)", PostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("PostgreSQL at %s (%s): %v", u.Redacted(), PostgresEnv, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			tb.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
