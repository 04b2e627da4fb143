package legacy

import (
	"context"
	"errors"
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/legacywire"
)

// v2 is Whop's v2 API (seeds 002 and 003, facts F.1). Errors are
// {"error": ErrorDetail}; mutations answer 201. Every response carries the
// deprecation headers Whop's v2 sends.
var v2 = surface{
	bases:     []string{"/api/v2", "/v2"},
	errorBody: func(d ErrorDetail) any { return map[string]ErrorDetail{"error": d} },
	headers:   map[string]string{"Deprecation": "@1791417600", "Link": `</api/v1/memberships>; rel="successor-version"`},
}

func (a *API) v2Routes() {
	a.handle(v2, "GET", "/memberships", permRead, a.v2List)
	a.handle(v2, "GET", "/memberships/{id}", permRead, a.v2One(http.StatusOK, a.onRef(nil, get)))
	a.handle(v2, "POST", "/memberships/{id}", permManage, a.v2One(http.StatusCreated, a.onRef([]string{"metadata"}, a.setMetadata)))
	a.handle(v2, "POST", "/memberships/{id}/cancel", permCancel, a.v2One(http.StatusCreated, a.onRef(nil, a.cancelAtPeriodEnd)))
	a.handle(v2, "POST", "/memberships/{id}/terminate", permCancel, a.v2One(http.StatusCreated, a.onRef(nil, a.terminate)))
	a.handle(v2, "POST", "/memberships/{id}/add_free_days", permManage, a.v2One(http.StatusCreated, a.onRef([]string{"days"}, a.addFreeDays)))
	a.handle(v2, "POST", "/memberships/{id}/validate_license", permRead, a.v2One(http.StatusCreated, a.validateLicense))
}

// v2Page is the v2 list envelope.
type v2Page struct {
	Pagination v2Pagination `json:"pagination"`
	Data       []any        `json:"data"`
}

// v2Pagination is v2's page position (total_page, singular, as documented).
type v2Pagination struct {
	CurrentPage int `json:"current_page"`
	TotalPage   int `json:"total_page"`
	TotalCount  int `json:"total_count"`
}

func (a *API) v2List(r *http.Request, k *memberd.APIKey) (int, any, error) {
	q := httpapi.ReadQuery(r, "page", "per", "status", "plan_id", "access_pass_id", "product_id", "user_id",
		"discord_id", "wallet_address", "valid", "hide_metadata", "direction", "expand")
	page, per := pageParams(q)
	f := memberd.MembershipFilter{
		CompanyID:  k.CompanyID,
		Statuses:   legacywire.StatusFilter(q.Enums("status", legacywire.V2Statuses), false),
		PlanIDs:    one(q.String("plan_id")),
		ProductIDs: append(one(q.String("product_id")), one(q.String("access_pass_id"))...),
		UserIDs:    one(q.String("user_id")),
		Valid:      q.Bool("valid"),
	}
	// memberd has no Discord accounts or wallets: filtering by them matches
	// nothing.
	none := q.String("discord_id") != "" || q.String("wallet_address") != ""
	hide := q.Bool("hide_metadata")
	asc := direction(q)
	rd := a.v2Renderer(r.Context(), k, q)
	if err := q.Err(); err != nil {
		return 0, nil, err
	}
	rd.HideMetadata = hide != nil && *hide
	items, pos, err := a.listMemberships(r, f, none, page, per, asc)
	if err != nil {
		return 0, nil, err
	}
	out := v2Page{Pagination: v2Pagination{pos.current, pos.total, pos.count}, Data: make([]any, len(items))}
	for i := range items {
		m, err := rd.Membership(&items[i])
		if err != nil {
			return 0, nil, err
		}
		out.Data[i] = m
	}
	return http.StatusOK, out, nil
}

// direction reads direction: desc (newest first, the default) or asc.
func direction(q httpapi.Query) (asc bool) {
	switch q.String("direction") {
	case "", "desc":
		return false
	case "asc":
		return true
	}
	q.Fail(memberd.Invalid("direction", "direction must be asc or desc."))
	return false
}

// v2One answers with one membership, made by do, rendered with the
// expansions the query asks for.
func (a *API) v2One(status int, do membershipFunc) handlerFunc {
	return func(r *http.Request, k *memberd.APIKey) (int, any, error) {
		q := httpapi.ReadQuery(r, "expand")
		rd := a.v2Renderer(r.Context(), k, q)
		if err := q.Err(); err != nil {
			return 0, nil, err
		}
		m, err := do(r, k)
		if err != nil {
			return 0, nil, err
		}
		out, err := rd.Membership(&m)
		return status, out, err
	}
}

// v2Renderer renders for the key (email needs member:email:read) with the
// expand parameter of q.
func (a *API) v2Renderer(ctx context.Context, k *memberd.APIKey, q httpapi.Query) *legacywire.V2Renderer {
	rd := legacywire.NewV2Renderer(ctx, a.svc, k.Can(memberd.PermMemberEmailRead))
	for _, e := range q.Enums("expand", legacywire.Expandable) {
		rd.Expand[e] = true
	}
	return rd
}

// membershipFunc makes the membership a request answers with.
type membershipFunc func(r *http.Request, k *memberd.APIKey) (memberd.Membership, error)

// operation reads its parameters from the body and returns what it does to
// the membership.
type operation func(r *http.Request, b httpapi.Body) func(m memberd.Membership) (memberd.Membership, error)

// onRef reads the body (params are the ones it may have), finds the
// membership the path names by its id or its license key, and applies op.
// Bad parameters are reported before an unknown membership, as in v1.
func (a *API) onRef(params []string, op operation) membershipFunc {
	return func(r *http.Request, k *memberd.APIKey) (memberd.Membership, error) {
		b := httpapi.ReadBody(r, params...)
		apply := op(r, b)
		if err := b.Err(); err != nil {
			return memberd.Membership{}, err
		}
		m, err := a.svc.MembershipByRef(r.Context(), k.CompanyID, r.PathValue("id"))
		if err != nil {
			return m, err
		}
		return apply(m)
	}
}

func get(*http.Request, httpapi.Body) func(memberd.Membership) (memberd.Membership, error) {
	return func(m memberd.Membership) (memberd.Membership, error) { return m, nil }
}

func (a *API) setMetadata(r *http.Request, b httpapi.Body) func(memberd.Membership) (memberd.Membership, error) {
	md := requiredMetadata(b)
	return func(m memberd.Membership) (memberd.Membership, error) {
		return a.svc.SetMetadata(r.Context(), m.CompanyID, m.ID, md)
	}
}

// cancelAtPeriodEnd is v2's cancel. A membership with no period to end
// (one-time, or not trialing, active or past_due) is refused with v1's code;
// the way out v2 offers is terminate.
func (a *API) cancelAtPeriodEnd(r *http.Request, _ httpapi.Body) func(memberd.Membership) (memberd.Membership, error) {
	return func(m memberd.Membership) (memberd.Membership, error) {
		out, err := a.svc.Cancel(r.Context(), m.CompanyID, m.ID, memberd.CancelParams{Mode: memberd.CancelAtPeriodEnd})
		var e *memberd.Error
		if errors.As(err, &e) && (e.Code == memberd.CodeMembershipNotRecurring || e.Code == memberd.CodeMembershipNotCancelable) {
			err = memberd.Conflict(e.Code, "Membership %s is %s and has no period to end; terminate it instead.", m.ID, legacywire.Status(m.Status, false))
		}
		return out, err
	}
}

// terminate cancels immediately (v2 terminate, v5 DELETE).
func (a *API) terminate(r *http.Request, _ httpapi.Body) func(memberd.Membership) (memberd.Membership, error) {
	return func(m memberd.Membership) (memberd.Membership, error) {
		return a.svc.Cancel(r.Context(), m.CompanyID, m.ID, memberd.CancelParams{Mode: memberd.CancelImmediate})
	}
}

func (a *API) addFreeDays(r *http.Request, b httpapi.Body) func(memberd.Membership) (memberd.Membership, error) {
	days := freeDays(b)
	return func(m memberd.Membership) (memberd.Membership, error) {
		return a.svc.AddFreeDays(r.Context(), m.CompanyID, m.ID, days)
	}
}

// validateLicense validates the license key the path names (or the key of
// the membership it names) for the device metadata of the body: 201 valid
// (binding what was not bound), 400 when the metadata does not match, 404
// for an unknown key.
func (a *API) validateLicense(r *http.Request, k *memberd.APIKey) (memberd.Membership, error) {
	b := httpapi.ReadBody(r, "metadata")
	md := requiredMetadata(b)
	if err := b.Err(); err != nil {
		return memberd.Membership{}, err
	}
	if md == nil {
		return memberd.Membership{}, memberd.Invalid("metadata", "metadata must be an object ({} binds nothing).")
	}
	return a.svc.ValidateLicense(r.Context(), k.CompanyID, r.PathValue("id"), md)
}
