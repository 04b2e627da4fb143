package sqlstore

import (
	"context"
	"time"

	"github.com/memberd/memberd"
)

// Aggregates for the dashboard: counts and sums computed by the database,
// so a page costs one query however many memberships there are.

func (t *tx) CountMembershipsByStatus(ctx context.Context, f memberd.MembershipFilter) (map[memberd.Status]int, error) {
	l := membershipList(f)
	type count struct {
		status string
		n      int
	}
	rows, err := queryAll(ctx, t, func(r rowScanner, _ ...any) (count, error) {
		var c count
		return c, r.Scan(&c.status, &c.n)
	}, `SELECT m.status, COUNT(*) FROM memberships m`+l.whereSQL()+` GROUP BY m.status`, l.args...)
	if err != nil {
		return nil, err
	}
	out := make(map[memberd.Status]int, len(rows))
	for _, c := range rows {
		out[memberd.Status(c.status)] = c.n
	}
	return out, nil
}

func (t *tx) RenewalRevenue(ctx context.Context, companyID string) ([]memberd.RevenueGroup, error) {
	return queryAll(ctx, t, func(r rowScanner, _ ...any) (memberd.RevenueGroup, error) {
		var g memberd.RevenueGroup
		var currency string
		err := r.Scan(&currency, &g.PeriodDays, &g.Memberships, moneyCol{&g.RenewalSum})
		g.Currency = memberd.Currency(currency)
		return g, err
	}, `SELECT currency, billing_period_days, COUNT(*), SUM(renewal_price) FROM memberships
		WHERE company_id = ? AND status IN ('active', 'canceling', 'past_due') AND plan_type = 'renewal'
		AND collection_paused = ? AND renewal_price > 0 AND billing_period_days > 0
		GROUP BY currency, billing_period_days ORDER BY currency, billing_period_days`, companyID, false)
}

func (t *tx) SubscriptionChargesPerDay(ctx context.Context, companyID string, from time.Time, days int) ([]memberd.DayCharges, error) {
	const dayMS = int64(24 * time.Hour / time.Millisecond)
	start := ms(from)
	return queryAll(ctx, t, func(r rowScanner, _ ...any) (memberd.DayCharges, error) {
		var d memberd.DayCharges
		return d, r.Scan(&d.Day, &d.Paid, &d.Failed)
	}, `SELECT (created_at - ?) / ? AS day,
			SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END),
			SUM(CASE WHEN status = 'paid' THEN 0 ELSE 1 END)
		FROM payments
		WHERE company_id = ? AND billing_reason IN ('subscription_create', 'subscription_cycle')
		AND created_at >= ? AND created_at < ?
		GROUP BY 1 ORDER BY 1`, start, dayMS, companyID, start, start+int64(days)*dayMS)
}

func (t *tx) LastEventSeq(ctx context.Context, companyID string) (int64, error) {
	var seq int64
	err := t.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events WHERE company_id = ?`, companyID).Scan(&seq)
	return seq, err
}

func (t *tx) Backlog(ctx context.Context, now time.Time) (memberd.Backlog, error) {
	var b memberd.Backlog
	var oldestWork *int64
	// Each figure reads a partial index: the queued deliveries, and per
	// company the earliest due membership.
	err := t.queryRow(ctx, `SELECT COUNT(*), COUNT(CASE WHEN next_attempt_at <= ? THEN 1 END)
		FROM webhook_deliveries WHERE next_attempt_at IS NOT NULL`, ms(now)).Scan(&b.QueuedDeliveries, &b.DueDeliveries)
	if err != nil {
		return b, err
	}
	err = t.queryRow(ctx, `SELECT MIN((SELECT MIN(m.due_at) FROM memberships m WHERE m.company_id = c.id AND m.due_at IS NOT NULL) - c.clock_offset)
		FROM companies c`).Scan(&oldestWork)
	if oldestWork != nil {
		b.OldestWork = time.UnixMilli(*oldestWork).UTC()
	}
	return b, err
}
