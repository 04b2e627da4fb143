package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/memberd/memberd"
)

// sortKey is a column a list can be ordered by. Its expression is never NULL
// (nullable columns are wrapped in COALESCE) so keyset comparisons work.
type sortKey struct {
	expr string
	kind string // "int" or "string": the type of its cursor value
}

// fits reports whether c was made for this sort key and order.
func (k sortKey) fits(c *memberd.Cursor, order string) bool {
	if c.Order != order {
		return false
	}
	switch c.Value.(type) {
	case int64:
		return k.kind == "int"
	case string:
		return k.kind == "string"
	}
	return false
}

// listQuery is a SELECT under construction: columns, FROM clause, filters.
type listQuery struct {
	cols  string
	from  string
	seq   string // the tie-breaking sequence column
	where []string
	args  []any
}

func (l *listQuery) filter(cond string, args ...any) {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
}

// in filters col to one of vals; no vals, no filter.
func in[T ~string](l *listQuery, col string, vals []T) {
	if len(vals) > 0 {
		cond, args := inCond(col, vals)
		l.filter(cond, args...)
	}
}

// inCond is the condition "col IN (vals...)" and its arguments.
func inCond[T ~string](col string, vals []T) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

func (l *listQuery) timeRange(col string, after, before *time.Time) {
	if after != nil {
		l.filter(col+" > ?", ms(*after))
	}
	if before != nil {
		l.filter(col+" < ?", ms(*before))
	}
}

func (l *listQuery) whereSQL(extra ...string) string {
	conds := append(slices.Clone(l.where), extra...)
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// keyCmp compares a row's (sort value, seq) with a cursor's.
func (l *listQuery) keyCmp(k sortKey, op string) string {
	return fmt.Sprintf("(%s, %s) %s (?, ?)", k.expr, l.seq, op)
}

// queryAll runs q and scans every row it returns.
func queryAll[T any](ctx context.Context, t *tx, scan func(rowScanner, ...any) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanFunc scans one row's columns, then the extra destinations.
type scanFunc[T any] func(rows *sql.Rows, extra ...any) (T, error)

// listPage runs a keyset-paginated query: the First rows after p.After or the
// Last rows before p.Before, in the order of k (p.Desc for descending, seq
// breaking ties), and finds out whether rows exist beyond either end.
func listPage[T any](ctx context.Context, t *tx, l listQuery, k sortKey, p memberd.PageRequest, scan scanFunc[T]) (memberd.Page[T], error) {
	var page memberd.Page[T]
	for param, c := range map[string]*memberd.Cursor{"after": p.After, "before": p.Before} {
		if c != nil && !k.fits(c, p.Order) {
			return page, memberd.Invalid(param, "%s is not a valid cursor for this list and order.", param)
		}
	}
	backward := p.Last > 0 && p.First == 0
	n := p.First
	if backward {
		n = p.Last
	}
	if n <= 0 {
		n = memberd.DefaultPageSize
	}
	n = min(n, memberd.MaxPageSize)
	fwd, back := ">", "<" // "after" and "before" in list order
	if p.Desc {
		fwd, back = back, fwd
	}
	where := slices.Clone(l.where)
	args := slices.Clone(l.args)
	if p.After != nil {
		where = append(where, l.keyCmp(k, fwd))
		args = append(args, p.After.Value, p.After.Seq)
	}
	if p.Before != nil {
		where = append(where, l.keyCmp(k, back))
		args = append(args, p.Before.Value, p.Before.Seq)
	}
	dir := "ASC"
	if p.Desc != backward {
		dir = "DESC"
	}
	q := fmt.Sprintf("SELECT %s, %s, %s %s%s ORDER BY %s %s, %s %s LIMIT %d",
		l.cols, k.expr, l.seq, l.from, (&listQuery{where: where}).whereSQL(), k.expr, dir, l.seq, dir, n+1)
	rows, err := t.query(ctx, q, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var c memberd.Cursor
		c.Order = p.Order
		var sv any
		item, err := scan(rows, &sv, &c.Seq)
		if err != nil {
			return page, err
		}
		if c.Value, err = cursorValue(sv, k.kind); err != nil {
			return page, err
		}
		page.Items = append(page.Items, item)
		page.Cursors = append(page.Cursors, c)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	more := len(page.Items) > n
	if more {
		page.Items, page.Cursors = page.Items[:n], page.Cursors[:n]
	}
	if backward {
		slices.Reverse(page.Items)
		slices.Reverse(page.Cursors)
	}
	// The side we paged towards is known from the extra row; the other side
	// needs a look past the first (or last) row, or past the cursor itself
	// when the page is empty.
	beyond := func(op string, c *memberd.Cursor) (bool, error) {
		if c == nil {
			return false, nil
		}
		q := fmt.Sprintf("SELECT 1 %s%s LIMIT 1", l.from, l.whereSQL(l.keyCmp(k, op)))
		var one int
		err := t.queryRow(ctx, q, append(slices.Clone(l.args), c.Value, c.Seq)...).Scan(&one)
		if err == sql.ErrNoRows {
			return false, nil
		}
		return err == nil, err
	}
	if backward {
		page.HasPrev = more
		if len(page.Cursors) > 0 {
			page.HasNext, err = beyond(fwd, &page.Cursors[len(page.Cursors)-1])
		} else {
			page.HasNext, err = beyond(fwd+"=", p.Before)
		}
	} else {
		page.HasNext = more
		if len(page.Cursors) > 0 {
			page.HasPrev, err = beyond(back, &page.Cursors[0])
		} else {
			page.HasPrev, err = beyond(back+"=", p.After)
		}
	}
	return page, err
}

func cursorValue(v any, kind string) (any, error) {
	if kind == "int" {
		return asInt64(v)
	}
	var s string
	err := strCol{&s}.Scan(v)
	return s, err
}
