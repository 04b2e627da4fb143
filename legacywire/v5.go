package legacywire

import (
	"encoding/json"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/wire"
)

// V5Membership is the v5 membership: the fields of seed 004 (the retrieve
// doc: nested member, user, company, plan and promo code, integer
// timestamps) together with the flat fields of the v5 OpenAPI's
// AppMembership and CompanyMembership, so a client written against either
// finds what it reads. One shape serves /app and /company.
type V5Membership struct {
	ID                 string            `json:"id"`
	Status             string            `json:"status"`
	CreatedAt          int64             `json:"created_at"`
	UpdatedAt          int64             `json:"updated_at"`
	Member             wire.ID           `json:"member"`
	User               *V5User           `json:"user"`
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

// V5User is the user of a v5 membership.
type V5User struct {
	ID       string  `json:"id"`
	Username string  `json:"username"`
	Name     *string `json:"name"`
}

// NewV5Membership renders m; r makes its manage_url.
func NewV5Membership(r wire.Renderer, m *memberd.Membership) V5Membership {
	start, end := periods(m)
	out := V5Membership{
		ID:                   m.ID,
		Status:               Status(m.Status, true),
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
		out.User = &V5User{ID: u.ID, Username: u.Username, Name: strp(u.Name)}
	}
	return out
}

// V5Payment is the payment of v5 webhook payloads (facts F.3).
type V5Payment struct {
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

// NewV5Payment renders a v1 payment (an event's data) as v5.
func NewV5Payment(p *wire.Payment) V5Payment {
	out := V5Payment{
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
