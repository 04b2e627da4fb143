package service_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// BenchmarkAdvance30Days moves a company's clock 30 days over N monthly
// memberships (BENCH_MEMBERSHIPS, default 100,000): N renewals, each a
// payment and its events. It reports renewals per second beside two
// baselines measured on the same database in the same run: the raw batched
// rate of single-row updates (raw-writes/s, and ratio against it), and the
// raw rate of writing exactly the rows a renewal writes (a membership
// update, a payment, two events of the same sizes) with plain prepared
// statements (raw-renewal-rows/s, and rows-ratio: memberd's own overhead).
//
//	go test ./service -run '^$' -bench Advance30Days -benchtime 1x
func BenchmarkAdvance30Days(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_MEMBERSHIPS")); err == nil {
		n = v
	}
	ctx := context.Background()
	e := newEnv(b)
	plan := e.plan(service.PlanParams{BillingPeriod: intp(30), RenewalPrice: money("10")})
	seedStart := time.Now()
	e.seedMemberships(plan, n)
	b.Logf("seeded %d memberships in %s", n, time.Since(seedStart).Round(time.Millisecond))

	raw := rawBatchedWrites(b, e, n)
	b.ResetTimer()
	renewals := 0
	for range b.N {
		now, err := e.svc.Now(ctx, e.company)
		if err != nil {
			b.Fatal(err)
		}
		_, evs, err := e.svc.Advance(ctx, e.company, now.Add(30*24*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Type == memberd.EventPaymentSucceeded {
				renewals++
			}
		}
	}
	b.StopTimer()
	if renewals != n*b.N {
		b.Fatalf("%d renewals, want %d", renewals, n*b.N)
	}
	rate := float64(renewals) / b.Elapsed().Seconds()
	rows := rawRenewalRows(b, e)
	b.ReportMetric(rate, "renewals/s")
	b.ReportMetric(raw, "raw-writes/s")
	b.ReportMetric(rate/raw, "ratio")
	b.ReportMetric(rows, "raw-renewal-rows/s")
	b.ReportMetric(rate/rows, "rows-ratio")
}

// rawRenewalRows measures how fast the database writes what a renewal
// writes, with no memberd logic: per membership an update of its billing
// columns, a payment row and two event rows copied from real ones, 500
// renewals to a transaction, one prepared statement per row.
func rawRenewalRows(b *testing.B, e *env) float64 {
	b.Helper()
	db := e.store.DB()
	var payCols, eventData string
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(db.QueryRow(`SELECT data FROM events WHERE type = 'payment.succeeded' LIMIT 1`).Scan(&eventData))
	payCols = `id, company_id, membership_id, user_id, member_id, plan_id, product_id, payment_method_id, billing_reason,
		currency, subtotal, total, created_at, status, substatus, updated_at, paid_at, last_attempt_at, payments_failed`
	type m struct{ id, user, member, plan, product string }
	var ms []m
	rows, err := db.Query(`SELECT id, user_id, member_id, plan_id, product_id FROM memberships`)
	must(err)
	for rows.Next() {
		var x m
		must(rows.Scan(&x.id, &x.user, &x.member, &x.plan, &x.product))
		ms = append(ms, x)
	}
	rows.Close()
	update, err := db.Prepare(e.store.Dialect().Rebind(`UPDATE memberships SET updated_at = ?, period_start = period_end, period_end = period_end + ?,
		paid_charges = paid_charges + 1, total_spend = total_spend + ?, payment_method_id = ?, due_at = due_at + ? WHERE id = ?`))
	must(err)
	pay, err := db.Prepare(e.store.Dialect().Rebind(`INSERT INTO payments (` + payCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'subscription_cycle', 'usd', ?, ?, ?, 'paid', 'succeeded', ?, ?, ?, 0)`))
	must(err)
	event, err := db.Prepare(e.store.Dialect().Rebind(`INSERT INTO events (id, company_id, type, object_id, membership_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`))
	must(err)
	defer update.Close()
	defer pay.Close()
	defer event.Close()
	const period = int64(30 * 24 * 3600 * 1000)
	now := time.Now().UnixMilli()
	start := time.Now()
	for i := 0; i < len(ms); i += 500 {
		tx, err := db.Begin()
		must(err)
		u, p, ev := tx.Stmt(update), tx.Stmt(pay), tx.Stmt(event)
		for _, x := range ms[i:min(i+500, len(ms))] {
			_, err := u.Exec(now, period, 1000000000, nil, period, x.id)
			must(err)
			pid := memberd.NewID(memberd.PrefixPayment)
			_, err = p.Exec(pid, e.company, x.id, x.user, x.member, x.plan, x.product, nil, 1000000000, 1000000000, now, now, now, now)
			must(err)
			for _, typ := range []string{"payment.created", "payment.succeeded"} {
				_, err = ev.Exec(memberd.NewID(memberd.PrefixMessage), e.company, typ, pid, x.id, eventData, now)
				must(err)
			}
		}
		must(tx.Commit())
	}
	return float64(len(ms)) / time.Since(start).Seconds()
}

// rawBatchedWrites measures the database's own rate of single-row updates
// (one prepared statement) batched 500 to a transaction, over the same rows
// memberd renews.
func rawBatchedWrites(b *testing.B, e *env, n int) float64 {
	b.Helper()
	db := e.store.DB()
	ids := make([]string, 0, n)
	rows, err := db.Query(`SELECT id FROM memberships`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	update, err := db.Prepare(e.store.Dialect().Rebind(`UPDATE memberships SET updated_at = updated_at + 1 WHERE id = ?`))
	if err != nil {
		b.Fatal(err)
	}
	defer update.Close()
	start := time.Now()
	for i := 0; i < len(ids); i += 500 {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st := tx.Stmt(update)
		for _, id := range ids[i:min(i+500, len(ids))] {
			if _, err := st.Exec(id); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(len(ids)) / time.Since(start).Seconds()
}
