package legacy

import (
	"encoding/json"
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/wire"
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
	Pagination v5Pagination   `json:"pagination"`
	Data       []v5Membership `json:"data"`
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
			Statuses:   statusFilter(q.Enums("statuses", v5Statuses), true),
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
		out := v5Page{Pagination: v5Pagination{pos.current, pos.total, pos.next, pos.prev, pos.count}, Data: make([]v5Membership, len(items))}
		for i := range items {
			out.Data[i] = newV5Membership(a.svc.Renderer(), &items[i])
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
		return http.StatusOK, newV5Membership(a.svc.Renderer(), &m), nil
	}
}

// v5Membership is the v5 membership: the fields of seed 004 (the retrieve
// doc: nested member, user, company, plan and promo code, integer
// timestamps) together with the flat fields of the v5 OpenAPI's
// AppMembership and CompanyMembership, so a client written against either
// finds what it reads. One shape serves /app and /company.
type v5Membership struct {
	ID                 string            `json:"id"`
	Status             string            `json:"status"`
	CreatedAt          int64             `json:"created_at"`
	UpdatedAt          int64             `json:"updated_at"`
	Member             wire.ID           `json:"member"`
	User               *v5User           `json:"user"`
	RenewalPeriodStart *int64            `json:"renewal_period_start"`
	RenewalPeriodEnd   *int64            `json:"renewal_period_end"`
	CancelAtPeriodEnd  bool              `json:"cancel_at_period_end"`
	CancellationReason *string           `json:"cancellation_reason"`
	CanceledAt         *int64            `json:"canceled_at"`
	Currency           *memberd.Currency `json:"currency"`
	Company            wire.CompanyRef   `json:"company"`
	Plan               wire.ID           `json:"plan"`
	PromoCode          *wire.ID          `json:"promo_code"`
	LicenseKey         *string           `json:"license_key"`
	Metadata           json.RawMessage   `json:"metadata"`

	ProductID            string  `json:"product_id"`
	UserID               string  `json:"user_id"`
	PlanID               string  `json:"plan_id"`
	PageID               *string `json:"page_id"`
	ExpiresAt            *int64  `json:"expires_at"`
	Quantity             int     `json:"quantity"`
	Valid                bool    `json:"valid"`
	AffiliateUsername    *string `json:"affiliate_username"`
	ManageURL            string  `json:"manage_url"`
	CheckoutID           *string `json:"checkout_id"`
	CompanyBuyerID       *string `json:"company_buyer_id"`
	Marketplace          bool    `json:"marketplace"`
	CustomFieldResponses []any   `json:"custom_field_responses"`
}

// v5User is the user of a v5 membership.
type v5User struct {
	ID       string  `json:"id"`
	Username string  `json:"username"`
	Name     *string `json:"name"`
}

func newV5Membership(r wire.Renderer, m *memberd.Membership) v5Membership {
	start, end := periods(m)
	out := v5Membership{
		ID:                   m.ID,
		Status:               legacyStatus(m.Status, true),
		CreatedAt:            unix(m.CreatedAt),
		UpdatedAt:            unix(m.UpdatedAt),
		Member:               wire.ID{ID: m.MemberID},
		RenewalPeriodStart:   start,
		RenewalPeriodEnd:     end,
		CancelAtPeriodEnd:    m.CancelAtPeriodEnd,
		CancellationReason:   strp(m.CancellationReason),
		CanceledAt:           unixp(m.CanceledAt),
		Company:              wire.CompanyRef{ID: m.CompanyID, Title: m.CompanyTitle},
		Plan:                 wire.ID{ID: m.PlanID},
		LicenseKey:           strp(m.LicenseKey),
		Metadata:             object(m.Metadata),
		ProductID:            m.ProductID,
		UserID:               m.UserID,
		PlanID:               m.PlanID,
		ExpiresAt:            expiresAt(m),
		Quantity:             1,
		Valid:                m.Valid(),
		ManageURL:            r.ManageURL(m.ID),
		CheckoutID:           strp(m.CheckoutConfigurationID),
		CustomFieldResponses: []any{},
	}
	if c := m.Currency(); c != "" {
		out.Currency = &c
	}
	if m.PromoCodeID != "" {
		out.PromoCode = &wire.ID{ID: m.PromoCodeID}
	}
	if u := m.User; u != nil {
		out.User = &v5User{ID: u.ID, Username: u.Username, Name: strp(u.Name)}
	}
	return out
}

// v5Payment is the payment of v5 webhook payloads (facts F.3).
type v5Payment struct {
	ID                 string           `json:"id"`
	MembershipID       string           `json:"membership_id"`
	ProductID          string           `json:"product_id"`
	UserID             *string          `json:"user_id"`
	PlanID             string           `json:"plan_id"`
	CompanyID          string           `json:"company_id"`
	LineItemID         *string          `json:"line_item_id"`
	CreatedAt          int64            `json:"created_at"`
	PaidAt             *int64           `json:"paid_at"`
	RefundedAt         *int64           `json:"refunded_at"`
	LastPaymentAttempt *int64           `json:"last_payment_attempt"`
	NextPaymentAttempt *int64           `json:"next_payment_attempt"`
	Status             string           `json:"status"`
	Subtotal           memberd.Money    `json:"subtotal"`
	FinalAmount        memberd.Money    `json:"final_amount"`
	Currency           memberd.Currency `json:"currency"`
	RefundedAmount     memberd.Money    `json:"refunded_amount"`
	PaymentsFailed     int              `json:"payments_failed"`
	CheckoutID         *string          `json:"checkout_id"`
}

// newV5Payment renders a v1 payment (an event's data) as v5.
func newV5Payment(p *wire.Payment) v5Payment {
	out := v5Payment{
		ID:                 p.ID,
		MembershipID:       p.Membership.ID,
		ProductID:          p.Product.ID,
		PlanID:             p.Plan.ID,
		CreatedAt:          wireUnix(p.CreatedAt),
		PaidAt:             wireUnixp(p.PaidAt),
		LastPaymentAttempt: wireUnixp(p.LastPaymentAttempt),
		NextPaymentAttempt: wireUnixp(p.NextPaymentAttempt),
		Status:             p.Status,
		Subtotal:           p.Subtotal,
		FinalAmount:        p.Total,
		Currency:           p.Currency,
		PaymentsFailed:     p.PaymentsFailed,
		CheckoutID:         p.CheckoutConfigurationID,
	}
	if p.Company != nil {
		out.CompanyID = p.Company.ID
	}
	if p.User != nil {
		out.UserID = &p.User.ID
	}
	return out
}
