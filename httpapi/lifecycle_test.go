package httpapi_test

import (
	"slices"
	"testing"
	"time"
)

// Whole stories through the test helpers: the clock moves, the server does
// the work that falls due, in order, with its events.

func (e *env) get(id string) response {
	e.t.Helper()
	return e.call("GET", "/api/v1/memberships/"+id, nil).membership(e.t)
}

func types(evs []map[string]any) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev["type"].(string))
	}
	return out
}

func TestStoryTrialToActiveToPastDueToRecovered(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	user := e.user("decline_renewals")
	m := e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": f.trial, "user_id": user}).membership(t)
	id := m.str("id")
	if m.str("status") != "trialing" || m.str("renewal_period_end") != "2026-03-15T09:00:00.000Z" {
		t.Fatalf("checkout %s", m.Body)
	}
	// Day 11: the trial warning. Day 14: the first paid charge (initial price).
	if got := types(e.advance(11 * day)); !slices.Equal(got, []string{"membership.trial_ending_soon"}) {
		t.Errorf("day 11: %v", got)
	}
	if got := types(e.advance(3 * day)); !slices.Equal(got, []string{"payment.created", "payment.succeeded"}) {
		t.Errorf("day 14: %v", got)
	}
	if r := e.get(id); r.str("status") != "active" || r.str("renewal_period_start") != "2026-03-15T09:00:00.000Z" {
		t.Errorf("after trial %s", r.Body)
	}
	// Day 44: the first renewal is declined.
	evs := e.advance(30 * day)
	if got := types(evs); !slices.Equal(got, []string{"payment.created", "payment.failed", "membership.deactivated"}) {
		t.Errorf("day 44: %v", got)
	}
	r := e.get(id)
	if r.str("status") != "past_due" {
		t.Fatalf("status %s", r.str("status"))
	}
	payments := e.call("GET", "/api/v1/payments?company_id="+e.company+"&membership_ids[]="+id+"&statuses[]=open", nil).want(t, 200)
	open := payments.get("data.0").(map[string]any)
	if open["substatus"] != "failed" || open["next_payment_attempt"] != "2026-04-15T09:00:00.000Z" || open["retryable"] != true ||
		open["voidable"] != true || open["billing_reason"] != "subscription_cycle" || open["total"].(float64) != 10 {
		t.Errorf("open payment %v", open)
	}
	// The customer fixes the card; the day-1 retry succeeds.
	e.call("POST", "/api/v1/test_helpers/payment_methods", map[string]any{"user_id": user, "behavior": "succeed"}).want(t, 200)
	if got := types(e.advance(day)); !slices.Equal(got, []string{"payment.succeeded", "membership.activated"}) {
		t.Errorf("day 45: %v", got)
	}
	r = e.get(id)
	if r.str("status") != "active" || r.str("renewal_period_end") != "2026-05-14T09:00:00.000Z" {
		t.Errorf("recovered %s", r.Body)
	}
	paid := e.call("GET", "/api/v1/payments/"+open["id"].(string), nil).want(t, 200)
	if paid.str("status") != "paid" || paid.str("substatus") != "succeeded" || paid.str("membership.status") != "active" || paid.get("payments_failed").(float64) != 1 {
		t.Errorf("payment %s", paid.Body)
	}
}

func TestStoryDunningGivesUp(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	id := e.checkout(f.monthly, "decline_renewals").str("id")
	evs := e.advance(60 * day)
	want := []string{"payment.created", "payment.failed", "membership.deactivated", "payment.failed", "payment.failed", "payment.failed"}
	if got := types(evs); !slices.Equal(got, want) {
		t.Errorf("events %v", got)
	}
	// Each event is stamped at its own due instant.
	var stamps []string
	for _, ev := range evs {
		stamps = append(stamps, ev["timestamp"].(string)[:10])
	}
	if !slices.Equal(stamps, []string{"2026-03-31", "2026-03-31", "2026-03-31", "2026-04-01", "2026-04-03", "2026-04-07"}) {
		t.Errorf("stamps %v", stamps)
	}
	if r := e.get(id); r.str("status") != "expired" {
		t.Errorf("status %s", r.str("status"))
	}
	p := e.call("GET", "/api/v1/payments?company_id="+e.company+"&membership_ids[]="+id, nil).want(t, 200)
	if p.str("data.0.status") != "uncollectible" || p.get("data.0.next_payment_attempt") != nil || p.get("data.0.retryable") != false {
		t.Errorf("payment %v", p.get("data.0"))
	}
	e.call("POST", "/api/v1/payments/"+p.str("data.0.id")+"/retry", nil).wantError(t, 400, "payment_not_retryable", "")
}

func TestStoryPauseAcrossPeriods(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	id := e.checkout(f.monthly, "").str("id")
	e.call("POST", "/api/v1/memberships/"+id+"/pause", map[string]any{}).membership(t)
	if got := e.advance(95 * day); len(got) != 0 {
		t.Errorf("a paused membership fired %v", types(got))
	}
	r := e.get(id)
	if r.str("status") != "active" || r.str("renewal_period_start") != "2026-05-30T09:00:00.000Z" || r.get("payment_collection_paused") != true {
		t.Errorf("paused for three periods: %s", r.Body)
	}
	e.call("POST", "/api/v1/memberships/"+id+"/resume", nil).membership(t)
	if got := types(e.advance(25 * day)); !slices.Equal(got, []string{"payment.created", "payment.succeeded"}) {
		t.Errorf("after resume: %v", got)
	}
	if r := e.get(id); r.str("renewal_period_start") != "2026-06-29T09:00:00.000Z" {
		t.Errorf("period %s", r.str("renewal_period_start"))
	}
}

func TestStoryAutoResumeAndVoid(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	id := e.checkout(f.monthly, "decline_renewals").str("id")
	e.advance(30 * day) // past_due, retry tomorrow
	r := e.call("POST", "/api/v1/memberships/"+id+"/pause", map[string]any{"void_payments": true, "resumes_at": "2026-05-15T00:00:00Z"}).membership(t)
	if r.str("status") != "past_due" {
		t.Errorf("status %s", r.str("status"))
	}
	p := e.call("GET", "/api/v1/payments?company_id="+e.company+"&membership_ids[]="+id, nil).want(t, 200)
	if p.str("data.0.status") != "void" {
		t.Errorf("payment %v", p.get("data.0"))
	}
	if got := e.advance(20 * day); len(got) != 0 { // no retries: the payment is void
		t.Errorf("events %v", types(got))
	}
	e.advance(30 * day) // resumes 2026-05-15; next period end 2026-05-30 charges
	r = e.get(id)
	if r.get("payment_collection_paused") != false {
		t.Errorf("did not resume: %s", r.Body)
	}
}

func TestStoryCancelLandsAndExpiry(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	sub := e.checkout(f.monthly, "").str("id")
	pass := e.checkout(f.pass, "").str("id")
	e.call("POST", "/api/v1/memberships/"+sub+"/cancel", map[string]any{"cancellation_mode": "at_period_end"}).membership(t)
	evs := e.advance(40 * day)
	var subEvents, passEvents []string
	for _, ev := range evs {
		switch ev["data"].(map[string]any)["id"] {
		case sub:
			subEvents = append(subEvents, ev["type"].(string))
		case pass:
			passEvents = append(passEvents, ev["type"].(string))
		}
	}
	if !slices.Equal(subEvents, []string{"membership.deactivated"}) || !slices.Equal(passEvents, []string{"membership.deactivated"}) {
		t.Errorf("events %v %v", subEvents, passEvents)
	}
	if e.get(sub).str("status") != "canceled" || e.get(pass).str("status") != "expired" {
		t.Error("cancel did not land or pass did not expire")
	}
	data := e.events(sub)
	last := data[len(data)-1]
	validate(t, "Membership", last.Data)
	if last.CreatedAt.Format(time.RFC3339) != "2026-03-31T09:00:00Z" {
		t.Errorf("landed at %v", last.CreatedAt)
	}
}

func TestClockHelpers(t *testing.T) {
	e := newEnv(t)
	r := e.call("GET", "/api/v1/test_helpers/clock", nil).want(t, 200)
	if r.str("now") != "2026-03-01T09:00:00.000Z" {
		t.Errorf("now %s", r.str("now"))
	}
	r = e.call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"to": "2026-04-01T00:00:00Z"}).want(t, 200)
	if r.str("now") != "2026-04-01T00:00:00.000Z" || r.get("events") == nil {
		t.Errorf("advance %s", r.Body)
	}
	e.clock.Add(time.Hour) // real time passes; the company clock runs with it
	if r := e.call("GET", "/api/v1/test_helpers/clock", nil); r.str("now") != "2026-04-01T01:00:00.000Z" {
		t.Errorf("now %s", r.str("now"))
	}
	e.call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"to": "2026-03-15T00:00:00Z"}).wantError(t, 400, "clock_cannot_move_backwards", "to")
	e.call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"seconds": -5}).wantError(t, 400, "parameter_invalid", "seconds")
	e.call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{}).wantError(t, 400, "parameter_missing", "seconds")
	e.call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"seconds": 1, "to": "2027-01-01T00:00:00Z"}).wantError(t, 400, "parameter_invalid", "to")
	t.Run("each company has its own clock", func(t *testing.T) {
		_, otherKey := e.newCompany("Other")
		if r := e.callKey(otherKey, "GET", "/api/v1/test_helpers/clock", nil); r.str("now") != "2026-03-01T10:00:00.000Z" {
			t.Errorf("other company's clock %s", r.str("now"))
		}
	})
	t.Run("without --test-helpers they do not exist", func(t *testing.T) {
		prod := newEnv(t, withoutTestHelpers)
		prod.call("GET", "/api/v1/test_helpers/clock", nil).wantError(t, 404, "", "")
		prod.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{}).wantError(t, 404, "", "")
	})
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := e.callKey("", "GET", path, nil); r.Status != 200 || r.str("status") != "ok" {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	e.store.Close()
	if r := e.callKey("", "GET", "/readyz", nil); r.Status != 503 {
		t.Errorf("readyz with the database closed: %d", r.Status)
	}
}
