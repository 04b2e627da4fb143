package memberd_test

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	. "github.com/memberd/memberd"
)

// A model-based test of the lifecycle rules: random operations and clock
// moves over many memberships, with the invariants of LIFECYCLE.md checked
// after every step.

type modelMembership struct {
	b        Billing
	card     string // succeed, decline, decline_renewals or flaky
	payments map[string]Payment
}

type model struct {
	t    *testing.T
	rng  *rand.Rand
	now  time.Time
	ms   []*modelMembership
	step int
	log  []string // the steps so far, for failure messages
}

func (w *model) charger(mm *modelMembership, attempts *int) Charger {
	return func(c Charge) ChargeResult {
		*attempts++
		switch mm.card {
		case "decline":
			return ChargeResult{FailureMessage: "declined"}
		case "decline_renewals":
			if c.Payment.BillingReason == ReasonSubscriptionCycle {
				return ChargeResult{FailureMessage: "declined"}
			}
		case "flaky":
			if w.rng.IntN(2) == 0 {
				return ChargeResult{FailureMessage: "declined"}
			}
		}
		return ChargeResult{Paid: true}
	}
}

func randomTerms(rng *rand.Rand) Terms {
	switch rng.IntN(6) {
	case 0:
		return Terms{PlanType: PlanOneTime, InitialPrice: MustMoney("49"), Currency: "usd"}
	case 1:
		return Terms{PlanType: PlanOneTime, ExpirationDays: 1 + rng.IntN(60), InitialPrice: MustMoney("9"), Currency: "usd"}
	case 2:
		return Terms{PlanType: PlanRenewal, BillingPeriodDays: 30, TrialDays: 1 + rng.IntN(20), InitialPrice: MustMoney("10"), RenewalPrice: MustMoney("20"), Currency: "usd"}
	case 3:
		return Terms{PlanType: PlanRenewal, BillingPeriodDays: 1 + rng.IntN(10), InitialPrice: MustMoney("1"), RenewalPrice: MustMoney("1"), Currency: "usd"}
	case 4:
		return Terms{PlanType: PlanRenewal, BillingPeriodDays: 30, Currency: "usd"} // free
	}
	return Terms{PlanType: PlanRenewal, BillingPeriodDays: 30, InitialPrice: MustMoney("29"), RenewalPrice: MustMoney("29"), Currency: "usd"}
}

var cards = []string{"succeed", "succeed", "decline", "decline_renewals", "flaky"}

// apply runs one rule on mm and checks the invariants of the step.
func (w *model) apply(mm *modelMembership, op string, f func(b Billing, charge Charger) (Outcome, error)) {
	w.t.Helper()
	w.step++
	w.log = append(w.log, fmt.Sprintf("%d %s %s@%s", w.step, op, mm.b.Membership.ID, w.now.Format(time.DateOnly)))
	pre := mm.b
	attempts := 0
	o, err := f(pre, w.charger(mm, &attempts))
	if err != nil {
		if ErrorKind(err) != KindInvalid {
			w.fail("%s: %v", op, err)
		}
		if attempts > 0 {
			w.fail("%s was refused but charged", op)
		}
		return
	}
	w.check(mm, op, pre, o, attempts)
	mm.b.Membership = o.Membership
	for _, p := range o.Payments {
		mm.payments[p.ID] = p
	}
	mm.b.Open = nil
	if id := o.Membership.OpenPaymentID; id != "" {
		p := mm.payments[id]
		mm.b.Open = &p
	}
	w.checkState(mm)
}

func (w *model) fail(format string, args ...any) {
	w.t.Helper()
	tail := w.log
	if len(tail) > 15 {
		tail = tail[len(tail)-15:]
	}
	w.t.Fatalf("step %d: %s\nlast steps:\n%v", w.step, fmt.Sprintf(format, args...), tail)
}

// check verifies the events and payments of one step against its pre and
// post states.
func (w *model) check(mm *modelMembership, op string, pre Billing, o Outcome, attempts int) {
	w.t.Helper()
	post := o.Membership
	count := map[EventType]int{}
	for _, e := range o.Events {
		count[e.Type]++
		if e.Membership.ID != post.ID {
			w.fail("event about another membership")
		}
	}
	wasValid := pre.Membership.Valid() && op != "checkout"
	want := func(t EventType, n int) {
		if count[t] != n {
			w.fail("%s fired %d %s, want %d (%s -> %s)", op, count[t], t, n, pre.Membership.Status, post.Status)
		}
	}
	want(EventMembershipActivated, b2i(!wasValid && post.Valid()))
	want(EventMembershipDeactivated, b2i(wasValid && !post.Valid()))
	flagToggled := pre.Membership.CancelAtPeriodEnd != post.CancelAtPeriodEnd && (op == "cancel at_period_end" || op == "uncancel")
	want(EventMembershipCancelChanged, b2i(flagToggled))
	if op != "trial_warning" && op != "checkout" {
		want(EventMembershipTrialEndingSoon, 0)
	}
	if op == "trial_warning" {
		want(EventMembershipTrialEndingSoon, 1)
	}

	// Payments: created, paid and failed as the events say; nothing charged
	// while paused or after the end; a paid payment never changes.
	created, paid, failed := 0, 0, 0
	for _, p := range o.Payments {
		old, existed := mm.payments[p.ID]
		if !existed {
			created++
			if pre.Membership.CollectionPaused && op != "checkout" {
				w.fail("%s created a charge while collection was paused", op)
			}
			if p.Status == PaymentPaid {
				paid++
			}
			failed += p.PaymentsFailed
			continue
		}
		if old.Status == PaymentPaid && !reflect.DeepEqual(p, old) {
			w.fail("%s changed a paid payment", op)
		}
		if old.Status != PaymentPaid && p.Status == PaymentPaid {
			paid++
		}
		failed += p.PaymentsFailed - old.PaymentsFailed
	}
	want(EventPaymentCreated, created)
	want(EventPaymentSucceeded, paid)
	want(EventPaymentFailed, failed)
	switch pre.Membership.Status {
	case StatusCanceled, StatusExpired, StatusCompleted:
		if op != "checkout" && attempts > 0 {
			w.fail("%s charged a %s membership", op, pre.Membership.Status)
		}
	}

	// Periods: a roll starts where the last period ended and lasts one
	// billing period; otherwise only free days move the end, later.
	if pre.Membership.PeriodStart != nil && post.PeriodStart != nil && !post.PeriodStart.Equal(*pre.Membership.PeriodStart) {
		if !post.PeriodStart.Equal(*pre.Membership.PeriodEnd) {
			w.fail("%s: new period starts %v, the last ended %v", op, post.PeriodStart, pre.Membership.PeriodEnd)
		}
		if !post.PeriodEnd.Equal(post.PeriodStart.Add(post.Terms.Period())) {
			w.fail("%s: period %v..%v is not one billing period", op, post.PeriodStart, post.PeriodEnd)
		}
	}
	if pre.Membership.PeriodEnd != nil && post.PeriodEnd != nil && post.PeriodEnd.Before(*pre.Membership.PeriodEnd) {
		w.fail("%s moved the period end back", op)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkState verifies what must hold of every membership at all times.
func (w *model) checkState(mm *modelMembership) {
	w.t.Helper()
	m := mm.b.Membership
	open, spend, paidCount := 0, Money(0), 0
	for _, p := range mm.payments {
		switch p.Status {
		case PaymentOpen:
			open++
			if p.ID != m.OpenPaymentID {
				w.fail("open payment %s is not the membership's open payment %q", p.ID, m.OpenPaymentID)
			}
		case PaymentPaid:
			spend += p.Total
			paidCount++
		}
	}
	if open > 1 {
		w.fail("%d open payments", open)
	}
	if (m.OpenPaymentID != "") != (open == 1) {
		w.fail("open payment id %q, %d open", m.OpenPaymentID, open)
	}
	if spend != m.TotalSpend || paidCount != m.PaidCharges {
		w.fail("total spend %s from %d paid payments, membership says %s and %d", spend, paidCount, m.TotalSpend, m.PaidCharges)
	}
	if m.Status == StatusCanceling && !m.CancelAtPeriodEnd {
		w.fail("canceling without cancel_at_period_end")
	}
	if m.CancelAtPeriodEnd && m.Status != StatusCanceling && m.Status != StatusPastDue {
		w.fail("cancel_at_period_end on a %s membership", m.Status)
	}
	switch m.Status {
	case StatusCanceled, StatusExpired, StatusCompleted, StatusDrafted:
		if _, ok := m.NextWork(); ok {
			w.fail("a %s membership has due work", m.Status)
		}
		if m.Status != StatusDrafted && m.OpenPaymentID != "" {
			w.fail("a %s membership has an open payment", m.Status)
		}
	case StatusPastDue:
		if m.Valid() {
			w.fail("past_due grants access")
		}
	}
	if m.InTrial && m.Status != StatusTrialing && m.Status != StatusCanceling {
		w.fail("in a trial but %s", m.Status)
	}
	if m.Terms.Renewal() && m.PeriodStart != nil && !m.PeriodStart.Before(*m.PeriodEnd) {
		w.fail("empty period %v..%v", m.PeriodStart, m.PeriodEnd)
	}
	if m.UpdatedAt.After(w.now) {
		w.fail("updated_at %v is after now %v", m.UpdatedAt, w.now)
	}
}

// advance moves the clock, performing due work over all memberships in
// chronological order, as the service's clock advance does.
func (w *model) advance(d time.Duration) {
	target := w.now.Add(d)
	q := modelQueue{}
	for _, mm := range w.ms {
		if wk, ok := mm.b.Membership.NextWork(); ok && !wk.At.After(target) {
			heap.Push(&q, modelItem{mm, wk})
		}
	}
	last := w.now
	for q.Len() > 0 {
		it := heap.Pop(&q).(modelItem)
		if wk, ok := it.mm.b.Membership.NextWork(); !ok || wk != it.w {
			w.fail("queued work went stale")
		}
		if it.w.At.Before(last) {
			w.fail("work at %v performed after work at %v", it.w.At, last)
		}
		last = it.w.At
		w.now = it.w.At
		w.apply(it.mm, it.w.Kind.String(), func(b Billing, charge Charger) (Outcome, error) {
			return rules.Perform(b, it.w, charge), nil
		})
		if wk, ok := it.mm.b.Membership.NextWork(); ok && !wk.At.After(target) {
			if !wk.At.After(it.w.At) && wk.Kind <= it.w.Kind {
				w.fail("work did not move on: %v then %v", it.w, wk)
			}
			heap.Push(&q, modelItem{it.mm, wk})
		}
	}
	w.now = target
	for _, mm := range w.ms {
		if wk, ok := mm.b.Membership.NextWork(); ok && !wk.At.After(w.now) {
			w.fail("work due at %v left undone at %v", wk.At, w.now)
		}
	}
}

type modelItem struct {
	mm *modelMembership
	w  Work
}

type modelQueue []modelItem

func (q modelQueue) Len() int { return len(q) }
func (q modelQueue) Less(i, j int) bool {
	if !q[i].w.At.Equal(q[j].w.At) {
		return q[i].w.At.Before(q[j].w.At)
	}
	return q[i].w.Kind < q[j].w.Kind
}
func (q modelQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *modelQueue) Push(x any)   { *q = append(*q, x.(modelItem)) }
func (q *modelQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

func TestModel(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			w := &model{t: t, rng: rand.New(rand.NewPCG(uint64(seed), 7)), now: t0}
			for range 400 {
				w.randomStep()
			}
		})
	}
}

func (w *model) randomStep() {
	rng := w.rng
	if len(w.ms) == 0 || rng.IntN(8) == 0 {
		mm := &modelMembership{card: cards[rng.IntN(len(cards))], payments: map[string]Payment{}}
		mm.b.Membership = Membership{ID: NewID(PrefixMembership), Terms: randomTerms(rng)}
		if rng.IntN(4) == 0 {
			mm.b.Membership.Discount = &Discount{Type: PromoPercentage, AmountOff: MustMoney("50"), Remaining: rng.IntN(3) - 1}
		}
		w.ms = append(w.ms, mm)
		w.apply(mm, "checkout", func(b Billing, charge Charger) (Outcome, error) {
			return rules.Checkout(b.Membership, w.now, charge), nil
		})
		return
	}
	mm := w.ms[rng.IntN(len(w.ms))]
	if rng.IntN(10) == 0 {
		mm.card = cards[rng.IntN(len(cards))]
	}
	now := w.now
	switch rng.IntN(11) {
	case 0:
		p := PauseParams{VoidPayments: rng.IntN(2) == 0}
		if rng.IntN(2) == 0 {
			p.ResumesAt = tp(now.Add(time.Duration(1+rng.IntN(90*24)) * time.Hour))
		}
		w.apply(mm, "pause", func(b Billing, _ Charger) (Outcome, error) { return rules.Pause(b, p, now) })
	case 1:
		w.apply(mm, "resume", func(b Billing, _ Charger) (Outcome, error) { return rules.Resume(b, now) })
	case 2:
		w.apply(mm, "cancel at_period_end", func(b Billing, _ Charger) (Outcome, error) {
			return rules.Cancel(b, CancelParams{Mode: CancelAtPeriodEnd}, now)
		})
	case 3:
		if rng.IntN(3) == 0 {
			w.apply(mm, "cancel immediate", func(b Billing, _ Charger) (Outcome, error) {
				return rules.Cancel(b, CancelParams{Mode: CancelImmediate}, now)
			})
		}
	case 4:
		w.apply(mm, "uncancel", func(b Billing, _ Charger) (Outcome, error) { return rules.Uncancel(b, now) })
	case 5:
		days := 1 + rng.IntN(40)
		w.apply(mm, "add_free_days", func(b Billing, _ Charger) (Outcome, error) { return rules.AddFreeDays(b, days, now) })
	case 6:
		w.apply(mm, "retry", func(b Billing, charge Charger) (Outcome, error) { return rules.RetryPayment(b, now, charge) })
	case 7:
		w.apply(mm, "void", func(b Billing, _ Charger) (Outcome, error) { return rules.VoidPayment(b, now) })
	default:
		w.advance(time.Duration(rng.IntN(45*24)) * time.Hour)
	}
}
