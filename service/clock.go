package service

import (
	"container/heap"
	"context"
	"time"

	"github.com/memberd/memberd"
)

// advanceBatch is how many due memberships one transaction of a clock
// advance takes on; it bounds transaction size on a 100,000-membership jump.
const advanceBatch = 500

// MaxClockMove bounds one clock move (ten years).
const MaxClockMove = 10 * 366 * 24 * time.Hour

// ClockMove says how far to move a company's clock: by Seconds or To an
// instant, exactly one of them.
type ClockMove struct {
	Seconds *int
	To      *time.Time
}

// MoveClock checks a move (what the test helper and the dashboard accept:
// forward, at most MaxClockMove) and makes it with Advance.
func (s *Service) MoveClock(ctx context.Context, companyID string, m ClockMove) (time.Time, []memberd.Event, error) {
	switch {
	case m.Seconds == nil && m.To == nil:
		return time.Time{}, nil, memberd.Missing("seconds")
	case m.Seconds != nil && m.To != nil:
		return time.Time{}, nil, memberd.Invalid("to", "Give seconds or to, not both.")
	case m.Seconds != nil && (*m.Seconds < 0 || time.Duration(*m.Seconds)*time.Second > MaxClockMove):
		return time.Time{}, nil, memberd.Invalid("seconds", "seconds must be from 0 to %d.", int(MaxClockMove.Seconds()))
	}
	now, err := s.Now(ctx, companyID)
	if err != nil {
		return time.Time{}, nil, err
	}
	var target time.Time
	if m.Seconds != nil {
		target = now.Add(time.Duration(*m.Seconds) * time.Second)
	} else {
		target = *m.To
		if target.Sub(now) > MaxClockMove {
			return time.Time{}, nil, memberd.Invalid("to", "to may be at most ten years after the company's time.")
		}
	}
	return s.Advance(ctx, companyID, target)
}

// Advance moves the company's clock forward to `to` (test mode only),
// performing every piece of work that falls due on the way, in chronological
// order, each stamped at its own due instant. It returns when all of it is
// done, with the clock's new time and the events fired.
//
// Work is taken in batches, each its own transaction that also moves the
// clock to the last instant it completed, so a crash leaves a consistent
// state: the clock stands where the work stopped.
func (s *Service) Advance(ctx context.Context, companyID string, to time.Time) (time.Time, []memberd.Event, error) {
	to = to.UTC().Truncate(time.Millisecond)
	var all []memberd.Event
	for first := true; ; first = false {
		done := false
		err := s.store.Update(ctx, func(tx memberd.Tx) error {
			c, err := tx.LockCompany(ctx, companyID)
			if err != nil {
				return notFound(err, "Company", companyID)
			}
			if cur := s.now(&c); first && to.Before(cur) {
				return memberd.Errorf(memberd.KindInvalid, memberd.CodeClockBackwards, "to",
					"The clock only moves forward: %s is before the company's time %s.", to.Format(time.RFC3339Nano), cur.Format(time.RFC3339Nano))
			}
			batch, err := tx.DueMemberships(ctx, companyID, to, advanceBatch, false)
			if err != nil {
				return err
			}
			bound := to
			if len(batch) == advanceBatch {
				w, _ := batch[len(batch)-1].NextWork()
				bound = w.At
			} else {
				done = true
			}
			evs, err := s.performDue(ctx, tx, batch, bound)
			if err != nil {
				return err
			}
			all = append(all, evs...)
			if offset := bound.Sub(s.realNow()); offset > c.ClockOffset {
				c.ClockOffset = offset
				c.UpdatedAt = bound
				return tx.UpdateCompany(ctx, &c)
			}
			return nil
		})
		if err != nil {
			return time.Time{}, all, err
		}
		if done {
			return to, all, nil
		}
	}
}

// ProcessDue performs the work that has fallen due by real time (by each
// company's own clock in test mode), at most limit memberships per
// transaction, passing over memberships another node holds. It returns how
// many memberships it worked on.
func (s *Service) ProcessDue(ctx context.Context, limit int) (int, error) {
	if !s.testMode {
		return s.processDue(ctx, "", s.realNow(), limit)
	}
	var companies []memberd.Company
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		companies, err = tx.CompaniesWithDueWork(ctx, s.realNow(), limit)
		return err
	})
	total := 0
	for _, c := range companies {
		if err != nil {
			break
		}
		var n int
		n, err = s.processDue(ctx, c.ID, s.now(&c), limit)
		total += n
	}
	return total, err
}

func (s *Service) processDue(ctx context.Context, companyID string, until time.Time, limit int) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		batch, err := tx.DueMemberships(ctx, companyID, until, limit, true)
		if err != nil {
			return err
		}
		n = len(batch)
		_, err = s.performDue(ctx, tx, batch, until)
		return err
	})
	return n, err
}

// performDue performs, in chronological order, all work on the batch's
// memberships due at or before bound, including work that earlier steps make
// due (a renewal's retry, say) before bound.
func (s *Service) performDue(ctx context.Context, tx memberd.Tx, batch []memberd.Membership, bound time.Time) ([]memberd.Event, error) {
	q := make(dueQueue, 0, len(batch))
	for _, m := range batch {
		if w, ok := m.NextWork(); ok && !w.At.After(bound) {
			q = append(q, dueItem{m, w})
		}
	}
	heap.Init(&q)
	methods, err := s.defaultMethods(ctx, tx, batch)
	if err != nil {
		return nil, err
	}
	var w writes
	for q.Len() > 0 {
		it := heap.Pop(&q).(dueItem)
		m := it.m
		b := memberd.Billing{Membership: m}
		if id := m.OpenPaymentID; id != "" {
			p, ok := w.payment(id)
			if !ok {
				if p, err = tx.Payment(ctx, m.CompanyID, id); err != nil {
					return nil, err
				}
			}
			b.Open = &p
		}
		method := methods[methodKey{m.CompanyID, m.UserID}]
		if method != nil {
			b.Membership.PaymentMethodID, b.Membership.PaymentMethodCreatedAt = method.ID, &method.CreatedAt
		}
		o := s.rules.Perform(b, it.w, s.charger(method))
		w.record(s, &o, it.w.At, true)
		if next, ok := o.Membership.NextWork(); ok && !next.At.After(bound) {
			heap.Push(&q, dueItem{o.Membership, next})
		}
	}
	return w.events, w.flush(ctx, tx)
}

type methodKey struct{ company, user string }

// defaultMethods finds the default payment method (the newest) of each
// batch member's user with its company, in one query.
func (s *Service) defaultMethods(ctx context.Context, tx memberd.Tx, batch []memberd.Membership) (map[methodKey]*memberd.PaymentMethod, error) {
	users := make([]string, 0, len(batch))
	for _, m := range batch {
		users = append(users, m.UserID)
	}
	pms, err := tx.PaymentMethodsOfUsers(ctx, users)
	out := make(map[methodKey]*memberd.PaymentMethod, len(pms))
	for i := range pms { // oldest first: the newest wins
		out[methodKey{pms[i].CompanyID, pms[i].UserID}] = &pms[i]
	}
	return out, err
}

type dueItem struct {
	m memberd.Membership
	w memberd.Work
}

// dueQueue orders due work by instant, then kind, then membership age.
type dueQueue []dueItem

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	if !a.w.At.Equal(b.w.At) {
		return a.w.At.Before(b.w.At)
	}
	if a.w.Kind != b.w.Kind {
		return a.w.Kind < b.w.Kind
	}
	return a.m.Seq < b.m.Seq
}
func (q dueQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)   { *q = append(*q, x.(dueItem)) }
func (q *dueQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
