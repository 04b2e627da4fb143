package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/wire"
)

// Companies, users, members and payments.

func (s *Server) accountRoutes() {
	s.Handle("GET /api/v1/companies", []string{memberd.PermCompanyBasicRead}, s.listCompanies)
	s.Handle("POST /api/v1/companies", []string{memberd.PermCompanyCreate}, s.createCompany)
	s.Handle("GET /api/v1/companies/{id}", []string{memberd.PermCompanyBasicRead}, s.getCompany)
	s.Handle("POST /api/v1/companies/{id}/api_keys", []string{memberd.PermCompanyManageAPIKeys}, s.createAPIKey)

	s.Handle("GET /api/v1/users/{id}", nil, s.getUser)
	s.Handle("GET /api/v1/users/{id}/access/{resource_id}", []string{memberd.PermMemberBasicRead}, s.checkAccess)

	s.Handle("GET /api/v1/members", []string{memberd.PermMemberBasicRead}, s.listMembers)
	s.Handle("GET /api/v1/members/{id}", []string{memberd.PermMemberBasicRead}, s.getMember)

	s.Handle("GET /api/v1/payments", []string{memberd.PermPaymentBasicRead}, s.listPayments)
	s.Handle("GET /api/v1/payments/{id}", []string{memberd.PermPaymentBasicRead}, s.getPayment)
	s.Handle("POST /api/v1/payments/{id}/retry", []string{memberd.PermPaymentManage}, s.retryPayment)
	s.Handle("POST /api/v1/payments/{id}/void", []string{memberd.PermPaymentManage}, s.voidPayment)
}

func (s *Server) listCompanies(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "parent_company_id", "created_after", "created_before")...)
	parent := q.string("parent_company_id")
	if parent == "" {
		parent = k.CompanyID
	} else if parent != k.CompanyID {
		q.fail(memberd.NotFound("Company", parent))
	}
	p := q.page("created_at")
	if q.err != nil {
		return nil, q.err
	}
	page, err := s.svc.ListCompanies(r.Context(), parent, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, func(c *memberd.Company) wire.Company { return s.svc.Renderer().Company(c) }), nil
}

func (s *Server) createCompany(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"title", "description", "metadata", "parent_company_id"}, "country", "email", "logo", "send_customer_emails")
	p := service.CompanyParams{Title: b.requiredString("title"), ParentID: k.CompanyID}
	if v := b.string("description"); v != nil {
		p.Description = *v
	}
	p.Metadata, _ = b.metadata("metadata")
	if err := ownCompany(k, b.string("parent_company_id")); err != nil {
		b.fail(err)
	}
	if b.err != nil {
		return nil, b.err
	}
	c, err := s.svc.CreateCompany(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Company(&c), nil
}

func (s *Server) getCompany(r *http.Request, k *memberd.APIKey) (any, error) {
	c, err := s.svc.Company(r.Context(), k.CompanyID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Company(&c), nil
}

// APIKeyCreated is the answer of POST /companies/{id}/api_keys.
type APIKeyCreated struct {
	ID          string   `json:"id"`
	Name        *string  `json:"name"`
	SecretKey   string   `json:"secret_key"`
	Permissions []string `json:"permissions"`
}

// createAPIKey mints a key. SDK 0.0.42 posts to the parent's path with
// {child_company_id, name, permissions: [{actions, grant, resources}], role};
// memberd's own form posts to the company's path with permission strings.
// Roles and resources are accepted and not modeled: a key belongs to one
// company and carries the permissions granted (all when none are).
func (s *Server) createAPIKey(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"name", "permissions", "child_company_id", "role"})
	name := b.string("name")
	perms := apiKeyPermissions(b)
	company := r.PathValue("id")
	if child := b.string("child_company_id"); child != nil {
		if err := ownCompany(k, &company); err != nil {
			b.fail(err)
		}
		company = *child
	}
	if role := b.string("role"); role != nil && !slices.Contains(apiKeyRoles, *role) {
		b.fail(memberd.Invalid("role", "role must be one of %s.", strings.Join(apiKeyRoles, ", ")))
	}
	if b.err != nil {
		return nil, b.err
	}
	n := ""
	if name != nil {
		n = *name
	}
	key, secret, err := s.svc.CreateAPIKey(r.Context(), k.CompanyID, company, n, perms)
	if err != nil {
		return nil, err
	}
	return APIKeyCreated{ID: key.ID, Name: name, SecretKey: secret, Permissions: key.Permissions}, nil
}

var apiKeyRoles = []string{"owner", "admin", "moderator", "sales_manager", "advertiser"}

// apiKeyPermissions reads permissions as strings, or as the SDK's grants
// {actions, grant, resources}: the granted actions (all when only denials
// are given) less the denied ones. nil means all.
func apiKeyPermissions(b *body) []string {
	v, ok := b.raw("permissions")
	if !ok || isNull(v) {
		return nil
	}
	var grants []struct {
		Actions []string `json:"actions"`
		Grant   bool     `json:"grant"`
	}
	if json.Unmarshal(v, &grants) != nil {
		return b.strings("permissions")
	}
	var granted, denied []string
	for _, g := range grants {
		if g.Grant {
			granted = append(granted, g.Actions...)
		} else {
			denied = append(denied, g.Actions...)
		}
	}
	if len(granted) == 0 {
		granted = memberd.AllPermissions
	}
	perms := slices.DeleteFunc(slices.Clone(granted), func(p string) bool { return slices.Contains(denied, p) })
	if len(perms) == 0 {
		b.fail(memberd.Invalid("permissions", "These permissions grant nothing."))
	}
	return perms
}

func (s *Server) getUser(r *http.Request, k *memberd.APIKey) (any, error) {
	// The balance-history options apply only to a user's own view of
	// themselves (GET /users/me), never to an API key: they are checked and
	// otherwise ignored, as Whop ignores them for other callers.
	q := readQuery(r, "account_id", "company_id", "include_balance_history", "from", "to", "interval", "time_zone")
	q.bool("include_balance_history")
	q.time("from")
	q.time("to")
	q.enums("interval", []string{"hour", "day", "week", "month"})
	q.string("time_zone")
	if q.err != nil {
		return nil, q.err
	}
	u, err := s.svc.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().User(&u, false), nil
}

// Access is the answer of GET /users/{id}/access/{resource_id}.
type Access struct {
	AccessLevel string `json:"access_level"`
	HasAccess   bool   `json:"has_access"`
}

func (s *Server) checkAccess(r *http.Request, k *memberd.APIKey) (any, error) {
	level, has, err := s.svc.Access(r.Context(), k.CompanyID, r.PathValue("id"), r.PathValue("resource_id"))
	if err != nil {
		return nil, err
	}
	return Access{level, has}, nil
}

var (
	memberStatuses      = []string{"drafted", "joined", "left"}
	memberRecentActions = []string{"canceling", "churned", "finished_split_pay", "paused", "paid_subscriber", "paid_once",
		"expiring", "joined", "drafted", "left", "trialing", "pending_entry", "renewing", "past_due"}
)

func (s *Server) listMembers(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id", "user_ids", "plan_ids", "product_ids", "promo_code_ids",
		"created_after", "created_before", "access_level", "statuses", "most_recent_actions", "query")...)
	email := k.Can(memberd.PermMemberEmailRead)
	f := memberd.MemberFilter{
		CompanyID:     companyParam(q, k, "company_id"),
		UserIDs:       q.strings("user_ids"),
		PlanIDs:       q.strings("plan_ids"),
		ProductIDs:    q.strings("product_ids"),
		PromoCodeIDs:  q.strings("promo_code_ids"),
		CreatedAfter:  q.time("created_after"),
		CreatedBefore: q.time("created_before"),
		Search:        q.string("query"),
		SearchEmails:  email,
	}
	// A member memberd knows is joined, with no recorded most recent
	// action, and is a customer or has no access: other values match none.
	none := false
	switch level := q.enums("access_level", []string{"no_access", "admin", "customer"}); {
	case len(level) == 0:
	case level[0] == "admin":
		none = true
	default:
		f.HasAccess = new(level[0] == "customer")
	}
	if st := q.enums("statuses", memberStatuses); len(st) > 0 && !slices.Contains(st, "joined") {
		none = true
	}
	if len(q.enums("most_recent_actions", memberRecentActions)) > 0 {
		none = true
	}
	p := q.page("created_at", "joined_at", "id")
	if q.err != nil {
		return nil, q.err
	}
	if none {
		return wire.Page[wire.Member]{Data: []wire.Member{}}, nil
	}
	page, err := s.svc.ListMembers(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, func(m *memberd.Member) wire.Member { return s.svc.Renderer().Member(m, email, false) }), nil
}

func (s *Server) getMember(r *http.Request, k *memberd.APIKey) (any, error) {
	m, err := s.svc.Member(r.Context(), k.CompanyID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Member(&m, k.Can(memberd.PermMemberEmailRead), true), nil
}

var receiptStatuses = []string{"draft", "open", "paid", "pending", "uncollectible", "unresolved", "void"}

func (s *Server) listPayments(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id", "membership_ids", "billing_reasons", "currencies", "plan_ids", "product_ids",
		"statuses", "substatuses", "created_after", "created_before", "updated_after", "updated_before", "include_free",
		"query", "checkout_configuration_ids")...)
	email := k.Can(memberd.PermMemberEmailRead)
	f := memberd.PaymentFilter{
		CompanyID:      companyParam(q, k, "company_id"),
		MembershipIDs:  q.strings("membership_ids"),
		BillingReasons: q.enums("billing_reasons", memberd.BillingReasons),
		Currencies:     q.strings("currencies"),
		PlanIDs:        q.strings("plan_ids"),
		ProductIDs:     q.strings("product_ids"),
		Statuses:       q.enums("statuses", receiptStatuses),
		Substatuses:    q.strings("substatuses"),
		CreatedAfter:   q.time("created_after"),
		CreatedBefore:  q.time("created_before"),
		UpdatedAfter:   q.time("updated_after"),
		UpdatedBefore:  q.time("updated_before"),
		Search:         q.string("query"),
		SearchEmails:   email,
	}
	q.bool("include_free") // memberd makes no payment for a free charge
	// memberd has no checkout configurations: no payment comes from one.
	none := len(q.strings("checkout_configuration_ids")) > 0
	p := q.page("created_at", "paid_at", "final_amount")
	if q.err != nil {
		return nil, q.err
	}
	if none {
		return wire.Page[wire.Payment]{Data: []wire.Payment{}}, nil
	}
	page, err := s.svc.ListPayments(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, func(p *memberd.Payment) wire.Payment { return s.svc.Renderer().Payment(p, email) }), nil
}

func (s *Server) payment(k *memberd.APIKey, p memberd.Payment, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Payment(&p, k.Can(memberd.PermMemberEmailRead)), nil
}

func (s *Server) getPayment(r *http.Request, k *memberd.APIKey) (any, error) {
	p, err := s.svc.Payment(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.payment(k, p, err)
}

func (s *Server) retryPayment(r *http.Request, k *memberd.APIKey) (any, error) {
	if b := readBody(r, nil); b.err != nil {
		return nil, b.err
	}
	p, err := s.svc.RetryPayment(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.payment(k, p, err)
}

func (s *Server) voidPayment(r *http.Request, k *memberd.APIKey) (any, error) {
	if b := readBody(r, nil); b.err != nil {
		return nil, b.err
	}
	p, err := s.svc.VoidPayment(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.payment(k, p, err)
}
