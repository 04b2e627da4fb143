package service

import (
	"context"
	"math/big"
	"time"

	"github.com/memberd/memberd"
)

// Reads for the dashboard: status counts, the overview's aggregates, and
// events (a membership's timeline, what a clock move fired).

// MembershipCounts counts the memberships matching f, per status.
func (s *Service) MembershipCounts(ctx context.Context, f memberd.MembershipFilter) (map[memberd.Status]int, error) {
	var counts map[memberd.Status]int
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		counts, err = tx.CountMembershipsByStatus(ctx, f)
		return err
	})
	return counts, err
}

// MRR is the monthly recurring revenue in one currency.
type MRR struct {
	Currency    memberd.Currency
	Amount      memberd.Money
	Memberships int
}

// MRRDays is the length of the month MRR is normalized to.
const MRRDays = 30

// MonthlyRecurringRevenue is, per currency, the sum over the memberships
// that pay on renewal terms now (active, canceling or past_due, collection
// not paused) of their renewal price scaled to 30 days (price × 30 / billing
// period days), rounded to the currency's minor unit. Promo discounts are
// not taken off: it is the revenue at the prices the memberships were sold
// on.
func (s *Service) MonthlyRecurringRevenue(ctx context.Context, companyID string) ([]MRR, error) {
	var groups []memberd.RevenueGroup
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		groups, err = tx.RenewalRevenue(ctx, companyID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []MRR
	var sums []*big.Rat
	index := map[memberd.Currency]int{}
	for _, g := range groups {
		i, ok := index[g.Currency]
		if !ok {
			i = len(out)
			index[g.Currency] = i
			out = append(out, MRR{Currency: g.Currency})
			sums = append(sums, new(big.Rat))
		}
		monthly := new(big.Int).Mul(big.NewInt(int64(g.RenewalSum)), big.NewInt(MRRDays))
		sums[i].Add(sums[i], new(big.Rat).SetFrac(monthly, big.NewInt(int64(g.PeriodDays))))
		out[i].Memberships += g.Memberships
	}
	for i, r := range sums {
		// Round to a whole Money unit (half up), then to the currency's.
		r.Add(r, big.NewRat(1, 2))
		n := new(big.Int).Quo(r.Num(), r.Denom())
		out[i].Amount = memberd.Money(n.Int64()).Round(out[i].Currency)
	}
	return out, nil
}

// ChargeDay counts the subscription charges of one day.
type ChargeDay struct {
	Day    time.Time // midnight UTC
	Paid   int
	Failed int
}

// SubscriptionCharges counts the company's subscription charges (first
// charges after checkout or a trial, and renewals) per UTC day, for the days
// days that end with the company's today, oldest first: each charge on the
// day it was made, as paid or not (failing, uncollectible or void).
func (s *Service) SubscriptionCharges(ctx context.Context, companyID string, days int) ([]ChargeDay, error) {
	now, err := s.Now(ctx, companyID)
	if err != nil {
		return nil, err
	}
	from := now.Truncate(24*time.Hour).AddDate(0, 0, 1-days)
	var counts []memberd.DayCharges
	err = s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		counts, err = tx.SubscriptionChargesPerDay(ctx, companyID, from, days)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]ChargeDay, days)
	for i := range out {
		out[i].Day = from.AddDate(0, 0, i)
	}
	for _, c := range counts {
		out[c.Day].Paid, out[c.Day].Failed = c.Paid, c.Failed
	}
	return out, nil
}

// eventBatch is how many events one query of MembershipEvents reads.
const eventBatch = 1000

// MembershipEvents returns every event of a membership (its own and its
// payments'), oldest first.
func (s *Service) MembershipEvents(ctx context.Context, companyID, id string) ([]memberd.Event, error) {
	var all []memberd.Event
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		if _, err := tx.Membership(ctx, companyID, id); err != nil {
			return notFound(err, "Membership", id)
		}
		for after := int64(0); ; {
			evs, err := tx.ListEvents(ctx, memberd.EventFilter{CompanyID: companyID, MembershipID: id, AfterSeq: after, Limit: eventBatch})
			if err != nil {
				return err
			}
			all = append(all, evs...)
			if len(evs) < eventBatch {
				return nil
			}
			after = evs[len(evs)-1].Seq
		}
	})
	return all, err
}

// LastEventSeq is the sequence number of the company's newest event (0 when
// it has none): events numbered after it are newer.
func (s *Service) LastEventSeq(ctx context.Context, companyID string) (int64, error) {
	var seq int64
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		seq, err = tx.LastEventSeq(ctx, companyID)
		return err
	})
	return seq, err
}

// EventRange returns up to limit of the company's events numbered first to
// last, oldest first, and whether there are more of them.
func (s *Service) EventRange(ctx context.Context, companyID string, first, last int64, limit int) ([]memberd.Event, bool, error) {
	var evs []memberd.Event
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		evs, err = tx.ListEvents(ctx, memberd.EventFilter{CompanyID: companyID, AfterSeq: first - 1, Limit: limit + 1})
		return err
	})
	for i, e := range evs {
		if e.Seq > last {
			evs = evs[:i]
			break
		}
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	return evs, more, err
}
