package httpapi

import (
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/wire"
)

// The v1 memberships endpoints (SDK resources/memberships.ts).

var (
	membershipOrders = []string{"created_at", "id", "status", "canceled_at", "date_joined", "total_spend"}
	statusNames      = func() []string {
		out := make([]string, len(memberd.Statuses))
		for i, s := range memberd.Statuses {
			out[i] = string(s)
		}
		return out
	}()
)

func (s *Server) membershipRoutes() {
	read := []string{memberd.PermMemberBasicRead}
	manage := []string{memberd.PermMemberManage, memberd.PermMemberBasicRead}
	s.Handle("GET /api/v1/memberships", read, s.listMemberships)
	s.Handle("GET /api/v1/memberships/{id}", read, s.getMembership)
	s.Handle("PATCH /api/v1/memberships/{id}", manage, s.updateMembership)
	s.Handle("POST /api/v1/memberships/{id}/cancel", []string{memberd.PermMembershipCancel, memberd.PermMemberBasicRead}, s.cancelMembership)
	s.Handle("POST /api/v1/memberships/{id}/pause", manage, s.pauseMembership)
	s.Handle("POST /api/v1/memberships/{id}/resume", manage, s.resumeMembership)
	s.Handle("POST /api/v1/memberships/{id}/uncancel", manage, s.uncancelMembership)
	s.Handle("POST /api/v1/memberships/{id}/add_free_days", manage, s.addFreeDays)
	s.Handle("POST /api/v1/memberships/{id}/resync_access", []string{memberd.PermMembershipResync, memberd.PermMemberBasicRead}, s.resyncAccess)
}

// membership renders a membership for the key (email needs its permission).
func (s *Server) membership(k *memberd.APIKey, m memberd.Membership, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Membership(&m, k.Can(memberd.PermMemberEmailRead)), nil
}

// companyParam reads the company a list is for: required, and it must be
// the key's own (another company's is 404, as if it did not exist).
func companyParam(q *query, k *memberd.APIKey, names ...string) string {
	for _, name := range names {
		if id := q.string(name); id != "" {
			if id != k.CompanyID {
				q.fail(memberd.NotFound("Company", id))
			}
			return id
		}
	}
	q.fail(memberd.Missing(names[0]))
	return ""
}

func (s *Server) listMemberships(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id", "statuses", "cancel_options", "plan_ids", "product_ids",
		"promo_code_ids", "user_ids", "created_after", "created_before")...)
	f := memberd.MembershipFilter{
		CompanyID:     companyParam(q, k, "company_id"),
		CancelOptions: q.enums("cancel_options", memberd.CancelOptions),
		PlanIDs:       q.strings("plan_ids"),
		ProductIDs:    q.strings("product_ids"),
		PromoCodeIDs:  q.strings("promo_code_ids"),
		UserIDs:       q.strings("user_ids"),
		CreatedAfter:  q.time("created_after"),
		CreatedBefore: q.time("created_before"),
	}
	for _, st := range q.enums("statuses", statusNames) {
		f.Statuses = append(f.Statuses, memberd.Status(st))
	}
	p := q.page(membershipOrders...)
	if q.err != nil {
		return nil, q.err
	}
	page, err := s.svc.ListMemberships(r.Context(), f, p)
	if err != nil {
		return nil, err
	}
	email := k.Can(memberd.PermMemberEmailRead)
	return wire.NewPage(page, func(m *memberd.Membership) wire.Membership { return s.svc.Renderer().Membership(m, email) }), nil
}

func (s *Server) getMembership(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r); q.err != nil {
		return nil, q.err
	}
	m, err := s.svc.Membership(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.membership(k, m, err)
}

func (s *Server) updateMembership(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"metadata"})
	md, set := b.metadata("metadata")
	if b.err != nil {
		return nil, b.err
	}
	id := r.PathValue("id")
	if !set {
		m, err := s.svc.Membership(r.Context(), k.CompanyID, id)
		return s.membership(k, m, err)
	}
	m, err := s.svc.SetMetadata(r.Context(), k.CompanyID, id, md)
	return s.membership(k, m, err)
}

func (s *Server) cancelMembership(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"cancellation_mode"})
	mode := b.string("cancellation_mode")
	if b.err != nil {
		return nil, b.err
	}
	p := memberd.CancelParams{}
	if mode != nil {
		p.Mode = *mode
	}
	m, err := s.svc.Cancel(r.Context(), k.CompanyID, r.PathValue("id"), p)
	return s.membership(k, m, err)
}

func (s *Server) pauseMembership(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"void_payments", "resumes_at"})
	p := memberd.PauseParams{ResumesAt: b.time("resumes_at")}
	if v := b.bool("void_payments"); v != nil {
		p.VoidPayments = *v
	}
	if b.err != nil {
		return nil, b.err
	}
	m, err := s.svc.Pause(r.Context(), k.CompanyID, r.PathValue("id"), p)
	return s.membership(k, m, err)
}

func (s *Server) resumeMembership(r *http.Request, k *memberd.APIKey) (any, error) {
	if b := readBody(r, nil); b.err != nil {
		return nil, b.err
	}
	m, err := s.svc.Resume(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.membership(k, m, err)
}

func (s *Server) uncancelMembership(r *http.Request, k *memberd.APIKey) (any, error) {
	if b := readBody(r, nil); b.err != nil {
		return nil, b.err
	}
	m, err := s.svc.Uncancel(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.membership(k, m, err)
}

func (s *Server) addFreeDays(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"free_days"})
	days := b.requiredInt("free_days")
	if b.err != nil {
		return nil, b.err
	}
	m, err := s.svc.AddFreeDays(r.Context(), k.CompanyID, r.PathValue("id"), *days)
	return s.membership(k, m, err)
}

func (s *Server) resyncAccess(r *http.Request, k *memberd.APIKey) (any, error) {
	if b := readBody(r, nil); b.err != nil {
		return nil, b.err
	}
	m, err := s.svc.ResyncAccess(r.Context(), k.CompanyID, r.PathValue("id"))
	return s.membership(k, m, err)
}

// customerCancel is the test helper that cancels as the customer would.
func (s *Server) customerCancel(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"cancel_option", "cancellation_reason", "cancellation_mode"})
	p := memberd.CancelParams{}
	if v := b.string("cancel_option"); v != nil {
		p.Option = *v
	}
	if v := b.string("cancellation_reason"); v != nil {
		p.Reason = *v
	}
	if v := b.string("cancellation_mode"); v != nil {
		p.Mode = *v
	}
	if b.err != nil {
		return nil, b.err
	}
	m, err := s.svc.CustomerCancel(r.Context(), k.CompanyID, r.PathValue("id"), p)
	return s.membership(k, m, err)
}
