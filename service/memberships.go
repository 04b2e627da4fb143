package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/memberd/memberd"
)

// CheckoutParams buy a plan for a user (the test helper's checkout).
type CheckoutParams struct {
	PlanID          string
	UserID          string
	PaymentMethodID string
	PromoCodeID     string
	Metadata        json.RawMessage
}

// Checkout creates the member (if new), the membership in its first state,
// its first payment and their events, in one transaction.
func (s *Service) Checkout(ctx context.Context, companyID string, p CheckoutParams) (memberd.Membership, []memberd.Event, error) {
	if p.Metadata != nil {
		if err := memberd.ValidateMetadata("metadata", p.Metadata); err != nil {
			return memberd.Membership{}, nil, err
		}
	}
	var m memberd.Membership
	var evs []memberd.Event
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		var err error
		m, evs, err = s.checkout(ctx, tx, companyID, p)
		return err
	})
	return m, evs, err
}

// BulkCheckout creates n users (usernames prefix1, prefix2, ...) and checks
// each out on the plan, batch checkouts to a transaction, reporting progress
// after each batch. It seeds load tests and benchmarks.
func (s *Service) BulkCheckout(ctx context.Context, companyID, planID, prefix string, n, batch int, progress func(done int)) error {
	for done := 0; done < n; {
		size := min(batch, n-done)
		err := s.store.Update(ctx, func(tx memberd.Tx) error {
			c, err := tx.Company(ctx, companyID)
			if err != nil {
				return notFound(err, "Company", companyID)
			}
			for i := range size {
				u := memberd.User{ID: memberd.NewID(memberd.PrefixUser), Username: fmt.Sprintf("%s%d", prefix, done+i+1), CreatedAt: s.now(&c)}
				u.Email = u.Username + "@example.com"
				if err := tx.InsertUser(ctx, &u); err != nil {
					return err
				}
				if _, _, err := s.checkout(ctx, tx, companyID, CheckoutParams{PlanID: planID, UserID: u.ID}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += size
		if progress != nil {
			progress(done)
		}
	}
	return nil
}

func (s *Service) checkout(ctx context.Context, tx memberd.Tx, companyID string, p CheckoutParams) (memberd.Membership, []memberd.Event, error) {
	c, err := tx.Company(ctx, companyID)
	if err != nil {
		return memberd.Membership{}, nil, notFound(err, "Company", companyID)
	}
	now := s.now(&c)
	plan, err := tx.Plan(ctx, companyID, p.PlanID)
	if err == nil && plan.Stock != nil {
		// Its stock is counted down: hold it, or two nodes sell the last one twice.
		plan, err = tx.LockPlan(ctx, companyID, p.PlanID)
	}
	if err != nil {
		return memberd.Membership{}, nil, paramNotFound(err, "plan_id", "Plan", p.PlanID)
	}
	if plan.ReleaseMethod == "waitlist" || (plan.Stock != nil && *plan.Stock <= 0) {
		return memberd.Membership{}, nil, memberd.Conflict(memberd.CodePlanNotPurchasable, "Plan %s cannot be bought now (waitlist or out of stock).", plan.ID)
	}
	product, err := tx.Product(ctx, companyID, plan.ProductID)
	if err != nil {
		return memberd.Membership{}, nil, paramNotFound(err, "plan_id", "Plan", p.PlanID)
	}
	user, err := tx.User(ctx, p.UserID)
	if err != nil {
		return memberd.Membership{}, nil, paramNotFound(err, "user_id", "User", p.UserID)
	}
	var method *memberd.PaymentMethod
	if p.PaymentMethodID != "" {
		pm, err := tx.PaymentMethod(ctx, companyID, p.PaymentMethodID)
		if err != nil || pm.UserID != user.ID {
			return memberd.Membership{}, nil, memberd.Invalid("payment_method_id", "Payment method %q was not found for user %s.", p.PaymentMethodID, user.ID)
		}
		method = &pm
	} else if method, err = s.defaultMethod(ctx, tx, companyID, user.ID); err != nil {
		return memberd.Membership{}, nil, err
	}
	member, err := tx.MemberByUser(ctx, companyID, user.ID)
	if errors.Is(err, memberd.ErrNotFound) {
		member = memberd.Member{ID: memberd.NewID(memberd.PrefixMember), CompanyID: companyID, UserID: user.ID,
			CreatedAt: now, JoinedAt: now, UpdatedAt: now}
		err = tx.InsertMember(ctx, &member)
	}
	if err != nil {
		return memberd.Membership{}, nil, err
	}
	m := memberd.Membership{
		ID: memberd.NewID(memberd.PrefixMembership), CompanyID: companyID, UserID: user.ID, MemberID: member.ID,
		ProductID: product.ID, PlanID: plan.ID, JoinedAt: member.JoinedAt, Terms: plan.Terms(), Metadata: p.Metadata,
		Related: memberd.Related{CompanyTitle: c.Title, CompanyRoute: c.Route, ProductTitle: product.Title, ProductRoute: product.Route,
			ProductMetadata: product.Metadata, PlanInternalNotes: plan.InternalNotes, PlanMetadata: plan.Metadata, User: &user},
	}
	if method != nil {
		m.PaymentMethodID, m.PaymentMethodCreatedAt = method.ID, &method.CreatedAt
	}
	if product.SoftwareLicensing {
		m.LicenseKey = memberd.NewLicenseKey()
	}
	if p.PromoCodeID != "" {
		if err := s.applyPromo(ctx, tx, &m, p.PromoCodeID, now); err != nil {
			return memberd.Membership{}, nil, err
		}
	}
	if plan.Stock != nil {
		*plan.Stock--
		plan.UpdatedAt = now
		if err := tx.UpdatePlan(ctx, &plan); err != nil {
			return memberd.Membership{}, nil, err
		}
	}
	out := s.rules.Checkout(m, now, s.charger(method))
	if err := tx.InsertMembership(ctx, &out.Membership); err != nil {
		return memberd.Membership{}, nil, err
	}
	var w writes
	evs := w.record(s, &out, now, false)
	return out.Membership, evs, w.flush(ctx, tx)
}

// paramNotFound reports a missing object named by a body parameter as a 400
// on that parameter.
func paramNotFound(err error, param, what, id string) error {
	if errors.Is(err, memberd.ErrNotFound) {
		return memberd.Invalid(param, "%s %q was not found.", what, id)
	}
	return err
}

// applyPromo checks that the promo code may be used for this checkout and
// gives the membership its discount.
func (s *Service) applyPromo(ctx context.Context, tx memberd.Tx, m *memberd.Membership, id string, now time.Time) error {
	pc, err := tx.LockPromoCode(ctx, m.CompanyID, id)
	if err != nil {
		return paramNotFound(err, "promo_code_id", "Promo code", id)
	}
	refuse := func(why string) error {
		return memberd.Errorf(memberd.KindInvalid, memberd.CodePromoCodeNotApplicable, "promo_code_id", "Promo code %s cannot be used: %s.", pc.ID, why)
	}
	switch {
	case pc.Status != "active":
		return refuse("it is " + pc.Status)
	case pc.ExpiresAt != nil && !pc.ExpiresAt.After(now):
		return refuse("it has expired")
	case !pc.UnlimitedStock && pc.Uses >= pc.Stock:
		return refuse("it has been used up")
	case pc.ProductID != "" && pc.ProductID != m.ProductID:
		return refuse("it is for another product")
	case len(pc.PlanIDs) > 0 && !slices.Contains(pc.PlanIDs, m.PlanID):
		return refuse("it is for other plans")
	case pc.PromoType == memberd.PromoFlatAmount && pc.Currency != m.Terms.Currency:
		return refuse("its currency is " + string(pc.Currency))
	}
	if pc.OnePerCustomer {
		used, err := tx.PromoCodeUsedBy(ctx, pc.ID, m.UserID)
		if err != nil {
			return err
		}
		if used {
			return refuse("the customer has used it already")
		}
	}
	if pc.NewUsersOnly {
		n, err := tx.CountMemberships(ctx, memberd.MembershipFilter{CompanyID: m.CompanyID, UserIDs: []string{m.UserID}})
		if err != nil {
			return err
		}
		if n > 0 {
			return refuse("it is for new customers only")
		}
	}
	remaining := pc.DurationMonths
	if remaining == 0 {
		remaining = -1
	}
	m.PromoCodeID, m.PromoCode = pc.ID, pc.Code
	m.Discount = &memberd.Discount{PromoCodeID: pc.ID, Type: pc.PromoType, AmountOff: pc.AmountOff, Remaining: remaining}
	pc.Uses++
	return tx.UpdatePromoCode(ctx, &pc)
}

// defaultMethod is the user's newest payment method with the company, or nil.
func (s *Service) defaultMethod(ctx context.Context, tx memberd.Tx, companyID, userID string) (*memberd.PaymentMethod, error) {
	pm, err := tx.DefaultPaymentMethod(ctx, companyID, userID)
	if errors.Is(err, memberd.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &pm, nil
}

// charger charges through the processor with method.
func (s *Service) charger(method *memberd.PaymentMethod) memberd.Charger {
	return func(c memberd.Charge) memberd.ChargeResult {
		return s.processor.Charge(c, method)
	}
}

// Membership returns a membership of the company.
func (s *Service) Membership(ctx context.Context, companyID, id string) (memberd.Membership, error) {
	var m memberd.Membership
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		m, err = tx.Membership(ctx, companyID, id)
		return notFound(err, "Membership", id)
	})
	return m, err
}

// ListMemberships lists the company's memberships.
func (s *Service) ListMemberships(ctx context.Context, f memberd.MembershipFilter, p memberd.PageRequest) (memberd.Page[memberd.Membership], error) {
	var page memberd.Page[memberd.Membership]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		page, err = tx.ListMemberships(ctx, f, p)
		return err
	})
	return page, err
}

// Operation is a lifecycle rule applied to a membership at an instant.
type Operation func(b memberd.Billing, now time.Time, charge memberd.Charger) (memberd.Outcome, error)

// Mutate applies op to a membership under a row lock, at the company's
// time, and writes the outcome with its events in the same transaction.
func (s *Service) Mutate(ctx context.Context, companyID, id string, op Operation) (memberd.Membership, error) {
	var m memberd.Membership
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		b, c, err := s.lockBilling(ctx, tx, companyID, id)
		if err != nil {
			return err
		}
		now := s.now(&c)
		method, err := s.defaultMethod(ctx, tx, companyID, b.Membership.UserID)
		if err != nil {
			return err
		}
		o, err := op(b, now, s.charger(method))
		if err != nil {
			return err
		}
		_, err = s.record(ctx, tx, &o, now)
		m = o.Membership
		return err
	})
	return m, err
}

// lockBilling locks a membership and loads its open payment and company.
func (s *Service) lockBilling(ctx context.Context, tx memberd.Tx, companyID, id string) (memberd.Billing, memberd.Company, error) {
	var b memberd.Billing
	c, err := tx.Company(ctx, companyID)
	if err != nil {
		return b, c, notFound(err, "Company", companyID)
	}
	if b.Membership, err = tx.LockMembership(ctx, companyID, id); err != nil {
		return b, c, notFound(err, "Membership", id)
	}
	if id := b.Membership.OpenPaymentID; id != "" {
		p, err := tx.Payment(ctx, companyID, id)
		if err != nil {
			return b, c, err
		}
		b.Open = &p
	}
	return b, c, nil
}

// Pause pauses payment collection.
func (s *Service) Pause(ctx context.Context, companyID, id string, p memberd.PauseParams) (memberd.Membership, error) {
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.Pause(b, p, now)
	})
}

// Resume resumes payment collection.
func (s *Service) Resume(ctx context.Context, companyID, id string) (memberd.Membership, error) {
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.Resume(b, now)
	})
}

// Cancel cancels at period end or immediately.
func (s *Service) Cancel(ctx context.Context, companyID, id string, p memberd.CancelParams) (memberd.Membership, error) {
	if p.Mode == "" {
		p.Mode = memberd.CancelAtPeriodEnd
	}
	if p.Mode != memberd.CancelAtPeriodEnd && p.Mode != memberd.CancelImmediate {
		return memberd.Membership{}, memberd.Invalid("cancellation_mode", "cancellation_mode must be at_period_end or immediate.")
	}
	if p.Option != "" && !slices.Contains(memberd.CancelOptions, p.Option) {
		return memberd.Membership{}, memberd.Invalid("cancel_option", "cancel_option must be one of %s.", strings.Join(memberd.CancelOptions, ", "))
	}
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.Cancel(b, p, now)
	})
}

// Uncancel reverses a pending period-end cancellation.
func (s *Service) Uncancel(ctx context.Context, companyID, id string) (memberd.Membership, error) {
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.Uncancel(b, now)
	})
}

// AddFreeDays moves the next renewal (or expiry) later.
func (s *Service) AddFreeDays(ctx context.Context, companyID, id string, days int) (memberd.Membership, error) {
	if days < 1 || days > memberd.MaxFreeDays {
		return memberd.Membership{}, memberd.Invalid("free_days", "free_days must be an integer from 1 to %d.", memberd.MaxFreeDays)
	}
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.AddFreeDays(b, days, now)
	})
}

// SetMetadata replaces the metadata (nil clears it).
func (s *Service) SetMetadata(ctx context.Context, companyID, id string, md json.RawMessage) (memberd.Membership, error) {
	if md != nil {
		if err := memberd.ValidateMetadata("metadata", md); err != nil {
			return memberd.Membership{}, err
		}
	}
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.SetMetadata(b, md, now)
	})
}

// ResyncAccess records an access resync.
func (s *Service) ResyncAccess(ctx context.Context, companyID, id string) (memberd.Membership, error) {
	return s.Mutate(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.ResyncAccess(b, now)
	})
}

// Payment returns a payment of the company.
func (s *Service) Payment(ctx context.Context, companyID, id string) (memberd.Payment, error) {
	var p memberd.Payment
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		p, err = tx.Payment(ctx, companyID, id)
		return notFound(err, "Payment", id)
	})
	return p, err
}

// ListPayments lists the company's payments.
func (s *Service) ListPayments(ctx context.Context, f memberd.PaymentFilter, p memberd.PageRequest) (memberd.Page[memberd.Payment], error) {
	var page memberd.Page[memberd.Payment]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		page, err = tx.ListPayments(ctx, f, p)
		return err
	})
	return page, err
}

// RetryPayment retries an open payment now.
func (s *Service) RetryPayment(ctx context.Context, companyID, id string) (memberd.Payment, error) {
	return s.paymentOp(ctx, companyID, id, func(b memberd.Billing, now time.Time, charge memberd.Charger) (memberd.Outcome, error) {
		return s.rules.RetryPayment(b, now, charge)
	})
}

// VoidPayment voids an open payment.
func (s *Service) VoidPayment(ctx context.Context, companyID, id string) (memberd.Payment, error) {
	return s.paymentOp(ctx, companyID, id, func(b memberd.Billing, now time.Time, _ memberd.Charger) (memberd.Outcome, error) {
		return s.rules.VoidPayment(b, now)
	})
}

// paymentOp applies op to the membership of a payment, which must be the
// membership's open payment, and returns the payment as it is after.
func (s *Service) paymentOp(ctx context.Context, companyID, id string, op Operation) (memberd.Payment, error) {
	p, err := s.Payment(ctx, companyID, id)
	if err != nil {
		return p, err
	}
	_, err = s.Mutate(ctx, companyID, p.MembershipID, func(b memberd.Billing, now time.Time, charge memberd.Charger) (memberd.Outcome, error) {
		if b.Open == nil || b.Open.ID != id {
			b.Open = nil // not the payment being collected: the rule refuses
		}
		return op(b, now, charge)
	})
	if err != nil {
		return p, err
	}
	return s.Payment(ctx, companyID, id)
}

// CustomerCancel cancels as the customer would, with their reason.
func (s *Service) CustomerCancel(ctx context.Context, companyID, id string, p memberd.CancelParams) (memberd.Membership, error) {
	if p.Option == "" {
		return memberd.Membership{}, memberd.Missing("cancel_option")
	}
	return s.Cancel(ctx, companyID, id, p)
}
