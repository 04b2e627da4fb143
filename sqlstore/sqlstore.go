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
	"sync/atomic"

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
	// OneWriter runs write transactions one at a time in the process
	// (SQLite allows one writer; queueing here beats busy-waiting on its lock).
	OneWriter bool
}

// Store is a memberd.Store over a SQL database. Reads use one pool, writes
// another (for SQLite, a single connection: SQLite has one writer).
type Store struct {
	read, write *sql.DB
	d           Dialect
	// Prepared statements by query text, one set per pool: SQLite spends
	// more time parsing a statement than running a point query. Lists build
	// their SQL from filters, so the caches are capped.
	readStmts, writeStmts stmtCache
	writer                sync.Mutex // held by write transactions when d.OneWriter
}

// stmtCache holds prepared statements, at most maxStmts of them.
type stmtCache struct {
	m sync.Map
	n atomic.Int32
}

const maxStmts = 500

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
	return fn(&tx{s: s})
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
	if s.d.OneWriter {
		s.writer.Lock()
		defer s.writer.Unlock()
	}
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&tx{s: s, tx: t}); err != nil {
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

// Close closes the statements and both pools.
func (s *Store) Close() error {
	for _, cache := range []*stmtCache{&s.readStmts, &s.writeStmts} {
		cache.m.Range(func(_, st any) bool { st.(*sql.Stmt).Close(); return true })
	}
	return errors.Join(s.read.Close(), s.write.Close())
}

// rebind rewrites q's placeholders for the store's dialect.
func (s *Store) rebind(q string) string { return s.d.Rebind(q) }

// Rebind rewrites ? placeholders as $1, $2, ... where the dialect wants it.
func (d Dialect) Rebind(q string) string {
	if !d.NumberedParams {
		return q
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
	return b.String()
}

// stmt returns the statement for query, prepared once on the pool, or nil
// when the cache is full.
func (s *Store) stmt(ctx context.Context, write bool, query string) (*sql.Stmt, error) {
	cache, db := &s.readStmts, s.read
	if write {
		cache, db = &s.writeStmts, s.write
	}
	if st, ok := cache.m.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	if cache.n.Load() >= maxStmts {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, s.rebind(query))
	if err != nil {
		return nil, err
	}
	if old, loaded := cache.m.LoadOrStore(query, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	cache.n.Add(1)
	return st, nil
}

// tx implements memberd.Tx over the read pool or a write transaction.
type tx struct {
	s  *Store
	tx *sql.Tx // nil for reads on the pool
}

// querier runs q: as the cached prepared statement when there is one,
// bound to the transaction if any; else directly.
type querier interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

func (t *tx) prepared(ctx context.Context, q string) (querier, error) {
	st, err := t.s.stmt(ctx, t.tx != nil, q)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return direct{t, t.s.rebind(q)}, nil
	case t.tx != nil:
		return t.tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

// direct runs a query without preparing it.
type direct struct {
	t *tx
	q string
}

func (d direct) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	if d.t.tx != nil {
		return d.t.tx.ExecContext(ctx, d.q, args...)
	}
	return d.t.s.read.ExecContext(ctx, d.q, args...)
}

func (d direct) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	if d.t.tx != nil {
		return d.t.tx.QueryContext(ctx, d.q, args...)
	}
	return d.t.s.read.QueryContext(ctx, d.q, args...)
}

func (d direct) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	if d.t.tx != nil {
		return d.t.tx.QueryRowContext(ctx, d.q, args...)
	}
	return d.t.s.read.QueryRowContext(ctx, d.q, args...)
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// row is a single-row result; its error, if any, surfaces at Scan.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := t.prepared(ctx, q)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}

// forUpdate is the lock clause, when inside a write transaction.
func (t *tx) forUpdate() string {
	if t.tx == nil {
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

// insertMany runs head + "(?, ...), (?, ...)" + tail over rows of width
// values each, many rows to a statement. Statements hold 64 rows, or a power
// of two for the rest, so only a few distinct ones are ever prepared.
func (t *tx) insertMany(ctx context.Context, head string, width int, tail string, rows [][]any) error {
	for len(rows) > 0 {
		n := 64
		for n > len(rows) {
			n /= 2
		}
		args := make([]any, 0, n*width)
		for _, r := range rows[:n] {
			if len(r) != width {
				return fmt.Errorf("sqlstore: row of %d values, want %d", len(r), width)
			}
			args = append(args, r...)
		}
		row := "(" + placeholders(width) + ")"
		q := head + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ") + tail
		if _, err := t.exec(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// placeholders returns "?, ?, ..." with n marks.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// excludedSet turns "a, b" into "a = excluded.a, b = excluded.b" for an upsert.
func excludedSet(cols string) string {
	var parts []string
	for _, c := range strings.Split(cols, ",") {
		c = strings.TrimSpace(c)
		parts = append(parts, c+" = excluded."+c)
	}
	return strings.Join(parts, ", ")
}
