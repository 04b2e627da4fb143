package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/internal/testdb"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/sqlstore"
	"github.com/memberd/memberd/testpay"
)

// env is a service over a real database (SQLite, or PostgreSQL: see testdb), with a real clock the test
// holds still, and one company in test mode.
type env struct {
	tb      testing.TB
	store   *sqlstore.Store
	svc     *service.Service
	clock   *apitest.Clock
	company string
}

var start = apitest.Start

func newEnv(tb testing.TB, testMode ...bool) *env {
	tb.Helper()
	store := testdb.Open(tb)
	clock := apitest.NewClock(start)
	mode := len(testMode) == 0 || testMode[0]
	svc := service.New(service.Config{Store: store, Processor: testpay.Processor{}, Now: clock.Now, TestMode: mode,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	c, err := svc.CreateCompany(context.Background(), service.CompanyParams{Title: "Bench"})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{tb: tb, store: store, svc: svc, clock: clock, company: c.ID}
}

// plan creates a product and a plan with p and returns the plan's id.
func (e *env) plan(p service.PlanParams) string {
	e.tb.Helper()
	title := "Product"
	pr, err := e.svc.CreateProduct(context.Background(), e.company, service.ProductParams{Title: &title})
	if err != nil {
		e.tb.Fatal(err)
	}
	p.ProductID = &pr.ID
	pl, err := e.svc.CreatePlan(context.Background(), e.company, p)
	if err != nil {
		e.tb.Fatal(err)
	}
	return pl.ID
}

func (e *env) seedMemberships(plan string, n int) {
	e.tb.Helper()
	if err := e.svc.BulkCheckout(context.Background(), e.company, plan, "user", n, 2000, nil); err != nil {
		e.tb.Fatal(err)
	}
}

func money(s string) *memberd.Money { m := memberd.MustMoney(s); return &m }
func intp(n int) *int               { return &n }
