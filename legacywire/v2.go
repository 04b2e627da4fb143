package legacywire

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/wire"
)

// The v2 objects (seeds 002 and 003, and the schemas of Whop's v2 OpenAPI
// for the expanded ones). Every field is present; what memberd has no data
// for (Stripe, Discord, wallets, NFTs, affiliates, Telegram, phone) is null
// or empty.

// V2Membership is the v2 Membership. product, user, plan and promo_code are
// id strings, or objects when expanded.
type V2Membership struct {
	ID                      string          `json:"id"`
	Product                 any             `json:"product"`
	User                    any             `json:"user"`
	Plan                    any             `json:"plan"`
	PromoCode               any             `json:"promo_code"`
	Email                   *string         `json:"email"`
	StripeSubscriptionID    *string         `json:"stripe_subscription_id"`
	StripeCustomerID        *string         `json:"stripe_customer_id"`
	Status                  string          `json:"status"`
	Valid                   bool            `json:"valid"`
	CancelAtPeriodEnd       bool            `json:"cancel_at_period_end"`
	PaymentProcessor        string          `json:"payment_processor"`
	LicenseKey              *string         `json:"license_key"`
	Metadata                json.RawMessage `json:"metadata"`
	Quantity                int             `json:"quantity"`
	WalletAddress           *string         `json:"wallet_address"`
	CustomFieldsResponses   map[string]any  `json:"custom_fields_responses"`
	CustomFieldsResponsesV2 map[string]any  `json:"custom_fields_responses_v2"`
	Discord                 any             `json:"discord"`
	NFTTokens               any             `json:"nft_tokens"`
	ExpiresAt               *int64          `json:"expires_at"`
	RenewalPeriodStart      *int64          `json:"renewal_period_start"`
	RenewalPeriodEnd        *int64          `json:"renewal_period_end"`
	CreatedAt               int64           `json:"created_at"`
	ManageURL               string          `json:"manage_url"`
	AffiliatePageURL        *string         `json:"affiliate_page_url"`
	CheckoutSession         *string         `json:"checkout_session"`
	AffiliateUsername       *string         `json:"affiliate_username"`
	AccessPass              string          `json:"access_pass"`
	TelegramAccountID       *string         `json:"telegram_account_id"`
	PhoneNumber             *string         `json:"phone_number"`
	Deliveries              map[string]any  `json:"deliveries"`
}

// V2User is an expanded user.
type V2User struct {
	ID             string  `json:"id"`
	Name           *string `json:"name"`
	Username       string  `json:"username"`
	Email          *string `json:"email"`
	ProfilePicURL  *string `json:"profile_pic_url"`
	SocialAccounts []any   `json:"social_accounts"`
	Roles          []any   `json:"roles"`
	AuthorizedUser any     `json:"authorized_user"`
}

// V2Product is an expanded product: plans are the ids of its visible plans
// (ten at most, as the v2 schema says).
type V2Product struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Name        string             `json:"name"`
	Visibility  memberd.Visibility `json:"visibility"`
	CreatedAt   int64              `json:"created_at"`
	Experiences []any              `json:"experiences"`
	Plans       []string           `json:"plans"`
}

// V2Plan is an expanded plan. Prices are decimal strings ("10.0"), as in
// Whop's v2 webhook examples.
type V2Plan struct {
	ID                     string             `json:"id"`
	Product                string             `json:"product"`
	PlanType               memberd.PlanType   `json:"plan_type"`
	ReleaseMethod          string             `json:"release_method"`
	Visibility             memberd.Visibility `json:"visibility"`
	BillingPeriod          *int               `json:"billing_period"`
	InternalNotes          *string            `json:"internal_notes"`
	PaymentLinkDescription *string            `json:"payment_link_description"`
	Metadata               json.RawMessage    `json:"metadata"`
	DirectLink             string             `json:"direct_link"`
	RenewalPrice           string             `json:"renewal_price"`
	InitialPrice           string             `json:"initial_price"`
	BaseCurrency           memberd.Currency   `json:"base_currency"`
	Requirements           map[string]any     `json:"requirements"`
	ReleaseMethodSettings  map[string]any     `json:"release_method_settings"`
	AcceptedPaymentMethods []string           `json:"accepted_payment_methods"`
	Stock                  *int               `json:"stock"`
	UnlimitedStock         bool               `json:"unlimited_stock"`
	CreatedAt              int64              `json:"created_at"`
	AccessPass             string             `json:"access_pass"`
	CardPayments           bool               `json:"card_payments"`
}

// V2PromoCode is an expanded promo code.
type V2PromoCode struct {
	ID                      string            `json:"id"`
	Plans                   []string          `json:"plans"`
	AmountOff               memberd.Money     `json:"amount_off"`
	BaseCurrency            memberd.Currency  `json:"base_currency"`
	Code                    string            `json:"code"`
	NewUsersOnly            bool              `json:"new_users_only"`
	NumberOfIntervals       int               `json:"number_of_intervals"`
	PlanIDs                 []string          `json:"plan_ids"`
	PromoType               memberd.PromoType `json:"promo_type"`
	Status                  string            `json:"status"`
	Stock                   int               `json:"stock"`
	UnlimitedStock          bool              `json:"unlimited_stock"`
	Uses                    int               `json:"uses"`
	CreatedAt               int64             `json:"created_at"`
	ExpirationDatetime      *int64            `json:"expiration_datetime"`
	Metadata                json.RawMessage   `json:"metadata"`
	Duration                string            `json:"duration"`
	ExistingMembershipsOnly bool              `json:"existing_memberships_only"`
}

// Expandable are the values of v2's expand parameter.
var Expandable = []string{"product", "user", "plan", "promo_code"}

// V2Renderer renders the v2 memberships of one response or payload: the
// user's email only when allowed, the related objects named in Expand
// expanded (each loaded once), metadata hidden with HideMetadata.
type V2Renderer struct {
	Expand       map[string]bool
	HideMetadata bool

	ctx    context.Context
	lookup Lookup
	email  bool
	loaded map[string]any // expanded objects by id (ids are unique across kinds)
}

// NewV2Renderer returns a renderer that expands nothing; email says whether
// the user's email is shown (the key has member:email:read).
func NewV2Renderer(ctx context.Context, l Lookup, email bool) *V2Renderer {
	return &V2Renderer{Expand: map[string]bool{}, ctx: ctx, lookup: l, email: email, loaded: map[string]any{}}
}

// processor is the v2 payment_processor: free, or stripe for memberships
// paid by card (memberd's test cards stand for cards).
func processor(free bool) string {
	if free {
		return "free"
	}
	return "stripe"
}

// Membership renders m.
func (rd *V2Renderer) Membership(m *memberd.Membership) (V2Membership, error) {
	start, end := periods(m)
	out := V2Membership{
		ID:                      m.ID,
		Product:                 m.ProductID,
		User:                    m.UserID,
		Plan:                    m.PlanID,
		Status:                  Status(m.Status, false),
		Valid:                   m.Valid(),
		CancelAtPeriodEnd:       m.CancelAtPeriodEnd,
		PaymentProcessor:        processor(m.Terms.Free()),
		LicenseKey:              strp(m.LicenseKey),
		Metadata:                object(m.Metadata),
		Quantity:                1,
		CustomFieldsResponses:   map[string]any{},
		CustomFieldsResponsesV2: map[string]any{},
		ExpiresAt:               expiresAt(m),
		RenewalPeriodStart:      start,
		RenewalPeriodEnd:        end,
		CreatedAt:               unix(m.CreatedAt),
		ManageURL:               rd.lookup.Renderer().ManageURL(m.ID),
		CheckoutSession:         strp(m.CheckoutConfigurationID),
		AccessPass:              m.ProductID,
		Deliveries:              map[string]any{},
	}
	if m.PromoCodeID != "" {
		out.PromoCode = m.PromoCodeID
	}
	if rd.HideMetadata {
		out.Metadata = nil
	}
	if u := m.User; u != nil {
		if rd.email {
			out.Email = strp(u.Email)
		}
		if rd.Expand["user"] {
			out.User = V2User{ID: u.ID, Name: strp(u.Name), Username: u.Username, Email: out.Email,
				SocialAccounts: []any{}, Roles: []any{}}
		}
	}
	for _, x := range []struct {
		name, id string
		field    *any
		load     func() (any, error)
	}{
		{"product", m.ProductID, &out.Product, func() (any, error) { return rd.product(m.CompanyID, m.ProductID) }},
		{"plan", m.PlanID, &out.Plan, func() (any, error) { return rd.plan(m.CompanyID, m.PlanID) }},
		{"promo_code", m.PromoCodeID, &out.PromoCode, func() (any, error) { return rd.promoCode(m.CompanyID, m.PromoCodeID) }},
	} {
		if !rd.Expand[x.name] || x.id == "" {
			continue
		}
		v, err := rd.related(x.id, x.load)
		if err != nil {
			return out, err
		}
		*x.field = v
	}
	return out, nil
}

// related is the expansion of id: the object load returns, or the id itself
// when the object is gone (a deleted product or plan).
func (rd *V2Renderer) related(id string, load func() (any, error)) (any, error) {
	if v, ok := rd.loaded[id]; ok {
		return v, nil
	}
	v, err := load()
	if memberd.ErrorKind(err) == memberd.KindNotFound {
		v, err = id, nil
	}
	if err != nil {
		return nil, err
	}
	rd.loaded[id] = v
	return v, nil
}

func (rd *V2Renderer) product(companyID, id string) (any, error) {
	p, err := rd.lookup.Product(rd.ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	plans, err := rd.lookup.ListPlans(rd.ctx, memberd.PlanFilter{CompanyID: companyID, ProductIDs: []string{id}, Visibilities: []string{"visible"}},
		memberd.PageRequest{First: 10})
	if err != nil {
		return nil, err
	}
	out := V2Product{ID: p.ID, Title: p.Title, Name: p.Title, Visibility: p.Visibility, CreatedAt: unix(p.CreatedAt),
		Experiences: []any{}, Plans: make([]string, len(plans.Items))}
	for i, pl := range plans.Items {
		out.Plans[i] = pl.ID
	}
	return out, nil
}

func (rd *V2Renderer) plan(companyID, id string) (any, error) {
	p, err := rd.lookup.Plan(rd.ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	out := V2Plan{
		ID:                     p.ID,
		Product:                p.ProductID,
		PlanType:               p.PlanType,
		ReleaseMethod:          p.ReleaseMethod,
		Visibility:             p.Visibility,
		InternalNotes:          strp(p.InternalNotes),
		PaymentLinkDescription: strp(p.Description),
		Metadata:               object(p.Metadata),
		DirectLink:             rd.lookup.Renderer().PurchaseURL(p.ID),
		RenewalPrice:           decimal(p.RenewalPrice),
		InitialPrice:           decimal(p.InitialPrice),
		BaseCurrency:           p.Currency,
		Requirements:           map[string]any{},
		ReleaseMethodSettings:  map[string]any{},
		AcceptedPaymentMethods: []string{"card"},
		Stock:                  p.Stock,
		UnlimitedStock:         p.Stock == nil,
		CreatedAt:              unix(p.CreatedAt),
		AccessPass:             p.ProductID,
		CardPayments:           true,
	}
	if p.PlanType == memberd.PlanRenewal {
		out.BillingPeriod = &p.BillingPeriodDays
	}
	return out, nil
}

func (rd *V2Renderer) promoCode(companyID, id string) (any, error) {
	p, err := rd.lookup.PromoCode(rd.ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	plans := append([]string{}, p.PlanIDs...)
	return V2PromoCode{
		ID:                      p.ID,
		Plans:                   plans,
		AmountOff:               p.AmountOff,
		BaseCurrency:            p.Currency,
		Code:                    p.Code,
		NewUsersOnly:            p.NewUsersOnly,
		NumberOfIntervals:       p.DurationMonths,
		PlanIDs:                 plans,
		PromoType:               p.PromoType,
		Status:                  p.Status,
		Stock:                   p.Stock,
		UnlimitedStock:          p.UnlimitedStock,
		Uses:                    p.Uses,
		CreatedAt:               unix(p.CreatedAt),
		ExpirationDatetime:      unixp(p.ExpiresAt),
		Metadata:                object(nil),
		Duration:                p.Duration,
		ExistingMembershipsOnly: p.ExistingOnly,
	}, nil
}

// decimal writes an amount as Whop's v2 did: a decimal string with at least
// one fractional digit ("10.0", "9.99").
func decimal(m memberd.Money) string {
	s := m.String()
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// V2Payment is the v2 Payment (webhook payloads of payment events).
type V2Payment struct {
	ID                 string           `json:"id"`
	Product            string           `json:"product"`
	Membership         string           `json:"membership"`
	AffiliateReward    *memberd.Money   `json:"affiliate_reward"`
	Plan               string           `json:"plan"`
	User               *string          `json:"user"`
	FinalAmount        memberd.Money    `json:"final_amount"`
	Subtotal           memberd.Money    `json:"subtotal"`
	Currency           memberd.Currency `json:"currency"`
	Last4              *string          `json:"last4"`
	PaymentsFailed     int              `json:"payments_failed"`
	PaymentProcessor   string           `json:"payment_processor"`
	RefundedAmount     memberd.Money    `json:"refunded_amount"`
	Status             string           `json:"status"`
	CryptoTxHash       *string          `json:"crypto_tx_hash"`
	WalletAddress      *string          `json:"wallet_address"`
	CreatedAt          int64            `json:"created_at"`
	PaidAt             *int64           `json:"paid_at"`
	RefundedAt         *int64           `json:"refunded_at"`
	LastPaymentAttempt *int64           `json:"last_payment_attempt"`
	NextPaymentAttempt *int64           `json:"next_payment_attempt"`
	AccessPass         string           `json:"access_pass"`
}

// NewV2Payment renders a v1 payment (an event's data) as v2.
func NewV2Payment(p *wire.Payment) V2Payment {
	out := V2Payment{
		ID:                 p.ID,
		Product:            p.Product.ID,
		Membership:         p.Membership.ID,
		Plan:               p.Plan.ID,
		FinalAmount:        p.Total,
		Subtotal:           p.Subtotal,
		Currency:           p.Currency,
		PaymentsFailed:     p.PaymentsFailed,
		PaymentProcessor:   processor(false),
		Status:             p.Status,
		CreatedAt:          wireUnix(p.CreatedAt),
		PaidAt:             wireUnixp(p.PaidAt),
		LastPaymentAttempt: wireUnixp(p.LastPaymentAttempt),
		NextPaymentAttempt: wireUnixp(p.NextPaymentAttempt),
		AccessPass:         p.Product.ID,
	}
	if p.User != nil {
		out.User = &p.User.ID
	}
	return out
}
