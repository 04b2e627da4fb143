// Package sqlstore implements memberd.Store once, over database/sql, for
// every SQL database memberd supports. What really differs between them
// (placeholders, row locks, error codes, schema) is stated in a Dialect and
// in each backend's own migrations; the queries are shared.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/memberd/memberd"
)

// Dialect is what differs between the SQL databases.
type Dialect struct {
	Name string // "sqlite" or "postgres"
	// NumberedParams rewrites ? placeholders to $1, $2, ...
	NumberedParams bool
	// ForUpdate is appended to a SELECT that locks rows; SkipLocked to one
	// that passes over rows locked by others. Empty where the database runs
	// one writer at a time (SQLite).
	ForUpdate  string
	SkipLocked string
	// IsUniqueViolation reports a unique-constraint error.
	IsUniqueViolation func(error) bool
	// IsRetryable reports an error after which the whole transaction may be
	// run again (deadlock, serialization failure, busy database).
	IsRetryable func(error) bool
	// MigrationLock, if set, is run first in the migration transaction to
	// keep concurrent nodes from migrating at once.
	MigrationLock string
}

// Store is a memberd.Store over a SQL database. Reads use one pool, writes
// another (for SQLite, a single connection: SQLite has one writer).
type Store struct {
	read, write *sql.DB
	d           Dialect
	rebound     sync.Map // query text -> rewritten for the dialect
}

// New returns a store using read for reads and write for transactions.
func New(read, write *sql.DB, d Dialect) *Store {
	return &Store{read: read, write: write, d: d}
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// DB returns the write pool, for tools that need the database itself
// (migrations, backups, benchmarks of the raw database).
func (s *Store) DB() *sql.DB { return s.write }

// View runs fn on the read pool.
func (s *Store) View(ctx context.Context, fn func(memberd.Tx) error) error {
	return fn(&tx{s: s, q: s.read})
}

// maxAttempts bounds how often a transaction is re-run after a retryable
// error such as a deadlock.
const maxAttempts = 5

// Update runs fn in a write transaction, re-running it when the database
// reports a retryable conflict.
func (s *Store) Update(ctx context.Context, fn func(memberd.Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = s.update(ctx, fn)
		if err == nil || s.d.IsRetryable == nil || !s.d.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (s *Store) update(ctx context.Context, fn func(memberd.Tx) error) error {
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&tx{s: s, q: t, locking: true}); err != nil {
		t.Rollback()
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Ping checks both pools.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.read.PingContext(ctx); err != nil {
		return err
	}
	return s.write.PingContext(ctx)
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

// rebind rewrites ? placeholders for the dialect, once per query text.
func (s *Store) rebind(q string) string {
	if !s.d.NumberedParams {
		return q
	}
	if r, ok := s.rebound.Load(q); ok {
		return r.(string)
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	r := b.String()
	s.rebound.Store(q, r)
	return r
}

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements memberd.Tx over a pool (reads) or a transaction (writes).
type tx struct {
	s       *Store
	q       querier
	locking bool // inside a write transaction: lock clauses apply
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(ctx, t.s.rebind(q), args...)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(ctx, t.s.rebind(q), args...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.q.QueryRowContext(ctx, t.s.rebind(q), args...)
}

// forUpdate is the lock clause, when inside a write transaction.
func (t *tx) forUpdate() string {
	if !t.locking {
		return ""
	}
	return t.s.d.ForUpdate
}

// insert runs an INSERT ... RETURNING seq and stores the sequence.
func (t *tx) insert(ctx context.Context, seq *int64, q string, args ...any) error {
	err := t.queryRow(ctx, q+" RETURNING seq", args...).Scan(seq)
	if err != nil && t.s.d.IsUniqueViolation != nil && t.s.d.IsUniqueViolation(err) {
		return fmt.Errorf("%w: %v", memberd.ErrDuplicate, err)
	}
	return err
}

// notFound maps sql.ErrNoRows to memberd.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return memberd.ErrNotFound
	}
	return err
}

// mustAffect reports ErrNotFound when an UPDATE matched no row.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return memberd.ErrNotFound
	}
	return nil
}
