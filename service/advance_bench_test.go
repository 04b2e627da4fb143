package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// BenchmarkAdvance30Days moves a company's clock 30 days over N monthly
// memberships (BENCH_MEMBERSHIPS, default 100,000): N renewals, each a
// payment and its events. It reports renewals per second beside the raw
// batched-write rate of the same database, measured in the same run, and
// their ratio.
//
//	go test ./service -run '^$' -bench Advance30Days -benchtime 1x
func BenchmarkAdvance30Days(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_MEMBERSHIPS")); err == nil {
		n = v
	}
	ctx := context.Background()
	e := newEnv(b, filepath.Join(b.TempDir(), "bench.db"))
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
	b.ReportMetric(rate, "renewals/s")
	b.ReportMetric(raw, "raw-writes/s")
	b.ReportMetric(rate/raw, "ratio")
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
	update, err := db.Prepare(`UPDATE memberships SET updated_at = updated_at + 1 WHERE id = ?`)
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
