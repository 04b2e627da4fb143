package memberd_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/memberd/memberd"
)

var (
	rules = DefaultRules
	t0    = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	day   = 24 * time.Hour
)

func at(d time.Duration) time.Time { return t0.Add(d) }
func tp(t time.Time) *time.Time    { return &t }

func monthly() Terms {
	return Terms{PlanType: PlanRenewal, BillingPeriodDays: 30, InitialPrice: MustMoney("10"), RenewalPrice: MustMoney("20"), Currency: "usd"}
}

// Chargers.
func pay(Charge) ChargeResult     { return ChargeResult{Paid: true} }
func decline(Charge) ChargeResult { return ChargeResult{FailureMessage: "declined"} }
func noCharge(t *testing.T) Charger {
	return func(c Charge) ChargeResult {
		t.Fatalf("unexpected charge of %s", c.Payment.Total)
		return ChargeResult{}
	}
}

// checkout builds a membership through the Checkout rule.
func checkout(t *testing.T, terms Terms, charge Charger) Billing {
	t.Helper()
	m := Membership{ID: NewID(PrefixMembership), CompanyID: "biz_test", UserID: "user_test", Terms: terms}
	o := rules.Checkout(m, t0, charge)
	return billingOf(o)
}

func billingOf(o Outcome) Billing {
	b := Billing{Membership: o.Membership}
	for i := range o.Payments {
		if o.Payments[i].ID == o.Membership.OpenPaymentID {
			p := o.Payments[i]
			b.Open = &p
		}
	}
	return b
}

// states builds a billing in each interesting state at t0+5d.
func states(t *testing.T) map[string]Billing {
	t.Helper()
	trial := monthly()
	trial.TrialDays = 14
	out := map[string]Billing{
		"trialing":        checkout(t, trial, noCharge(t)),
		"active":          checkout(t, monthly(), pay),
		"drafted":         checkout(t, monthly(), decline),
		"completed":       checkout(t, Terms{PlanType: PlanOneTime, InitialPrice: MustMoney("5"), Currency: "usd"}, pay),
		"active_one_time": checkout(t, Terms{PlanType: PlanOneTime, ExpirationDays: 30, InitialPrice: MustMoney("5"), Currency: "usd"}, pay),
	}
	o, err := rules.Cancel(out["active"], CancelParams{Mode: CancelAtPeriodEnd}, at(day))
	must(t, err)
	out["canceling"] = billingOf(o)
	o, err = rules.Cancel(out["active"], CancelParams{Mode: CancelImmediate}, at(day))
	must(t, err)
	out["canceled"] = billingOf(o)
	// past_due: the first renewal fails.
	pd := drive(t, out["active"], at(31*day), decline)
	out["past_due"] = pd.b
	exp := drive(t, out["active_one_time"], at(31*day), noCharge(t))
	out["expired"] = exp.b
	unresolved := out["active"]
	unresolved.Membership.Status = StatusUnresolved
	out["unresolved"] = unresolved
	for name, b := range out {
		if string(b.Membership.Status) != strings.TrimSuffix(name, "_one_time") {
			t.Fatalf("state %s has status %s", name, b.Membership.Status)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// driven is the result of driving a membership through time.
type driven struct {
	b        Billing
	events   []Emitted
	payments map[string]Payment
	works    []Work
}

// drive performs all work due on b up to until, in order, as the service's
// advance does, and collects what happened.
func drive(t *testing.T, b Billing, until time.Time, charge Charger) driven {
	t.Helper()
	d := driven{b: b, payments: map[string]Payment{}}
	if b.Open != nil {
		d.payments[b.Open.ID] = *b.Open
	}
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("drive: no progress")
		}
		w, ok := d.b.Membership.NextWork()
		if !ok || w.At.After(until) {
			return d
		}
		o := rules.Perform(d.b, w, charge)
		d.works = append(d.works, w)
		d.events = append(d.events, o.Events...)
		for _, p := range o.Payments {
			d.payments[p.ID] = p
		}
		d.b.Membership = o.Membership
		d.b.Open = nil
		if id := o.Membership.OpenPaymentID; id != "" {
			p := d.payments[id]
			d.b.Open = &p
		}
	}
}

func eventTypes(evs []Emitted) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	return out
}

func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func TestCheckout(t *testing.T) {
	trial := monthly()
	trial.TrialDays = 14
	shortTrial := monthly()
	shortTrial.TrialDays = 2
	free := monthly()
	free.InitialPrice, free.RenewalPrice = 0, 0
	lifetime := Terms{PlanType: PlanOneTime, InitialPrice: MustMoney("99"), Currency: "usd"}
	pass := Terms{PlanType: PlanOneTime, ExpirationDays: 7, InitialPrice: MustMoney("9"), Currency: "usd"}
	tests := []struct {
		name       string
		terms      Terms
		charge     Charger
		status     Status
		events     []string
		paid       Money
		periodEnd  *time.Time
		expiresAt  *time.Time
		openFailed bool
	}{
		{"paid renewal", monthly(), pay, StatusActive, []string{"payment.created", "payment.succeeded", "membership.activated"}, MustMoney("10"), tp(at(30 * day)), nil, false},
		{"declined renewal", monthly(), decline, StatusDrafted, []string{"payment.created", "payment.failed"}, 0, nil, nil, true},
		{"trial", trial, nil, StatusTrialing, []string{"membership.activated"}, 0, tp(at(14 * day)), nil, false},
		{"trial shorter than the warning", shortTrial, nil, StatusTrialing, []string{"membership.activated", "membership.trial_ending_soon"}, 0, tp(at(2 * day)), nil, false},
		{"free renewal", free, nil, StatusActive, []string{"membership.activated"}, 0, tp(at(30 * day)), nil, false},
		{"lifetime", lifetime, pay, StatusCompleted, []string{"payment.created", "payment.succeeded", "membership.activated"}, MustMoney("99"), nil, nil, false},
		{"expiring pass", pass, pay, StatusActive, []string{"payment.created", "payment.succeeded", "membership.activated"}, MustMoney("9"), nil, tp(at(7 * day)), false},
		{"declined one-time", lifetime, decline, StatusDrafted, []string{"payment.created", "payment.failed"}, 0, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			charge := tt.charge
			if charge == nil {
				charge = noCharge(t)
			}
			o := rules.Checkout(Membership{ID: "mem_x", Terms: tt.terms}, t0, charge)
			m := o.Membership
			if m.Status != tt.status {
				t.Errorf("status %s, want %s", m.Status, tt.status)
			}
			if got := eventTypes(o.Events); !slices.Equal(got, tt.events) {
				t.Errorf("events %v, want %v", got, tt.events)
			}
			if m.TotalSpend != tt.paid {
				t.Errorf("total spend %s, want %s", m.TotalSpend, tt.paid)
			}
			if !equalTime(m.PeriodEnd, tt.periodEnd) || !equalTime(m.ExpiresAt, tt.expiresAt) {
				t.Errorf("period end %v expires %v, want %v %v", m.PeriodEnd, m.ExpiresAt, tt.periodEnd, tt.expiresAt)
			}
			if tt.openFailed {
				if len(o.Payments) != 1 || o.Payments[0].Status != PaymentOpen || o.Payments[0].Substatus != SubstatusFailed || m.OpenPaymentID != o.Payments[0].ID {
					t.Errorf("want one open failed payment, got %+v", o.Payments)
				}
				if m.RetryAt != nil || o.Payments[0].NextAttemptAt != nil {
					t.Error("a failed checkout must not be retried")
				}
				if _, ok := m.NextWork(); ok {
					t.Error("a drafted membership must have no due work")
				}
			}
		})
	}
}

func equalTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// The operations of the v1 API, over every state: what each answers.
func TestOperationsByState(t *testing.T) {
	st := states(t)
	now := at(5 * day)
	type want struct {
		code   string // error code, or "" for success
		status Status
		events []string
	}
	ok := func(s Status, evs ...string) want { return want{status: s, events: evs} }
	fail := func(code string) want { return want{code: code} }
	ops := map[string]struct {
		op   func(Billing) (Outcome, error)
		want map[string]want
	}{
		"pause": {
			op: func(b Billing) (Outcome, error) { return rules.Pause(b, PauseParams{}, now) },
			want: map[string]want{
				"trialing": ok(StatusTrialing), "active": ok(StatusActive), "canceling": ok(StatusCanceling), "past_due": ok(StatusPastDue),
				"drafted": fail(CodeMembershipNotPausable), "completed": fail(CodeMembershipNotPausable), "active_one_time": fail(CodeMembershipNotPausable),
				"canceled": fail(CodeMembershipNotPausable), "expired": fail(CodeMembershipNotPausable), "unresolved": fail(CodeMembershipNotPausable),
			},
		},
		"cancel at period end": {
			op: func(b Billing) (Outcome, error) { return rules.Cancel(b, CancelParams{Mode: CancelAtPeriodEnd}, now) },
			want: map[string]want{
				"trialing": ok(StatusCanceling, "membership.cancel_at_period_end_changed"), "active": ok(StatusCanceling, "membership.cancel_at_period_end_changed"),
				"canceling": ok(StatusCanceling), "past_due": ok(StatusPastDue, "membership.cancel_at_period_end_changed"),
				"drafted": fail(CodeMembershipNotCancelable), "unresolved": fail(CodeMembershipNotCancelable),
				"completed": fail(CodeMembershipNotRecurring), "active_one_time": fail(CodeMembershipNotRecurring),
				"canceled": ok(StatusCanceled), "expired": fail(CodeMembershipExpired),
			},
		},
		"cancel immediately": {
			op: func(b Billing) (Outcome, error) { return rules.Cancel(b, CancelParams{Mode: CancelImmediate}, now) },
			want: map[string]want{
				"trialing": ok(StatusCanceled, "membership.deactivated"), "active": ok(StatusCanceled, "membership.deactivated"),
				"canceling": ok(StatusCanceled, "membership.deactivated"), "past_due": ok(StatusCanceled),
				"drafted": ok(StatusCanceled), "unresolved": ok(StatusCanceled),
				"completed": ok(StatusCanceled, "membership.deactivated"), "active_one_time": ok(StatusCanceled, "membership.deactivated"),
				"canceled": ok(StatusCanceled), "expired": fail(CodeMembershipExpired),
			},
		},
		"uncancel": {
			op: func(b Billing) (Outcome, error) { return rules.Uncancel(b, now) },
			want: map[string]want{
				"trialing": ok(StatusTrialing), "active": ok(StatusActive), "canceling": ok(StatusActive, "membership.cancel_at_period_end_changed"),
				"past_due": ok(StatusPastDue), "drafted": ok(StatusDrafted), "unresolved": ok(StatusUnresolved), "completed": ok(StatusCompleted),
				"active_one_time": ok(StatusActive), "canceled": ok(StatusCanceled), "expired": ok(StatusExpired),
			},
		},
		"add free days": {
			op: func(b Billing) (Outcome, error) { return rules.AddFreeDays(b, 7, now) },
			want: map[string]want{
				"trialing": ok(StatusTrialing), "active": ok(StatusActive), "canceling": ok(StatusCanceling), "past_due": ok(StatusPastDue),
				"active_one_time": ok(StatusActive),
				"drafted":         fail(CodeMembershipNotExtendable), "completed": fail(CodeMembershipNotExtendable), "unresolved": fail(CodeMembershipNotExtendable),
				"canceled": fail(CodeMembershipNotExtendable), "expired": fail(CodeMembershipNotExtendable),
			},
		},
		"resume": {
			op: func(b Billing) (Outcome, error) { return rules.Resume(b, now) },
			want: map[string]want{
				"trialing": ok(StatusTrialing), "active": ok(StatusActive), "canceling": ok(StatusCanceling), "past_due": ok(StatusPastDue),
				"drafted": ok(StatusDrafted), "completed": ok(StatusCompleted), "active_one_time": ok(StatusActive), "unresolved": ok(StatusUnresolved),
				"canceled": ok(StatusCanceled), "expired": ok(StatusExpired),
			},
		},
	}
	for opName, op := range ops {
		for stateName, b := range st {
			t.Run(opName+"/"+stateName, func(t *testing.T) {
				w, ok := op.want[stateName]
				if !ok {
					t.Fatalf("no expectation")
				}
				before, _ := json.Marshal(b)
				o, err := op.op(b)
				if after, _ := json.Marshal(b); string(before) != string(after) {
					t.Fatal("the rule changed its input")
				}
				if got := codeOf(err); got != w.code {
					t.Fatalf("error code %q (%v), want %q", got, err, w.code)
				}
				if err != nil {
					var e *Error
					if errors.As(err, &e); e.Kind != KindInvalid || !strings.Contains(e.Message, string(b.Membership.Status)) && !strings.Contains(e.Message, "one-time") {
						t.Errorf("a state conflict must be a 400 naming the state: %v", err)
					}
					return
				}
				if o.Membership.Status != w.status {
					t.Errorf("status %s, want %s", o.Membership.Status, w.status)
				}
				if got := eventTypes(o.Events); !slices.Equal(got, w.events) && !(len(got) == 0 && len(w.events) == 0) {
					t.Errorf("events %v, want %v", got, w.events)
				}
			})
		}
	}
}

func TestPause(t *testing.T) {
	st := states(t)
	now := at(5 * day)
	t.Run("resumes_at must be in the future", func(t *testing.T) {
		for _, r := range []time.Time{now, now.Add(-time.Second)} {
			_, err := rules.Pause(st["active"], PauseParams{ResumesAt: &r}, now)
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeParameterInvalid || e.Param != "resumes_at" {
				t.Errorf("resumes_at %v: %v", r, err)
			}
		}
	})
	t.Run("keeps status and access, fires nothing", func(t *testing.T) {
		o, err := rules.Pause(st["active"], PauseParams{ResumesAt: tp(at(60 * day))}, now)
		must(t, err)
		m := o.Membership
		if !m.CollectionPaused || !m.ResumesAt.Equal(at(60*day)) || m.Status != StatusActive || len(o.Events) != 0 || !m.UpdatedAt.Equal(now) {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("pausing again applies the new parameters", func(t *testing.T) {
		o, _ := rules.Pause(st["active"], PauseParams{ResumesAt: tp(at(60 * day))}, now)
		o2, err := rules.Pause(billingOf(o), PauseParams{}, now)
		must(t, err)
		if !o2.Membership.CollectionPaused || o2.Membership.ResumesAt != nil {
			t.Errorf("got %+v", o2.Membership)
		}
	})
	t.Run("void_payments voids the open payment and stops retries", func(t *testing.T) {
		b := st["past_due"]
		o, err := rules.Pause(b, PauseParams{VoidPayments: true}, at(32*day))
		must(t, err)
		m := o.Membership
		if m.OpenPaymentID != "" || m.RetryAt != nil || m.Status != StatusPastDue {
			t.Errorf("membership %+v", m)
		}
		if len(o.Payments) != 1 || o.Payments[0].ID != b.Open.ID || o.Payments[0].Status != PaymentVoid || o.Payments[0].NextAttemptAt != nil {
			t.Errorf("payments %+v", o.Payments)
		}
	})
	t.Run("without void_payments the open payment is still retried", func(t *testing.T) {
		o, err := rules.Pause(st["past_due"], PauseParams{}, at(32*day))
		must(t, err)
		if o.Membership.OpenPaymentID == "" || o.Membership.RetryAt == nil || len(o.Payments) != 0 {
			t.Errorf("got %+v", o.Membership)
		}
	})
}

func TestCancelAndUncancel(t *testing.T) {
	st := states(t)
	now := at(5 * day)
	t.Run("immediate voids the open payment", func(t *testing.T) {
		o, err := rules.Cancel(st["past_due"], CancelParams{Mode: CancelImmediate}, at(32*day))
		must(t, err)
		if len(o.Payments) != 1 || o.Payments[0].Status != PaymentVoid || o.Membership.OpenPaymentID != "" {
			t.Errorf("got %+v", o)
		}
		if o.Membership.CancelAtPeriodEnd || o.Membership.CanceledAt == nil {
			t.Errorf("flag %v canceled_at %v", o.Membership.CancelAtPeriodEnd, o.Membership.CanceledAt)
		}
		if _, ok := o.Membership.NextWork(); ok {
			t.Error("a canceled membership has no due work")
		}
	})
	t.Run("at period end sets the flag and canceled_at", func(t *testing.T) {
		o, err := rules.Cancel(st["active"], CancelParams{}, now)
		must(t, err)
		m := o.Membership
		if !m.CancelAtPeriodEnd || !m.CanceledAt.Equal(now) || m.CancelOption != "" {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("a customer cancel records the reason", func(t *testing.T) {
		o, err := rules.Cancel(st["active"], CancelParams{Option: "too_expensive", Reason: "price"}, now)
		must(t, err)
		if o.Membership.CancelOption != "too_expensive" || o.Membership.CancellationReason != "price" {
			t.Errorf("got %+v", o.Membership)
		}
	})
	t.Run("uncancel inside a trial goes back to trialing", func(t *testing.T) {
		o, _ := rules.Cancel(st["trialing"], CancelParams{}, now)
		o2, err := rules.Uncancel(billingOf(o), now)
		must(t, err)
		if o2.Membership.Status != StatusTrialing || o2.Membership.CanceledAt != nil || o2.Membership.CancelAtPeriodEnd {
			t.Errorf("got %+v", o2.Membership)
		}
	})
	t.Run("uncancel of a past_due membership keeps it past_due", func(t *testing.T) {
		o, _ := rules.Cancel(st["past_due"], CancelParams{}, at(32*day))
		if o.Membership.Status != StatusPastDue || !o.Membership.CancelAtPeriodEnd {
			t.Fatalf("got %+v", o.Membership)
		}
		o2, err := rules.Uncancel(billingOf(o), at(32*day))
		must(t, err)
		if o2.Membership.Status != StatusPastDue || o2.Membership.CancelAtPeriodEnd || eventTypes(o2.Events)[0] != "membership.cancel_at_period_end_changed" {
			t.Errorf("got %+v %v", o2.Membership, eventTypes(o2.Events))
		}
	})
}

func TestAddFreeDays(t *testing.T) {
	st := states(t)
	now := at(5 * day)
	for _, n := range []int{0, -1, 1096} {
		if _, err := rules.AddFreeDays(st["active"], n, now); codeOf(err) != CodeParameterInvalid {
			t.Errorf("free_days %d: %v", n, err)
		}
	}
	o, err := rules.AddFreeDays(st["active"], 1095, now)
	must(t, err)
	if !o.Membership.PeriodEnd.Equal(at(30*day + 1095*day)) {
		t.Errorf("period end %v", o.Membership.PeriodEnd)
	}
	o, err = rules.AddFreeDays(st["active_one_time"], 10, now)
	must(t, err)
	if !o.Membership.ExpiresAt.Equal(at(40 * day)) {
		t.Errorf("expires %v", o.Membership.ExpiresAt)
	}
	t.Run("moves the next charge", func(t *testing.T) {
		o, _ := rules.AddFreeDays(st["active"], 10, now)
		d := drive(t, billingOf(o), at(39*day), noCharge(t))
		if len(d.works) != 0 {
			t.Fatalf("work before the new period end: %v", d.works)
		}
		d = drive(t, billingOf(o), at(40*day), pay)
		if len(d.payments) != 1 || !d.b.Membership.PeriodStart.Equal(at(40*day)) {
			t.Errorf("got %+v", d.b.Membership)
		}
	})
	t.Run("trial warning fires again after the trial is extended", func(t *testing.T) {
		b := st["trialing"] // trial ends at 14d, warning at 11d
		d := drive(t, b, at(12*day), noCharge(t))
		if got := eventTypes(d.events); !slices.Equal(got, []string{"membership.trial_ending_soon"}) {
			t.Fatalf("events %v", got)
		}
		o, err := rules.AddFreeDays(d.b, 10, at(12*day)) // new end 24d: warning again at 21d
		must(t, err)
		d2 := drive(t, billingOf(o), at(22*day), noCharge(t))
		if got := eventTypes(d2.events); !slices.Equal(got, []string{"membership.trial_ending_soon"}) || !d2.works[0].At.Equal(at(21*day)) {
			t.Errorf("events %v at %v", got, d2.works)
		}
	})
	t.Run("no second warning if the new end is within the warning", func(t *testing.T) {
		d := drive(t, st["trialing"], at(12*day), noCharge(t))
		o, err := rules.AddFreeDays(d.b, 1, at(12*day)) // new end 15d, 3 days away
		must(t, err)
		d2 := drive(t, billingOf(o), at(15*day-time.Millisecond), noCharge(t))
		if len(d2.events) != 0 {
			t.Errorf("events %v", eventTypes(d2.events))
		}
	})
}

func TestMetadata(t *testing.T) {
	b := states(t)["active"]
	now := at(day)
	big := func(n int) string { return strings.Repeat("x", n) }
	manyKeys := map[string]string{}
	for i := range 51 {
		manyKeys[fmt.Sprint("k", i)] = "v"
	}
	tests := []struct {
		name string
		md   any
		ok   bool
	}{
		{"object", map[string]any{"hwid": "abc", "n": 1, "nested": map[string]any{"a": true}}, true},
		{"50 keys", func() map[string]string {
			m := map[string]string{}
			for i := range 50 {
				m[fmt.Sprint(i)] = "v"
			}
			return m
		}(), true},
		{"51 keys", manyKeys, false},
		{"500-char key", map[string]string{big(500): "v"}, true},
		{"501-char key", map[string]string{big(501): "v"}, false},
		{"5000-char value", map[string]string{"k": big(5000)}, true},
		{"5001-char value", map[string]string{"k": big(5001)}, false},
		{"long non-string value", map[string]any{"k": []string{big(3000), big(3000)}}, false},
		{"array", []string{"a"}, false},
		{"string", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, _ := json.Marshal(tt.md)
			o, err := rules.SetMetadata(b, raw, now)
			if tt.ok != (err == nil) {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Param != "metadata" || e.Code != CodeParameterInvalid {
					t.Errorf("error %+v", err)
				}
				return
			}
			if string(o.Membership.Metadata) != string(raw) || len(o.Events) != 0 {
				t.Errorf("got %s", o.Membership.Metadata)
			}
		})
	}
	o, err := rules.SetMetadata(b, nil, now)
	must(t, err)
	if o.Membership.Metadata != nil {
		t.Error("null must clear the metadata")
	}
}

func TestRenewals(t *testing.T) {
	b := checkout(t, monthly(), pay)
	t.Run("a 90-day jump renews three times, each at its own instant", func(t *testing.T) {
		d := drive(t, b, at(90*day), pay)
		var charged []time.Time
		var totals []string
		for _, w := range d.works {
			charged = append(charged, w.At)
		}
		for _, p := range d.payments {
			totals = append(totals, p.Total.String())
			if p.BillingReason != ReasonSubscriptionCycle || p.Status != PaymentPaid {
				t.Errorf("payment %+v", p)
			}
		}
		if !slices.EqualFunc(charged, []time.Time{at(30 * day), at(60 * day), at(90 * day)}, time.Time.Equal) {
			t.Errorf("renewals at %v", charged)
		}
		if !slices.Equal(totals, []string{"20", "20", "20"}) {
			t.Errorf("totals %v (renewals charge the renewal price)", totals)
		}
		m := d.b.Membership
		if !m.PeriodStart.Equal(at(90*day)) || !m.PeriodEnd.Equal(at(120*day)) || m.TotalSpend != MustMoney("70") || m.PaidCharges != 4 {
			t.Errorf("membership %+v", m)
		}
		if got := eventTypes(d.events); !slices.Equal(got, []string{"payment.created", "payment.succeeded", "payment.created", "payment.succeeded", "payment.created", "payment.succeeded"}) {
			t.Errorf("events %v", got)
		}
	})
	t.Run("trial to active charges the initial price", func(t *testing.T) {
		trial := monthly()
		trial.TrialDays = 7
		d := drive(t, checkout(t, trial, noCharge(t)), at(7*day), pay)
		if got := eventTypes(d.events); !slices.Equal(got, []string{"membership.trial_ending_soon", "payment.created", "payment.succeeded"}) {
			t.Errorf("events %v", got)
		}
		for _, p := range d.payments {
			if p.Total != MustMoney("10") || p.BillingReason != ReasonSubscriptionCreate {
				t.Errorf("payment %+v", p)
			}
		}
		if m := d.b.Membership; m.Status != StatusActive || m.InTrial || !m.PeriodEnd.Equal(at(37*day)) {
			t.Errorf("membership %+v", m)
		}
	})
	t.Run("trial end that fails goes past_due", func(t *testing.T) {
		trial := monthly()
		trial.TrialDays = 7
		d := drive(t, checkout(t, trial, noCharge(t)), at(7*day), decline)
		if got := eventTypes(d.events); !slices.Equal(got, []string{"membership.trial_ending_soon", "payment.created", "payment.failed", "membership.deactivated"}) {
			t.Errorf("events %v", got)
		}
		if d.b.Membership.Status != StatusPastDue {
			t.Errorf("status %s", d.b.Membership.Status)
		}
	})
	t.Run("a paused membership rolls without charging and resumes itself", func(t *testing.T) {
		o, err := rules.Pause(b, PauseParams{ResumesAt: tp(at(75 * day))}, at(day))
		must(t, err)
		d := drive(t, billingOf(o), at(89*day), pay)
		if len(d.payments) != 0 {
			t.Errorf("charged while paused: %v", d.payments)
		}
		if m := d.b.Membership; m.CollectionPaused || !m.PeriodEnd.Equal(at(90*day)) || m.Status != StatusActive {
			t.Errorf("membership %+v", m)
		}
		d = drive(t, d.b, at(90*day), pay)
		if len(d.payments) != 1 {
			t.Errorf("no charge after the resume: %v", d.works)
		}
	})
	t.Run("a paused trial becomes active without a charge; the first charge is the initial price", func(t *testing.T) {
		trial := monthly()
		trial.TrialDays = 7
		o, _ := rules.Pause(checkout(t, trial, noCharge(t)), PauseParams{}, at(day))
		d := drive(t, billingOf(o), at(20*day), noCharge(t))
		if m := d.b.Membership; m.Status != StatusActive || m.InTrial || m.PaidCharges != 0 {
			t.Fatalf("membership %+v", m)
		}
		r, _ := rules.Resume(d.b, at(20*day))
		d = drive(t, billingOf(r), at(37*day), pay)
		for _, p := range d.payments {
			if p.Total != MustMoney("10") || p.BillingReason != ReasonSubscriptionCreate {
				t.Errorf("payment %+v", p)
			}
		}
	})
	t.Run("a period-end cancel lands without a charge", func(t *testing.T) {
		o, _ := rules.Cancel(b, CancelParams{}, at(day))
		d := drive(t, billingOf(o), at(100*day), noCharge(t))
		if got := eventTypes(d.events); !slices.Equal(got, []string{"membership.deactivated"}) || !d.works[0].At.Equal(at(30*day)) {
			t.Errorf("events %v at %v", got, d.works)
		}
		if d.b.Membership.Status != StatusCanceled {
			t.Errorf("status %s", d.b.Membership.Status)
		}
	})
	t.Run("a one-time pass expires", func(t *testing.T) {
		d := drive(t, checkout(t, Terms{PlanType: PlanOneTime, ExpirationDays: 30, InitialPrice: 1, Currency: "usd"}, pay), at(40*day), noCharge(t))
		if d.b.Membership.Status != StatusExpired || !slices.Equal(eventTypes(d.events), []string{"membership.deactivated"}) || !d.works[0].At.Equal(at(30*day)) {
			t.Errorf("got %v %v", d.b.Membership.Status, eventTypes(d.events))
		}
	})
}

func TestDunning(t *testing.T) {
	b := checkout(t, monthly(), pay)
	t.Run("retries 1, 3 and 7 days after the failure, then expires", func(t *testing.T) {
		d := drive(t, b, at(60*day), decline)
		var when []time.Duration
		for _, w := range d.works {
			when = append(when, w.At.Sub(t0)/day)
		}
		if !slices.Equal(when, []time.Duration{30, 31, 33, 37}) {
			t.Errorf("work on days %v", when)
		}
		want := []string{"payment.created", "payment.failed", "membership.deactivated", "payment.failed", "payment.failed", "payment.failed"}
		if got := eventTypes(d.events); !slices.Equal(got, want) {
			t.Errorf("events %v", got)
		}
		if d.b.Membership.Status != StatusExpired || d.b.Membership.OpenPaymentID != "" {
			t.Errorf("membership %+v", d.b.Membership)
		}
		if len(d.payments) != 1 {
			t.Fatalf("payments %v", d.payments)
		}
		for _, p := range d.payments {
			if p.Status != PaymentUncollectible || p.PaymentsFailed != 4 || p.NextAttemptAt != nil {
				t.Errorf("payment %+v", p)
			}
		}
	})
	t.Run("a retry that succeeds reactivates", func(t *testing.T) {
		d := drive(t, b, at(31*day-time.Millisecond), decline)
		if d.b.Membership.Status != StatusPastDue || !d.b.Membership.RetryAt.Equal(at(31*day)) || !d.b.Open.NextAttemptAt.Equal(at(31*day)) {
			t.Fatalf("membership %+v", d.b.Membership)
		}
		d2 := drive(t, d.b, at(31*day), pay)
		if got := eventTypes(d2.events); !slices.Equal(got, []string{"payment.succeeded", "membership.activated"}) {
			t.Errorf("events %v", got)
		}
		if m := d2.b.Membership; m.Status != StatusActive || m.OpenPaymentID != "" || m.TotalSpend != MustMoney("30") || !m.PeriodEnd.Equal(at(60*day)) {
			t.Errorf("membership %+v", m)
		}
	})
	t.Run("a manual retry does not move the schedule", func(t *testing.T) {
		d := drive(t, b, at(30*day), decline)
		o, err := rules.RetryPayment(d.b, at(30*day+time.Hour), decline)
		must(t, err)
		if !o.Membership.RetryAt.Equal(at(31*day)) || o.Payments[0].PaymentsFailed != 2 {
			t.Errorf("got %+v %+v", o.Membership, o.Payments)
		}
		o, err = rules.RetryPayment(d.b, at(30*day+time.Hour), pay)
		must(t, err)
		if o.Membership.Status != StatusActive || o.Payments[0].Status != PaymentPaid {
			t.Errorf("got %+v", o.Membership)
		}
	})
	t.Run("retry and void refuse what they cannot do", func(t *testing.T) {
		if _, err := rules.RetryPayment(b, at(day), pay); codeOf(err) != CodePaymentNotRetryable {
			t.Errorf("retry without an open payment: %v", err)
		}
		if _, err := rules.VoidPayment(b, at(day)); codeOf(err) != CodePaymentNotVoidable {
			t.Errorf("void without an open payment: %v", err)
		}
		drafted := checkout(t, monthly(), decline)
		if _, err := rules.RetryPayment(drafted, at(day), pay); codeOf(err) != CodePaymentNotRetryable {
			t.Errorf("retry of a drafted checkout: %v", err)
		}
	})
	t.Run("void keeps past_due and stops retries", func(t *testing.T) {
		d := drive(t, b, at(30*day), decline)
		o, err := rules.VoidPayment(d.b, at(30*day+time.Hour))
		must(t, err)
		if o.Membership.Status != StatusPastDue || o.Membership.OpenPaymentID != "" || o.Payments[0].Status != PaymentVoid {
			t.Errorf("got %+v", o)
		}
		if w, _ := o.Membership.NextWork(); !w.At.Equal(at(60*day)) || w.Kind != WorkPeriodEnd {
			t.Errorf("next work %+v", w)
		}
	})
	t.Run("at most one open payment: a period ending during dunning rolls without a new charge", func(t *testing.T) {
		daily := monthly()
		daily.BillingPeriodDays = 1
		d := drive(t, checkout(t, daily, pay), at(3*day), decline)
		open := 0
		for _, p := range d.payments {
			if p.Status == PaymentOpen {
				open++
			}
		}
		if open != 1 || len(d.payments) != 1 {
			t.Errorf("payments %+v", d.payments)
		}
	})
}

func TestDiscount(t *testing.T) {
	for _, tt := range []struct {
		name      string
		d         Discount
		wantTotal []string
	}{
		{"percent once", Discount{Type: PromoPercentage, AmountOff: MustMoney("25"), Remaining: 1}, []string{"7.5", "20", "20"}},
		{"flat twice", Discount{Type: PromoFlatAmount, AmountOff: MustMoney("5"), Remaining: 2}, []string{"5", "15", "20"}},
		{"percent forever", Discount{Type: PromoPercentage, AmountOff: MustMoney("33.333"), Remaining: -1}, []string{"6.67", "13.33", "13.33"}},
		{"flat beyond the price", Discount{Type: PromoFlatAmount, AmountOff: MustMoney("50"), Remaining: -1}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := Membership{ID: "mem_x", Terms: monthly(), Discount: &tt.d}
			m.Terms.InitialPrice = MustMoney("10")
			o := rules.Checkout(m, t0, pay)
			d := drive(t, billingOf(o), at(60*day), pay)
			var totals []string
			for _, p := range o.Payments {
				totals = append(totals, p.Total.String())
			}
			for _, w := range d.works {
				for _, p := range d.payments {
					if p.CreatedAt.Equal(w.At) {
						totals = append(totals, p.Total.String())
					}
				}
			}
			if !slices.Equal(totals, tt.wantTotal) {
				t.Errorf("totals %v, want %v", totals, tt.wantTotal)
			}
			if tt.wantTotal == nil && d.b.Membership.Status != StatusActive {
				t.Errorf("a fully discounted membership stays active: %s", d.b.Membership.Status)
			}
		})
	}
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct{ in, out string }{{"10", "10"}, {"10.43", "10.43"}, {"0.00000001", "0.00000001"}, {"1e2", "100"}, {"0", "0"}, {"19.990", "19.99"}} {
		m, err := ParseMoney(tt.in)
		if err != nil || m.String() != tt.out {
			t.Errorf("%s: %v %v", tt.in, m, err)
		}
	}
	for _, bad := range []string{"-1", "0.000000001", "abc", "1e11", ""} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if got := MustMoney("10").Percent(MustMoney("12.5"), "usd"); got.String() != "1.25" {
		t.Errorf("percent %s", got)
	}
	if got := MustMoney("999").Percent(MustMoney("10"), "jpy"); got.String() != "100" {
		t.Errorf("jpy rounds to whole yen: %s", got)
	}
}
