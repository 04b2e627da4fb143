package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/scheduler"
	"github.com/memberd/memberd/service"
)

const day = 24 * time.Hour

func (e *env) checkout(plan string) memberd.Membership {
	e.tb.Helper()
	u, err := e.svc.CreateUser(context.Background(), service.UserParams{Username: memberd.NewID("u")})
	if err != nil {
		e.tb.Fatal(err)
	}
	m, _, err := e.svc.Checkout(context.Background(), e.company, service.CheckoutParams{PlanID: plan, UserID: u.ID})
	if err != nil {
		e.tb.Fatal(err)
	}
	return m
}

func (e *env) events(membership string) []memberd.Event {
	e.tb.Helper()
	var evs []memberd.Event
	err := e.store.View(context.Background(), func(tx memberd.Tx) error {
		var err error
		evs, err = tx.ListEvents(context.Background(), memberd.EventFilter{CompanyID: e.company, MembershipID: membership})
		return err
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	return evs
}

// In production (no test mode) the scheduler works on real time: a renewal
// happens once its instant has passed, stamped at that instant.
func TestProcessDueOnRealTime(t *testing.T) {
	e := newEnv(t, false)
	plan := e.plan(service.PlanParams{BillingPeriod: intp(30), RenewalPrice: money("10")})
	m := e.checkout(plan)
	ctx := context.Background()
	if n, err := e.svc.ProcessDue(ctx, 100); err != nil || n != 0 {
		t.Fatalf("nothing is due yet: %d %v", n, err)
	}
	e.clock.Add(30*day + 5*time.Hour) // the scheduler runs late
	if n, err := e.svc.ProcessDue(ctx, 100); err != nil || n != 1 {
		t.Fatalf("processed %d (%v), want 1", n, err)
	}
	got, err := e.svc.Membership(ctx, e.company, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.PeriodStart.Equal(start.Add(30*day)) || got.PaidCharges != 2 {
		t.Errorf("after renewal: period %v, %d charges", got.PeriodStart, got.PaidCharges)
	}
	evs := e.events(m.ID)
	last := evs[len(evs)-1]
	if last.Type != memberd.EventPaymentSucceeded || !last.CreatedAt.Equal(start.Add(30*day)) {
		t.Errorf("last event %s at %v, want payment.succeeded at the due instant", last.Type, last.CreatedAt)
	}
	if n, _ := e.svc.ProcessDue(ctx, 100); n != 0 {
		t.Errorf("processed %d again", n)
	}
}

// In test mode each company's due work is done by its own clock.
func TestProcessDuePerCompanyClock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plan := e.plan(service.PlanParams{BillingPeriod: intp(30), RenewalPrice: money("10")})
	ahead := e.checkout(plan)
	other := *e
	c, err := e.svc.CreateCompany(ctx, service.CompanyParams{Title: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	other.company = c.ID
	behind := other.checkout(other.plan(service.PlanParams{BillingPeriod: intp(30), RenewalPrice: money("10")}))
	// Move the first company's clock 29 days; real time then passes 2 days.
	if _, _, err := e.svc.Advance(ctx, e.company, start.Add(29*day)); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * day)
	n, err := e.svc.ProcessDue(ctx, 100)
	if err != nil || n != 1 {
		t.Fatalf("processed %d (%v), want only the company whose clock passed day 30", n, err)
	}
	a, _ := e.svc.Membership(ctx, e.company, ahead.ID)
	b, _ := other.svc.Membership(ctx, other.company, behind.ID)
	if a.PaidCharges != 2 || b.PaidCharges != 1 {
		t.Errorf("renewals: ahead %d, behind %d", a.PaidCharges, b.PaidCharges)
	}
}

// An advance over more memberships than one batch performs every piece of
// work in chronological order across memberships and batches.
func TestAdvanceOrderAcrossBatches(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	weekly := e.plan(service.PlanParams{BillingPeriod: intp(7), RenewalPrice: money("3")})
	daily := e.plan(service.PlanParams{BillingPeriod: intp(1), RenewalPrice: money("1")})
	if err := e.svc.BulkCheckout(ctx, e.company, weekly, "w", 700, 350, nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	if err := e.svc.BulkCheckout(ctx, e.company, daily, "d", 300, 300, nil); err != nil {
		t.Fatal(err)
	}
	_, evs, err := e.svc.Advance(ctx, e.company, start.Add(time.Hour+20*day))
	if err != nil {
		t.Fatal(err)
	}
	perMembership := map[string]int{}
	for i, ev := range evs {
		if i > 0 && ev.CreatedAt.Before(evs[i-1].CreatedAt) {
			t.Fatalf("event %d at %v after one at %v", i, ev.CreatedAt, evs[i-1].CreatedAt)
		}
		if ev.Type == memberd.EventPaymentSucceeded {
			perMembership[ev.MembershipID]++
		}
	}
	weeklyN, dailyN := 0, 0
	for _, n := range perMembership {
		switch n {
		case 2: // days 7 and 14
			weeklyN++
		case 20: // days 1 through 20
			dailyN++
		default:
			t.Fatalf("a membership renewed %d times", n)
		}
	}
	if weeklyN != 700 || dailyN != 300 {
		t.Errorf("%d weekly and %d daily memberships renewed", weeklyN, dailyN)
	}
	now, _ := e.svc.Now(ctx, e.company)
	if !now.Equal(start.Add(time.Hour + 20*day)) {
		t.Errorf("clock at %v", now)
	}
}

// The scheduler loop performs due work as real time passes and stops with
// its context.
func TestSchedulerRun(t *testing.T) {
	e := newEnv(t, false)
	plan := e.plan(service.PlanParams{BillingPeriod: intp(1), RenewalPrice: money("1")})
	m := e.checkout(plan)
	e.clock.Add(day + time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		scheduler.New(e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)), 10*time.Millisecond, 100).Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := e.svc.Membership(context.Background(), e.company, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PaidCharges == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not renew the membership")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
