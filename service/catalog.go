package service

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/memberd/memberd"
)

// Products, plans and promo codes. Optional parameters are pointers: nil
// leaves a field as it is (or takes the default on create).

// ProductParams create or update a product.
type ProductParams struct {
	Title             *string
	Description       *string
	Headline          *string
	Route             *string
	Visibility        *string
	Metadata          *json.RawMessage
	SoftwareLicensing *bool
}

const maxTitle = 80

var routeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (p ProductParams) apply(pr *memberd.Product) error {
	if p.Title != nil {
		t := strings.TrimSpace(*p.Title)
		if t == "" || len([]rune(t)) > maxTitle {
			return memberd.Invalid("title", "title must be 1 to %d characters.", maxTitle)
		}
		pr.Title = t
	}
	if p.Description != nil {
		pr.Description = *p.Description
	}
	if p.Headline != nil {
		pr.Headline = *p.Headline
	}
	if p.Route != nil && *p.Route != "" {
		if !routeRE.MatchString(*p.Route) {
			return memberd.Invalid("route", "route must be lowercase letters, digits and '-', at most 63 characters.")
		}
		pr.Route = *p.Route
	}
	if p.Visibility != nil {
		if !slices.Contains(memberd.Visibilities, *p.Visibility) {
			return memberd.Invalid("visibility", "visibility must be one of %s.", strings.Join(memberd.Visibilities, ", "))
		}
		pr.Visibility = memberd.Visibility(*p.Visibility)
	}
	if p.Metadata != nil {
		if err := validateOptionalMetadata(*p.Metadata); err != nil {
			return err
		}
		pr.Metadata = *p.Metadata
	}
	if p.SoftwareLicensing != nil {
		pr.SoftwareLicensing = *p.SoftwareLicensing
	}
	return nil
}

func validateOptionalMetadata(md json.RawMessage) error {
	if md == nil {
		return nil
	}
	return memberd.ValidateMetadata("metadata", md)
}

// CreateProduct creates a product of the company.
func (s *Service) CreateProduct(ctx context.Context, companyID string, p ProductParams) (memberd.Product, error) {
	if p.Title == nil {
		return memberd.Product{}, memberd.Missing("title")
	}
	var pr memberd.Product
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		now := s.now(&c)
		pr = memberd.Product{ID: memberd.NewID(memberd.PrefixProduct), CompanyID: c.ID, Visibility: "visible",
			CreatedAt: now, UpdatedAt: now, CompanyTitle: c.Title, CompanyRoute: c.Route}
		if err := p.apply(&pr); err != nil {
			return err
		}
		if pr.Route == "" {
			pr.Route = slug(pr.Title) + "-" + strings.ToLower(pr.ID[len(pr.ID)-5:])
		}
		return tx.InsertProduct(ctx, &pr)
	})
	return pr, err
}

// Product returns a product of the company, with its member count.
func (s *Service) Product(ctx context.Context, companyID, id string) (memberd.Product, error) {
	var pr memberd.Product
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if pr, err = tx.Product(ctx, companyID, id); err != nil {
			return notFound(err, "Product", id)
		}
		counts, err := tx.MemberCounts(ctx, companyID, "product", []string{id})
		pr.MemberCount = counts[id]
		return err
	})
	return pr, err
}

// UpdateProduct changes the given fields of a product.
func (s *Service) UpdateProduct(ctx context.Context, companyID, id string, p ProductParams) (memberd.Product, error) {
	var pr memberd.Product
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		var err error
		if pr, err = tx.Product(ctx, companyID, id); err != nil {
			return notFound(err, "Product", id)
		}
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return err
		}
		if err := p.apply(&pr); err != nil {
			return err
		}
		pr.UpdatedAt = s.now(&c)
		return tx.UpdateProduct(ctx, &pr)
	})
	return pr, err
}

// DeleteProduct deletes a product that no membership uses.
func (s *Service) DeleteProduct(ctx context.Context, companyID, id string) error {
	return s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return err
		}
		if _, err := tx.Product(ctx, companyID, id); err != nil {
			return notFound(err, "Product", id)
		}
		n, err := tx.CountMemberships(ctx, memberd.MembershipFilter{CompanyID: companyID, ProductIDs: []string{id}})
		if err != nil {
			return err
		}
		if n > 0 {
			return memberd.Conflict(memberd.CodeProductHasMemberships, "Product %s has %d memberships; only products with no memberships can be deleted.", id, n)
		}
		return tx.DeleteProduct(ctx, companyID, id, s.now(&c))
	})
}

// ListProducts lists the company's products, with their member counts.
func (s *Service) ListProducts(ctx context.Context, f memberd.ProductFilter, p memberd.PageRequest) (memberd.Page[memberd.Product], error) {
	var page memberd.Page[memberd.Product]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if page, err = tx.ListProducts(ctx, f, p); err != nil {
			return err
		}
		return countMembers(ctx, tx, f.CompanyID, "product", page.Items, func(p *memberd.Product) (string, *int) { return p.ID, &p.MemberCount })
	})
	return page, err
}

// countMembers fills the member counts of a page of plans or products.
func countMembers[T any](ctx context.Context, tx memberd.Tx, companyID, column string, items []T, field func(*T) (string, *int)) error {
	ids := make([]string, len(items))
	for i := range items {
		ids[i], _ = field(&items[i])
	}
	counts, err := tx.MemberCounts(ctx, companyID, column, ids)
	for i := range items {
		id, n := field(&items[i])
		*n = counts[id]
	}
	return err
}

// PlanParams create or update a plan. ProductID and PlanType apply only on
// create. A nullable field set to null arrives as a pointer to its zero value.
type PlanParams struct {
	ProductID      *string
	PlanType       *string
	BillingPeriod  *int
	TrialDays      *int
	ExpirationDays *int
	InitialPrice   *memberd.Money
	RenewalPrice   *memberd.Money
	Currency       *string
	Title          *string
	Description    *string
	InternalNotes  *string
	Visibility     *string
	ReleaseMethod  *string
	Stock          *int
	UnlimitedStock *bool
	Metadata       *json.RawMessage
}

// Plan limits.
const (
	MaxBillingPeriodDays = 3650
	MaxTrialDays         = 730
	MaxExpirationDays    = 36500
)

var releaseMethods = []string{"buy_now", "waitlist"}

func (p PlanParams) apply(pl *memberd.Plan, creating bool) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&pl.Title, p.Title)
	set(&pl.Description, p.Description)
	set(&pl.InternalNotes, p.InternalNotes)
	if p.BillingPeriod != nil {
		pl.BillingPeriodDays = *p.BillingPeriod
	}
	if p.TrialDays != nil {
		pl.TrialDays = *p.TrialDays
	}
	if p.ExpirationDays != nil {
		pl.ExpirationDays = *p.ExpirationDays
	}
	switch {
	case p.InitialPrice != nil && p.RenewalPrice != nil:
		pl.InitialPrice, pl.RenewalPrice = *p.InitialPrice, *p.RenewalPrice
	case p.InitialPrice != nil:
		pl.InitialPrice = *p.InitialPrice
		if creating {
			pl.RenewalPrice = *p.InitialPrice
		}
	case p.RenewalPrice != nil:
		pl.RenewalPrice = *p.RenewalPrice
		if creating {
			pl.InitialPrice = *p.RenewalPrice
		}
	}
	if p.Currency != nil {
		c := memberd.Currency(strings.ToLower(*p.Currency))
		if !c.Valid() {
			return memberd.Invalid("currency", "currency %q is not a supported currency.", *p.Currency)
		}
		pl.Currency = c
	}
	if p.Visibility != nil {
		if !slices.Contains(memberd.Visibilities, *p.Visibility) {
			return memberd.Invalid("visibility", "visibility must be one of %s.", strings.Join(memberd.Visibilities, ", "))
		}
		pl.Visibility = memberd.Visibility(*p.Visibility)
	}
	if p.ReleaseMethod != nil {
		if !slices.Contains(releaseMethods, *p.ReleaseMethod) {
			return memberd.Invalid("release_method", "release_method must be buy_now or waitlist.")
		}
		pl.ReleaseMethod = *p.ReleaseMethod
	}
	if p.UnlimitedStock != nil && *p.UnlimitedStock {
		pl.Stock = nil
	} else if p.Stock != nil {
		if *p.Stock < 0 {
			return memberd.Invalid("stock", "stock must not be negative.")
		}
		pl.Stock = p.Stock
	} else if p.UnlimitedStock != nil && pl.Stock == nil {
		return memberd.Missing("stock")
	}
	if p.Metadata != nil {
		if err := validateOptionalMetadata(*p.Metadata); err != nil {
			return err
		}
		pl.Metadata = *p.Metadata
	}
	return validatePlan(pl)
}

func validatePlan(pl *memberd.Plan) error {
	if pl.PlanType == memberd.PlanRenewal {
		if pl.BillingPeriodDays < 1 || pl.BillingPeriodDays > MaxBillingPeriodDays {
			return memberd.Invalid("billing_period", "billing_period must be a number of days from 1 to %d for a renewal plan.", MaxBillingPeriodDays)
		}
		if pl.TrialDays < 0 || pl.TrialDays > MaxTrialDays {
			return memberd.Invalid("trial_period_days", "trial_period_days must be from 0 to %d.", MaxTrialDays)
		}
		if pl.ExpirationDays != 0 {
			return memberd.Invalid("expiration_days", "expiration_days applies only to one_time plans.")
		}
		return nil
	}
	if pl.BillingPeriodDays != 0 {
		return memberd.Invalid("billing_period", "billing_period applies only to renewal plans.")
	}
	if pl.TrialDays != 0 {
		return memberd.Invalid("trial_period_days", "trial_period_days applies only to renewal plans.")
	}
	if pl.ExpirationDays < 0 || pl.ExpirationDays > MaxExpirationDays {
		return memberd.Invalid("expiration_days", "expiration_days must be from 1 to %d, or null for lifetime access.", MaxExpirationDays)
	}
	return nil
}

// CreatePlan creates a plan for one of the company's products.
func (s *Service) CreatePlan(ctx context.Context, companyID string, p PlanParams) (memberd.Plan, error) {
	if p.ProductID == nil || *p.ProductID == "" {
		return memberd.Plan{}, memberd.Missing("product_id")
	}
	typ := memberd.PlanRenewal
	if p.PlanType != nil {
		typ = memberd.PlanType(*p.PlanType)
		if typ != memberd.PlanRenewal && typ != memberd.PlanOneTime {
			return memberd.Plan{}, memberd.Invalid("plan_type", "plan_type must be renewal or one_time.")
		}
	}
	var pl memberd.Plan
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		if _, err := tx.Product(ctx, companyID, *p.ProductID); err != nil {
			if errors.Is(err, memberd.ErrNotFound) {
				return memberd.Invalid("product_id", "Product %q was not found.", *p.ProductID)
			}
			return err
		}
		now := s.now(&c)
		pl = memberd.Plan{ID: memberd.NewID(memberd.PrefixPlan), CompanyID: companyID, ProductID: *p.ProductID, PlanType: typ,
			Currency: "usd", Visibility: "visible", ReleaseMethod: "buy_now", CreatedAt: now, UpdatedAt: now}
		if typ == memberd.PlanRenewal && p.BillingPeriod == nil {
			pl.BillingPeriodDays = 30
		}
		if err := p.apply(&pl, true); err != nil {
			return err
		}
		return tx.InsertPlan(ctx, &pl)
	})
	return pl, err
}

// Plan returns a plan of the company, with its member count.
func (s *Service) Plan(ctx context.Context, companyID, id string) (memberd.Plan, error) {
	var pl memberd.Plan
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if pl, err = tx.LockPlan(ctx, companyID, id); err != nil {
			return notFound(err, "Plan", id)
		}
		counts, err := tx.MemberCounts(ctx, companyID, "plan", []string{id})
		pl.MemberCount = counts[id]
		return err
	})
	return pl, err
}

// UpdatePlan changes the given fields of a plan. Existing memberships keep
// the terms they were sold on.
func (s *Service) UpdatePlan(ctx context.Context, companyID, id string, p PlanParams) (memberd.Plan, error) {
	var pl memberd.Plan
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		var err error
		if pl, err = tx.LockPlan(ctx, companyID, id); err != nil {
			return notFound(err, "Plan", id)
		}
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return err
		}
		if err := p.apply(&pl, false); err != nil {
			return err
		}
		pl.UpdatedAt = s.now(&c)
		return tx.UpdatePlan(ctx, &pl)
	})
	return pl, err
}

// DeletePlan deletes a plan; its memberships go on as before.
func (s *Service) DeletePlan(ctx context.Context, companyID, id string) error {
	return s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return err
		}
		return notFound(tx.DeletePlan(ctx, companyID, id, s.now(&c)), "Plan", id)
	})
}

// ListPlans lists the company's plans, with their member counts.
func (s *Service) ListPlans(ctx context.Context, f memberd.PlanFilter, p memberd.PageRequest) (memberd.Page[memberd.Plan], error) {
	var page memberd.Page[memberd.Plan]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if page, err = tx.ListPlans(ctx, f, p); err != nil {
			return err
		}
		return countMembers(ctx, tx, f.CompanyID, "plan", page.Items, func(p *memberd.Plan) (string, *int) { return p.ID, &p.MemberCount })
	})
	return page, err
}

// PromoCodeParams create a promo code.
type PromoCodeParams struct {
	Code                string
	PromoType           string
	AmountOff           memberd.Money
	BaseCurrency        string
	NewUsersOnly        bool
	PromoDurationMonths int
	ChurnedUsersOnly    bool
	ExistingOnly        bool
	OnePerCustomer      bool
	ExpiresAt           *time.Time
	PlanIDs             []string
	ProductID           string
	Stock               int
	UnlimitedStock      *bool
}

var promoCodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// CreatePromoCode creates a promo code. promo_duration_months counts billing
// periods: 0 discounts every charge (forever), 1 the first (once), more
// that many (repeating).
func (s *Service) CreatePromoCode(ctx context.Context, companyID string, p PromoCodeParams) (memberd.PromoCode, error) {
	var pc memberd.PromoCode
	if !promoCodeRE.MatchString(p.Code) {
		return pc, memberd.Invalid("code", "code must be 1 to 64 letters, digits, '_' or '-'.")
	}
	typ := memberd.PromoType(p.PromoType)
	if typ != memberd.PromoPercentage && typ != memberd.PromoFlatAmount {
		return pc, memberd.Invalid("promo_type", "promo_type must be percentage or flat_amount.")
	}
	if p.AmountOff <= 0 || (typ == memberd.PromoPercentage && p.AmountOff > 100*memberd.MoneyScale) {
		return pc, memberd.Invalid("amount_off", "amount_off must be above 0 (and at most 100 for a percentage).")
	}
	cur := memberd.Currency(strings.ToLower(p.BaseCurrency))
	if !cur.Valid() {
		return pc, memberd.Invalid("base_currency", "base_currency %q is not a supported currency.", p.BaseCurrency)
	}
	if p.PromoDurationMonths < 0 || p.PromoDurationMonths > 1200 {
		return pc, memberd.Invalid("promo_duration_months", "promo_duration_months must be from 0 to 1200.")
	}
	unlimited := p.UnlimitedStock == nil || *p.UnlimitedStock
	if !unlimited && p.Stock < 1 {
		return pc, memberd.Invalid("stock", "stock must be at least 1 when unlimited_stock is false.")
	}
	duration := "forever"
	switch {
	case p.PromoDurationMonths == 1:
		duration = "once"
	case p.PromoDurationMonths > 1:
		duration = "repeating"
	}
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		var productTitle string
		if p.ProductID != "" {
			product, err := tx.Product(ctx, companyID, p.ProductID)
			if err != nil {
				return memberd.Invalid("product_id", "Product %q was not found.", p.ProductID)
			}
			productTitle = product.Title
		}
		for _, id := range p.PlanIDs {
			if _, err := tx.Plan(ctx, companyID, id); err != nil {
				return memberd.Invalid("plan_ids", "Plan %q was not found.", id)
			}
		}
		now := s.now(&c)
		if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
			return memberd.Invalid("expires_at", "expires_at must be in the future.")
		}
		pc = memberd.PromoCode{
			ID: memberd.NewID(memberd.PrefixPromoCode), CompanyID: companyID, Code: p.Code, PromoType: typ,
			AmountOff: p.AmountOff, Currency: cur, Duration: duration, DurationMonths: p.PromoDurationMonths,
			NewUsersOnly: p.NewUsersOnly, OnePerCustomer: p.OnePerCustomer, ChurnedOnly: p.ChurnedUsersOnly,
			ExistingOnly: p.ExistingOnly, ProductID: p.ProductID, PlanIDs: p.PlanIDs, Stock: p.Stock,
			UnlimitedStock: unlimited, ExpiresAt: p.ExpiresAt, Status: "active", CreatedAt: now, CompanyTitle: c.Title,
			ProductTitle: productTitle,
		}
		err = tx.InsertPromoCode(ctx, &pc)
		if errors.Is(err, memberd.ErrDuplicate) {
			return memberd.Invalid("code", "The code %q is already in use.", p.Code)
		}
		return err
	})
	return pc, err
}

// PromoCode returns a promo code of the company.
func (s *Service) PromoCode(ctx context.Context, companyID, id string) (memberd.PromoCode, error) {
	var pc memberd.PromoCode
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		pc, err = tx.PromoCode(ctx, companyID, id)
		return notFound(err, "Promo code", id)
	})
	return pc, err
}

// ArchivePromoCode archives a promo code (DELETE); memberships that use it
// keep their discount.
func (s *Service) ArchivePromoCode(ctx context.Context, companyID, id string) error {
	return s.store.Update(ctx, func(tx memberd.Tx) error {
		pc, err := tx.LockPromoCode(ctx, companyID, id)
		if err != nil || pc.Status == "archived" {
			return memberd.NotFound("Promo code", id)
		}
		pc.Status = "archived"
		return tx.UpdatePromoCode(ctx, &pc)
	})
}

// ListPromoCodes lists the company's promo codes.
func (s *Service) ListPromoCodes(ctx context.Context, f memberd.PromoCodeFilter, p memberd.PageRequest) (memberd.Page[memberd.PromoCode], error) {
	var page memberd.Page[memberd.PromoCode]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		page, err = tx.ListPromoCodes(ctx, f, p)
		return err
	})
	return page, err
}
