// Package sqlite opens memberd's default store: one SQLite file in WAL mode,
// through the pure-Go modernc.org/sqlite driver (see README for why).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/memberd/memberd/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the embedded schema migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Dialect is SQLite's: one writer at a time, so no row locks are needed.
var Dialect = sqlstore.Dialect{
	Name:              "sqlite",
	OneWriter:         true,
	IsUniqueViolation: isUniqueViolation,
	IsRetryable:       isBusy,
}

// pragmas apply to every connection: wait for locks rather than fail, WAL
// so readers never block the writer, NORMAL sync (durable across process
// crashes; WAL makes it safe), and enforced foreign keys.
var pragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(ON)",
	"cache_size(-16000)",
	"mmap_size(268435456)",
}

// Open opens (creating if needed) the database file at path and migrates it.
// Writes go through a pool of two connections (one in a transaction at a
// time, the other free to prepare statements) and reads through a larger one.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	write, err := openPool(path, "immediate", 2)
	if err != nil {
		return nil, err
	}
	if _, err := sqlstore.Migrate(ctx, write, Dialect, Migrations()); err != nil {
		write.Close()
		return nil, err
	}
	read, err := openPool(path, "deferred", max(4, runtime.GOMAXPROCS(0)*2))
	if err != nil {
		write.Close()
		return nil, err
	}
	return sqlstore.New(read, write, Dialect), nil
}

// Migrate applies pending migrations to the file at path and lists them.
func Migrate(ctx context.Context, path string) ([]string, error) {
	db, err := openPool(path, "immediate", 1)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return sqlstore.Migrate(ctx, db, Dialect, Migrations())
}

// openPool opens a pool of at most conns connections whose transactions
// begin with the given lock mode ("immediate" takes the write lock at BEGIN,
// so a writer never fails to upgrade a read lock).
func openPool(path, txlock string, conns int) (*sql.DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain ? or #", path)
	}
	q := url.Values{"_txlock": {txlock}}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED)
}
