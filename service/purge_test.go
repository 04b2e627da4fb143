package service_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/metrics"
	"github.com/memberd/memberd/scheduler"
	"github.com/memberd/memberd/service"
)

// The scheduler purges Idempotency-Key records past their retention, keeps
// the others, and counts the due work it performs.
func TestSchedulerPurgesAndCounts(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	now := e.clock.Now()
	for i, expires := range []time.Time{now.Add(day), now.Add(-time.Hour), now.Add(2 * day)} {
		r := memberd.IdempotencyRecord{CompanyID: e.company, Endpoint: "POST /x", Key: string(rune('a' + i)), Fingerprint: "f",
			Token: "t", LeaseUntil: expires, ExpiresAt: expires} // a and b expire when the clock moves a day
		if err := e.store.Update(ctx, func(tx memberd.Tx) error { _, _, err := tx.ReserveIdempotencyKey(ctx, &r, now); return err }); err != nil {
			t.Fatal(err)
		}
	}
	m := e.checkout(e.plan(service.PlanParams{BillingPeriod: intp(1), RenewalPrice: money("1")}))
	e.clock.Add(day)

	logPath := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reg := metrics.New()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		scheduler.New(e.svc, slog.New(slog.NewTextHandler(f, nil)), 10*time.Millisecond, 100).WithMetrics(reg).Run(runCtx)
		close(done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(logPath)
		got, err := e.svc.Membership(ctx, e.company, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "purged expired idempotency keys") && got.PaidCharges == 2 {
			if !strings.Contains(string(b), "count=2") {
				t.Errorf("want 2 purged:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no purge and renewal:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	live := memberd.IdempotencyRecord{CompanyID: e.company, Endpoint: "POST /x", Key: "c", Token: "u",
		LeaseUntil: now.Add(time.Minute), ExpiresAt: now.Add(3 * day)}
	var reserved bool
	e.store.Update(ctx, func(tx memberd.Tx) (err error) {
		_, reserved, err = tx.ReserveIdempotencyKey(ctx, &live, e.clock.Now())
		return err
	})
	if reserved {
		t.Error("the record that had not expired was purged")
	}
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "memberd_scheduler_memberships_processed_total 1\n") {
		t.Errorf("metrics:\n%s", rec.Body)
	}
}
