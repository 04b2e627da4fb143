package legacy

import (
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/legacywire"
)

// v5 is Whop's v5 app and company APIs (facts F.2, seed 004). Errors are
// {"message": ..., "error": ErrorDetail}: the v5 OpenAPI's ErrorResponse
// ({message}) with the same detail as v2. Every answer is 200.
var v5 = surface{
	bases:     []string{"/api/v5", "/v5"},
	errorBody: func(d ErrorDetail) any { return v5Error{Message: d.Message, Error: d} },
}

type v5Error struct {
	Message string      `json:"message"`
	Error   ErrorDetail `json:"error"`
}

func (a *API) v5Routes() {
	a.handle(v5, "GET", "/app/memberships", permRead, a.v5List(true))
	a.handle(v5, "GET", "/app/memberships/{id}", permRead, a.v5One(a.onRef(nil, get)))
	a.handle(v5, "DELETE", "/app/memberships/{id}", permCancel, a.v5One(a.onRef(nil, a.terminate)))
	a.handle(v5, "POST", "/app/memberships/{id}/add_free_days", permManage, a.v5One(a.onRef([]string{"days"}, a.addFreeDays)))
	a.handle(v5, "GET", "/company/memberships", permRead, a.v5List(false))
	a.handle(v5, "GET", "/company/memberships/{id}", permRead, a.v5One(a.onRef(nil, get)))
	a.handle(v5, "PATCH", "/company/memberships/{id}", permManage, a.v5One(a.onRef([]string{"metadata"}, a.setMetadata)))
	a.handle(v5, "DELETE", "/company/memberships/{id}", permCancel, a.v5One(a.onRef(nil, a.terminate)))
}

// v5Page is the v5 list envelope.
type v5Page struct {
	Pagination v5Pagination              `json:"pagination"`
	Data       []legacywire.V5Membership `json:"data"`
}

// v5Pagination is v5's page position; next_page and prev_page are null
// where there is no such page.
type v5Pagination struct {
	CurrentPage int  `json:"current_page"`
	TotalPages  int  `json:"total_pages"`
	NextPage    *int `json:"next_page"`
	PrevPage    *int `json:"prev_page"`
	TotalCount  int  `json:"total_count"`
}

// v5List lists memberships; app lists (/app/memberships) take the company,
// user and experience filters too. valid defaults to true, as documented.
func (a *API) v5List(app bool) handlerFunc {
	known := []string{"statuses", "valid", "product_id", "license_key", "page", "per"}
	if app {
		known = append(known, "company_id", "user_id", "experience_id")
	}
	return func(r *http.Request, k *memberd.APIKey) (int, any, error) {
		q := httpapi.ReadQuery(r, known...)
		page, per := pageParams(q)
		f := memberd.MembershipFilter{
			CompanyID:  k.CompanyID,
			Statuses:   legacywire.StatusFilter(q.Enums("statuses", legacywire.V5Statuses), true),
			ProductIDs: one(q.String("product_id")),
			UserIDs:    one(q.String("user_id")),
			LicenseKey: q.String("license_key"),
			Valid:      q.Bool("valid"),
		}
		if f.Valid == nil {
			valid := true
			f.Valid = &valid
		}
		// A key sees its own company (another one is a 404, as in v1).
		if c := q.String("company_id"); c != "" && c != k.CompanyID {
			q.Fail(memberd.NotFound("Company", c))
		}
		// memberd has no experiences: filtering by one matches nothing.
		none := q.String("experience_id") != ""
		if err := q.Err(); err != nil {
			return 0, nil, err
		}
		items, pos, err := a.listMemberships(r, f, none, page, per, false)
		if err != nil {
			return 0, nil, err
		}
		out := v5Page{Pagination: v5Pagination{pos.current, pos.total, pos.next, pos.prev, pos.count}, Data: make([]legacywire.V5Membership, len(items))}
		for i := range items {
			out.Data[i] = legacywire.NewV5Membership(a.svc.Renderer(), &items[i])
		}
		return http.StatusOK, out, nil
	}
}

// v5One answers with one membership, made by do.
func (a *API) v5One(do membershipFunc) handlerFunc {
	return func(r *http.Request, k *memberd.APIKey) (int, any, error) {
		if err := httpapi.ReadQuery(r).Err(); err != nil {
			return 0, nil, err
		}
		m, err := do(r, k)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, legacywire.NewV5Membership(a.svc.Renderer(), &m), nil
	}
}
