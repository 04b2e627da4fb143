package httpapi

import (
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/wire"
)

// Products, plans and promo codes. Products and plans take the company as
// company_id or account_id (SDK 0.0.42's spelling), defaulting to the key's.

func (s *Server) catalogRoutes() {
	s.Handle("GET /api/v1/products", []string{memberd.PermProductBasicRead}, s.listProducts)
	s.Handle("POST /api/v1/products", []string{memberd.PermProductCreate}, s.createProduct)
	s.Handle("GET /api/v1/products/{id}", []string{memberd.PermProductBasicRead}, s.getProduct)
	s.Handle("PATCH /api/v1/products/{id}", []string{memberd.PermProductUpdate}, s.updateProduct)
	s.Handle("DELETE /api/v1/products/{id}", []string{memberd.PermProductDelete}, s.deleteProduct)

	s.Handle("GET /api/v1/plans", []string{memberd.PermPlanBasicRead}, s.listPlans)
	s.Handle("POST /api/v1/plans", []string{memberd.PermPlanCreate}, s.createPlan)
	s.Handle("GET /api/v1/plans/{id}", []string{memberd.PermPlanBasicRead}, s.getPlan)
	s.Handle("PATCH /api/v1/plans/{id}", []string{memberd.PermPlanUpdate}, s.updatePlan)
	s.Handle("DELETE /api/v1/plans/{id}", []string{memberd.PermPlanDelete}, s.deletePlan)

	s.Handle("GET /api/v1/promo_codes", []string{memberd.PermPromoCodeBasicRead}, s.listPromoCodes)
	s.Handle("POST /api/v1/promo_codes", []string{memberd.PermPromoCodeCreate}, s.createPromoCode)
	s.Handle("GET /api/v1/promo_codes/{id}", []string{memberd.PermPromoCodeBasicRead}, s.getPromoCode)
	s.Handle("DELETE /api/v1/promo_codes/{id}", []string{memberd.PermPromoCodeDelete}, s.deletePromoCode)
}

// ownCompany checks an optional company_id/account_id against the key.
func ownCompany(k *memberd.APIKey, ids ...*string) error {
	for _, id := range ids {
		if id != nil && *id != "" && *id != k.CompanyID {
			return memberd.NotFound("Company", *id)
		}
	}
	return nil
}

func (s *Server) product(r *http.Request, k *memberd.APIKey, p memberd.Product, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Company(r.Context(), k.CompanyID, k.CompanyID)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Product(&p, &c.Owner), nil
}

// Product parameters of SDK 0.0.42 that memberd accepts and does not model.
var ignoredProductParams = []string{"collect_shipping_address", "custom_cta", "custom_cta_url", "custom_statement_descriptor",
	"global_affiliate_percentage", "global_affiliate_status", "member_affiliate_percentage", "member_affiliate_status",
	"product_tax_code_id", "redirect_purchase_url", "send_welcome_message", "experience_ids", "plan_options", "business_type", "industry_type"}

func productParams(b *body) service.ProductParams {
	p := service.ProductParams{
		Title:             b.string("title"),
		Description:       b.clearableString("description"),
		Headline:          b.clearableString("headline"),
		Route:             b.string("route"),
		Visibility:        b.string("visibility"),
		SoftwareLicensing: b.bool("software_licensing"),
	}
	if md, set := b.metadata("metadata"); set {
		p.Metadata = &md
	}
	return p
}

var productFields = []string{"title", "description", "headline", "route", "visibility", "metadata", "software_licensing"}

func (s *Server) createProduct(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, append(productFields, "company_id", "account_id"), ignoredProductParams...)
	p := productParams(b)
	if err := ownCompany(k, b.string("company_id"), b.string("account_id")); err != nil {
		b.fail(err)
	}
	if p.Title == nil {
		b.fail(memberd.Missing("title"))
	}
	if b.err != nil {
		return nil, b.err
	}
	pr, err := s.svc.CreateProduct(r.Context(), k.CompanyID, p)
	return s.product(r, k, pr, err)
}

func (s *Server) getProduct(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r); q.err != nil {
		return nil, q.err
	}
	pr, err := s.svc.Product(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.product(r, k, pr, err)
}

func (s *Server) updateProduct(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, productFields, ignoredProductParams...)
	p := productParams(b)
	if b.err != nil {
		return nil, b.err
	}
	pr, err := s.svc.UpdateProduct(r.Context(), k.CompanyID, r.PathValue("id"), p)
	return s.product(r, k, pr, err)
}

func (s *Server) deleteProduct(r *http.Request, k *memberd.APIKey) (any, error) {
	if err := s.svc.DeleteProduct(r.Context(), k.CompanyID, r.PathValue("id")); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) listProducts(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id", "account_id", "visibilities", "access_pass_types")...)
	f := memberd.ProductFilter{CompanyID: k.CompanyID, Visibilities: q.enums("visibilities", memberd.Visibilities)}
	q.enums("access_pass_types", []string{"regular", "app", "experience_upsell", "api_only"})
	if err := ownCompany(k, strp(q.string("company_id")), strp(q.string("account_id"))); err != nil {
		q.fail(err)
	}
	p := q.page("created_at", "id")
	if q.err != nil {
		return nil, q.err
	}
	page, err := s.svc.ListProducts(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, func(p *memberd.Product) wire.Product { return s.svc.Renderer().Product(p, nil) }), nil
}

func strp(s string) *string { return &s }

// Plan parameters of SDK 0.0.42 that memberd accepts and does not model.
var ignoredPlanParams = []string{"adaptive_pricing_enabled", "checkout_styling", "custom_fields", "image",
	"legacy_payment_method_controls", "override_tax_type", "payment_method_configuration", "split_pay_required_payments",
	"three_ds_level", "offer_cancel_discount", "strike_through_initial_price", "strike_through_renewal_price"}

var planFields = []string{"billing_period", "trial_period_days", "expiration_days", "initial_price", "renewal_price",
	"currency", "title", "description", "internal_notes", "visibility", "release_method", "stock", "unlimited_stock", "metadata"}

func planParams(b *body) service.PlanParams {
	p := service.PlanParams{
		BillingPeriod:  b.clearableInt("billing_period"),
		TrialDays:      b.clearableInt("trial_period_days"),
		ExpirationDays: b.clearableInt("expiration_days"),
		InitialPrice:   b.money("initial_price"),
		RenewalPrice:   b.money("renewal_price"),
		Currency:       b.string("currency"),
		Title:          b.clearableString("title"),
		Description:    b.clearableString("description"),
		InternalNotes:  b.clearableString("internal_notes"),
		Visibility:     b.string("visibility"),
		ReleaseMethod:  b.string("release_method"),
		Stock:          b.int("stock"),
		UnlimitedStock: b.bool("unlimited_stock"),
	}
	if md, set := b.metadata("metadata"); set {
		p.Metadata = &md
	}
	return p
}

func (s *Server) plan(r *http.Request, k *memberd.APIKey, p memberd.Plan, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	c, err := s.svc.Company(r.Context(), k.CompanyID, k.CompanyID)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Plan(&p, c.Title), nil
}

func (s *Server) createPlan(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, append(planFields, "company_id", "account_id", "product_id", "plan_type"), ignoredPlanParams...)
	p := planParams(b)
	p.ProductID, p.PlanType = b.string("product_id"), b.string("plan_type")
	if err := ownCompany(k, b.string("company_id"), b.string("account_id")); err != nil {
		b.fail(err)
	}
	if b.err != nil {
		return nil, b.err
	}
	pl, err := s.svc.CreatePlan(r.Context(), k.CompanyID, p)
	return s.plan(r, k, pl, err)
}

func (s *Server) getPlan(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r); q.err != nil {
		return nil, q.err
	}
	pl, err := s.svc.Plan(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.plan(r, k, pl, err)
}

func (s *Server) updatePlan(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, planFields, ignoredPlanParams...)
	p := planParams(b)
	if b.err != nil {
		return nil, b.err
	}
	pl, err := s.svc.UpdatePlan(r.Context(), k.CompanyID, r.PathValue("id"), p)
	return s.plan(r, k, pl, err)
}

func (s *Server) deletePlan(r *http.Request, k *memberd.APIKey) (any, error) {
	if err := s.svc.DeletePlan(r.Context(), k.CompanyID, r.PathValue("id")); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) listPlans(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id", "account_id", "plan_types", "product_ids", "release_methods",
		"visibilities", "created_after", "created_before")...)
	f := memberd.PlanFilter{
		CompanyID:     k.CompanyID,
		ProductIDs:    q.strings("product_ids"),
		PlanTypes:     q.enums("plan_types", []string{"renewal", "one_time"}),
		Visibilities:  q.enums("visibilities", append(memberd.Visibilities, "all", "not_quick_link", "not_archived")),
		CreatedAfter:  q.time("created_after"),
		CreatedBefore: q.time("created_before"),
	}
	f.Visibilities = expandVisibilities(f.Visibilities)
	q.enums("release_methods", []string{"buy_now", "waitlist"})
	if err := ownCompany(k, strp(q.string("company_id")), strp(q.string("account_id"))); err != nil {
		q.fail(err)
	}
	p := q.page("created_at", "id", "active_members_count", "internal_notes", "expiration_days")
	if q.err != nil {
		return nil, q.err
	}
	c, err := s.svc.Company(r.Context(), k.CompanyID, k.CompanyID)
	if err != nil {
		return nil, err
	}
	page, err := s.svc.ListPlans(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, func(p *memberd.Plan) wire.Plan { return s.svc.Renderer().Plan(p, c.Title) }), nil
}

// expandVisibilities turns the filter values all, not_quick_link and
// not_archived into plain visibilities.
func expandVisibilities(vs []string) []string {
	var out []string
	for _, v := range vs {
		switch v {
		case "all":
			return nil
		case "not_quick_link":
			out = append(out, "visible", "hidden", "archived")
		case "not_archived":
			out = append(out, "visible", "hidden", "quick_link")
		default:
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) createPromoCode(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"amount_off", "base_currency", "code", "company_id", "new_users_only", "promo_duration_months",
		"promo_type", "churned_users_only", "existing_memberships_only", "expires_at", "one_per_customer", "plan_ids",
		"product_id", "stock", "unlimited_stock"})
	p := service.PromoCodeParams{
		Code:           b.requiredString("code"),
		PromoType:      b.requiredString("promo_type"),
		BaseCurrency:   b.requiredString("base_currency"),
		ExpiresAt:      b.time("expires_at"),
		PlanIDs:        b.strings("plan_ids"),
		UnlimitedStock: b.bool("unlimited_stock"),
	}
	companyID := b.requiredString("company_id")
	if amount := b.money("amount_off"); amount != nil {
		p.AmountOff = *amount
	} else {
		b.fail(memberd.Missing("amount_off"))
	}
	if v := b.bool("new_users_only"); v != nil {
		p.NewUsersOnly = *v
	} else {
		b.fail(memberd.Missing("new_users_only"))
	}
	if v := b.int("promo_duration_months"); v != nil {
		p.PromoDurationMonths = *v
	} else {
		b.fail(memberd.Missing("promo_duration_months"))
	}
	for name, dst := range map[string]*bool{"churned_users_only": &p.ChurnedUsersOnly, "existing_memberships_only": &p.ExistingOnly, "one_per_customer": &p.OnePerCustomer} {
		if v := b.bool(name); v != nil {
			*dst = *v
		}
	}
	if v := b.string("product_id"); v != nil {
		p.ProductID = *v
	}
	if v := b.int("stock"); v != nil {
		p.Stock = *v
	}
	if b.err != nil {
		return nil, b.err
	}
	if err := ownCompany(k, &companyID); err != nil {
		return nil, err
	}
	pc, err := s.svc.CreatePromoCode(r.Context(), k.CompanyID, p)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().PromoCode(&pc, true), nil
}

func (s *Server) getPromoCode(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r); q.err != nil {
		return nil, q.err
	}
	pc, err := s.svc.PromoCode(r.Context(), k.CompanyID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().PromoCode(&pc, true), nil
}

func (s *Server) deletePromoCode(r *http.Request, k *memberd.APIKey) (any, error) {
	if err := s.svc.ArchivePromoCode(r.Context(), k.CompanyID, r.PathValue("id")); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) listPromoCodes(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id", "plan_ids", "product_ids", "status", "created_after", "created_before")...)
	f := memberd.PromoCodeFilter{CompanyID: companyParam(q, k, "company_id"), Status: q.string("status"), ProductIDs: q.strings("product_ids"),
		CreatedAfter: q.time("created_after"), CreatedBefore: q.time("created_before")}
	if len(q.strings("plan_ids")) > 0 {
		q.fail(memberd.Invalid("plan_ids", "Filtering promo codes by plan_ids is not supported by memberd; filter by product_ids."))
	}
	if f.Status != "" && f.Status != "active" && f.Status != "inactive" && f.Status != "archived" {
		q.fail(memberd.Invalid("status", "status must be active, inactive or archived."))
	}
	p := q.page("created_at")
	if q.err != nil {
		return nil, q.err
	}
	page, err := s.svc.ListPromoCodes(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, func(p *memberd.PromoCode) wire.PromoCode { return s.svc.Renderer().PromoCode(p, false) }), nil
}
