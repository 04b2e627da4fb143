// Package backend opens the database a --database value names: a SQLite
// file path (the default) or a postgres:// URL. Every command opens its store
// here, so each backend is wired in one place.
package backend

import (
	"context"
	"strings"

	"github.com/memberd/memberd/postgres"
	"github.com/memberd/memberd/sqlite"
	"github.com/memberd/memberd/sqlstore"
)

// IsPostgres reports whether dsn is a PostgreSQL URL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn, migrating it.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	if IsPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// Migrate applies the migrations the database named by dsn has not had yet,
// and lists them.
func Migrate(ctx context.Context, dsn string) ([]string, error) {
	if IsPostgres(dsn) {
		return postgres.Migrate(ctx, dsn)
	}
	return sqlite.Migrate(ctx, dsn)
}
