package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one numbered schema change, from a file NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the *.sql files of fsys, numbered from 1 without gaps
// or duplicates.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		num, rest, ok := strings.Cut(path.Base(name), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(rest, ".sql"), SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d_%s: expected version %d (gap or duplicate)", m.Version, m.Name, i+1)
		}
	}
	return ms, nil
}

// Migrate applies the migrations db has not seen yet, each in its own
// transaction, and returns the names of those it applied.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS) ([]string, error) {
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return nil, err
	}
	s := &Store{d: d}
	// Under the migration lock: PostgreSQL's CREATE TABLE IF NOT EXISTS
	// fails, rather than waits, when another node creates the table at once.
	err = s.locked(ctx, db, func(t *sql.Tx) error {
		_, err := t.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var applied []string
	for _, m := range ms {
		done, err := applyMigration(ctx, db, s, m)
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if done {
			applied = append(applied, fmt.Sprintf("%04d_%s", m.Version, m.Name))
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, db *sql.DB, s *Store, m Migration) (bool, error) {
	applied := false
	err := s.locked(ctx, db, func(t *sql.Tx) error {
		var n int
		if err := t.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil || n > 0 {
			return err
		}
		if _, err := t.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		_, err := t.ExecContext(ctx, s.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.Version, m.Name, time.Now().UnixMilli())
		applied = err == nil
		return err
	})
	return applied, err
}

// locked runs fn in a transaction that first takes the dialect's migration
// lock, so that nodes starting together migrate one at a time.
func (s *Store) locked(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if s.d.MigrationLock != "" {
		if _, err := t.ExecContext(ctx, s.d.MigrationLock); err != nil {
			return err
		}
	}
	if err := fn(t); err != nil {
		return err
	}
	return t.Commit()
}
