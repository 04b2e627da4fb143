package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// seedDemo fills an empty database with a demo company whose memberships
// are in most states, then prints an API key and an SDK snippet. On a
// database that has companies already it only prints a new key for the
// oldest one.
func seedDemo(ctx context.Context, svc *service.Service, baseURL string, w io.Writer) error {
	var existing []memberd.Company
	if err := svc.Store().View(ctx, func(tx memberd.Tx) error {
		var err error
		existing, err = tx.OldestCompanies(ctx, 1)
		return err
	}); err != nil {
		return err
	}
	var companyID string
	if len(existing) > 0 {
		companyID = existing[0].ID
	} else {
		var err error
		if companyID, err = seedCompany(ctx, svc); err != nil {
			return err
		}
	}
	_, secret, err := svc.CreateAPIKey(ctx, "", companyID, "demo", nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `
memberd demo is ready.

  company:  %[1]s
  API key:  %[2]s   (shown once; every permission)

Open the dashboard at %[3]s/ and sign in with the key.

Point the official SDK at it:

  export WHOP_API_KEY=%[2]s
  export WHOP_BASE_URL=%[3]s/api/v1

  // npm install @whop/sdk
  import Whop from '@whop/sdk';
  const client = new Whop(); // reads WHOP_API_KEY and WHOP_BASE_URL
  for await (const m of client.memberships.list({ company_id: '%[1]s' })) {
    console.log(m.id, m.status, m.user?.username);
  }

Move the company's clock a month forward and see what renews:

  curl -s -X POST %[3]s/api/v1/test_helpers/clock/advance \
    -H "Authorization: Bearer %[2]s" -H 'Content-Type: application/json' \
    -d '{"seconds": 2592000}'

`, companyID, secret, baseURL)
	return nil
}

func seedCompany(ctx context.Context, svc *service.Service) (string, error) {
	c, err := svc.CreateCompany(ctx, service.CompanyParams{Title: "Demo Fitness Co.", Description: "memberd's demo company"})
	if err != nil {
		return "", err
	}
	id := c.ID
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	money := func(s string) *memberd.Money { m := memberd.MustMoney(s); return &m }
	yes := true

	pro, err := svc.CreateProduct(ctx, id, service.ProductParams{Title: str("Pro Coaching"), Headline: str("Weekly plans and coach chat")})
	if err != nil {
		return "", err
	}
	course, err := svc.CreateProduct(ctx, id, service.ProductParams{Title: str("Strength Course")})
	if err != nil {
		return "", err
	}
	app, err := svc.CreateProduct(ctx, id, service.ProductParams{Title: str("Tracker App"), SoftwareLicensing: &yes})
	if err != nil {
		return "", err
	}
	plan := func(p service.PlanParams) (memberd.Plan, error) { return svc.CreatePlan(ctx, id, p) }
	monthly, err := plan(service.PlanParams{ProductID: &pro.ID, Title: str("Monthly"), BillingPeriod: num(30), RenewalPrice: money("29")})
	if err != nil {
		return "", err
	}
	trial, err := plan(service.PlanParams{ProductID: &pro.ID, Title: str("Monthly, 14-day trial"), BillingPeriod: num(30), TrialDays: num(14), RenewalPrice: money("29")})
	if err != nil {
		return "", err
	}
	annual, err := plan(service.PlanParams{ProductID: &pro.ID, Title: str("Annual"), BillingPeriod: num(365), RenewalPrice: money("290")})
	if err != nil {
		return "", err
	}
	oneTime := memberd.PlanOneTime
	lifetime, err := plan(service.PlanParams{ProductID: &course.ID, Title: str("Lifetime access"), PlanType: (*string)(&oneTime), InitialPrice: money("199")})
	if err != nil {
		return "", err
	}
	pass, err := plan(service.PlanParams{ProductID: &course.ID, Title: str("30-day pass"), PlanType: (*string)(&oneTime), InitialPrice: money("49"), ExpirationDays: num(30)})
	if err != nil {
		return "", err
	}
	license, err := plan(service.PlanParams{ProductID: &app.ID, Title: str("App license, monthly"), BillingPeriod: num(30), RenewalPrice: money("9.99")})
	if err != nil {
		return "", err
	}

	buy := func(username, name, planID, behavior string) (memberd.Membership, error) {
		u, err := svc.CreateUser(ctx, service.UserParams{Username: username, Name: name, Email: username + "@example.com"})
		if err != nil {
			return memberd.Membership{}, err
		}
		if behavior != "" {
			if _, err := svc.CreatePaymentMethod(ctx, id, u.ID, behavior); err != nil {
				return memberd.Membership{}, err
			}
		}
		m, _, err := svc.Checkout(ctx, id, service.CheckoutParams{PlanID: planID, UserID: u.ID})
		return m, err
	}
	// Bought a month ago: after the clock moves 31 days these have renewed,
	// failed to renew (past_due), expired or stayed lifetime.
	for _, b := range []struct{ user, name, plan, behavior string }{
		{"alice", "Alice Moreau", monthly.ID, ""},
		{"carol", "Carol Diaz", monthly.ID, memberd.BehaviorDeclineRenewals},
		{"frank", "Frank Osei", lifetime.ID, ""},
		{"grace", "Grace Kim", pass.ID, ""},
		{"judy", "Judy Novak", license.ID, ""},
		{"heidi", "Heidi Berg", monthly.ID, memberd.BehaviorDecline},
	} {
		if _, err := buy(b.user, b.name, b.plan, b.behavior); err != nil {
			return "", err
		}
	}
	now, err := svc.Now(ctx, id)
	if err != nil {
		return "", err
	}
	if _, _, err := svc.Advance(ctx, id, now.Add(31*24*time.Hour)); err != nil {
		return "", err
	}
	// Bought just now: trialing, canceling, canceled, paused.
	if _, err := buy("bob", "Bob Tanaka", trial.ID, ""); err != nil {
		return "", err
	}
	dave, err := buy("dave", "Dave Ruiz", monthly.ID, "")
	if err != nil {
		return "", err
	}
	if _, err := svc.Cancel(ctx, id, dave.ID, memberd.CancelParams{}); err != nil {
		return "", err
	}
	erin, err := buy("erin", "Erin Walsh", monthly.ID, "")
	if err != nil {
		return "", err
	}
	if _, err := svc.Cancel(ctx, id, erin.ID, memberd.CancelParams{Mode: memberd.CancelImmediate}); err != nil {
		return "", err
	}
	ivan, err := buy("ivan", "Ivan Petrov", annual.ID, "")
	if err != nil {
		return "", err
	}
	if _, err := svc.Pause(ctx, id, ivan.ID, memberd.PauseParams{}); err != nil {
		return "", err
	}
	return id, nil
}
