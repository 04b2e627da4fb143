// Package postgres opens memberd's store on PostgreSQL, through pgx v5's
// database/sql driver so that the SQL of package sqlstore serves both
// backends. Several memberd nodes may share one database: work is claimed
// with row locks (FOR NO KEY UPDATE ... SKIP LOCKED), never in memory.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/memberd/memberd/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the embedded schema migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Dialect is PostgreSQL's. Rows are locked FOR NO KEY UPDATE rather than
// FOR UPDATE: it keeps other writers out just the same, but lets inserts
// elsewhere check their foreign keys against the locked row (a payment
// referencing a company whose clock is being moved) instead of waiting.
var Dialect = sqlstore.Dialect{
	Name:              "postgres",
	NumberedParams:    true,
	ForUpdate:         " FOR NO KEY UPDATE",
	SkipLocked:        "SKIP LOCKED",
	IsUniqueViolation: func(err error) bool { return hasCode(err, "23505") },
	// serialization_failure, deadlock_detected
	IsRetryable:   func(err error) bool { return hasCode(err, "40001", "40P01") },
	MigrationLock: `SELECT pg_advisory_xact_lock(4242770001)`,
}

func hasCode(err error, codes ...string) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}

// MaxConns is the size of a node's connection pool. Reads and writes share
// it: unlike SQLite, PostgreSQL runs many writers at once.
const MaxConns = 16

// Open connects to the database at dsn (a postgres:// URL; search_path and
// other settings may be given as query parameters) and migrates it.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	db, err := openPool(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := sqlstore.Migrate(ctx, db, Dialect, Migrations()); err != nil {
		db.Close()
		return nil, err
	}
	return sqlstore.New(db, db, Dialect), nil
}

// Migrate applies pending migrations to the database at dsn and lists them.
func Migrate(ctx context.Context, dsn string) ([]string, error) {
	db, err := openPool(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return sqlstore.Migrate(ctx, db, Dialect, Migrations())
}

func openPool(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}
