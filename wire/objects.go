package wire

import (
	"encoding/json"

	"github.com/memberd/memberd"
)

// Payment is the v1 Payment. Fields memberd has nothing for (disputes,
// financing, tax, refunds, addresses) are present and empty.
type Payment struct {
	ID                         string            `json:"id"`
	AmountAfterFees            memberd.Money     `json:"amount_after_fees"`
	ApplicationFee             any               `json:"application_fee"`
	AutoRefunded               bool              `json:"auto_refunded"`
	BillingAddress             any               `json:"billing_address"`
	BillingReason              *string           `json:"billing_reason"`
	CardBrand                  *string           `json:"card_brand"`
	CardLast4                  *string           `json:"card_last4"`
	CheckoutConfigurationID    *string           `json:"checkout_configuration_id"`
	Company                    *PaymentCompany   `json:"company"`
	CreatedAt                  Time              `json:"created_at"`
	Currency                   memberd.Currency  `json:"currency"`
	DisputeAlertedAt           *Time             `json:"dispute_alerted_at"`
	Disputes                   []any             `json:"disputes"`
	FailureMessage             *string           `json:"failure_message"`
	FinancingInstallmentsCount *int              `json:"financing_installments_count"`
	FinancingTransactions      []any             `json:"financing_transactions"`
	LastPaymentAttempt         *Time             `json:"last_payment_attempt"`
	Member                     *PaymentMember    `json:"member"`
	Membership                 PaymentMembership `json:"membership"`
	Metadata                   json.RawMessage   `json:"metadata"`
	NextPaymentAttempt         *Time             `json:"next_payment_attempt"`
	PaidAt                     *Time             `json:"paid_at"`
	PaymentMethod              *PaymentMethodRef `json:"payment_method"`
	PaymentMethodType          *string           `json:"payment_method_type"`
	PaymentsFailed             int               `json:"payments_failed"`
	Plan                       PaymentPlan       `json:"plan"`
	Product                    PaymentProduct    `json:"product"`
	PromoCode                  *PaymentPromoCode `json:"promo_code"`
	Refundable                 bool              `json:"refundable"`
	RefundedAmount             *memberd.Money    `json:"refunded_amount"`
	RefundedAt                 *Time             `json:"refunded_at"`
	Refunds                    []any             `json:"refunds"`
	Resolutions                []any             `json:"resolutions"`
	Retryable                  bool              `json:"retryable"`
	RiskScore                  *int              `json:"risk_score"`
	RiskSignals                any               `json:"risk_signals"`
	SettlementAmount           memberd.Money     `json:"settlement_amount"`
	SettlementCurrency         memberd.Currency  `json:"settlement_currency"`
	SettlementExchangeRate     *float64          `json:"settlement_exchange_rate"`
	ShippingAddress            any               `json:"shipping_address"`
	Status                     string            `json:"status"`
	Substatus                  string            `json:"substatus"`
	Subtotal                   memberd.Money     `json:"subtotal"`
	TaxAmount                  *memberd.Money    `json:"tax_amount"`
	TaxBehavior                *string           `json:"tax_behavior"`
	TaxRefundedAmount          *memberd.Money    `json:"tax_refunded_amount"`
	ThreeDSVerified            bool              `json:"three_ds_verified"`
	Total                      memberd.Money     `json:"total"`
	UpdatedAt                  Time              `json:"updated_at"`
	USDTotal                   *memberd.Money    `json:"usd_total"`
	User                       *MembershipUser   `json:"user"`
	Voidable                   bool              `json:"voidable"`
}

// PaymentCompany is {id, route, title}.
type PaymentCompany struct {
	ID    string `json:"id"`
	Route string `json:"route"`
	Title string `json:"title"`
}

// PaymentMember is {id, phone}.
type PaymentMember struct {
	ID    string  `json:"id"`
	Phone *string `json:"phone"`
}

// PaymentMembership links a payment to its membership.
type PaymentMembership struct {
	ID          string         `json:"id"`
	PhoneNumber *string        `json:"phone_number"`
	Status      memberd.Status `json:"status"`
}

// PaymentMethodRef is the card a payment was charged to.
type PaymentMethodRef struct {
	ID                string `json:"id"`
	Card              any    `json:"card"`
	CreatedAt         *Time  `json:"created_at"`
	PaymentMethodType string `json:"payment_method_type"`
}

// PaymentPlan is {id, internal_notes, metadata}.
type PaymentPlan struct {
	ID            string          `json:"id"`
	InternalNotes *string         `json:"internal_notes"`
	Metadata      json.RawMessage `json:"metadata"`
}

// PaymentProduct is {id, metadata, route, title}.
type PaymentProduct struct {
	ID       string          `json:"id"`
	Metadata json.RawMessage `json:"metadata"`
	Route    string          `json:"route"`
	Title    string          `json:"title"`
}

// PaymentPromoCode is the promo code a payment was discounted with.
type PaymentPromoCode struct {
	ID                string            `json:"id"`
	AmountOff         memberd.Money     `json:"amount_off"`
	BaseCurrency      memberd.Currency  `json:"base_currency"`
	Code              *string           `json:"code"`
	NumberOfIntervals *int              `json:"number_of_intervals"`
	PromoType         memberd.PromoType `json:"promo_type"`
}

// Payment renders p; the user's email only when email is true.
func (r Renderer) Payment(p *memberd.Payment, email bool) Payment {
	reason := string(p.BillingReason)
	out := Payment{
		ID:                    p.ID,
		AmountAfterFees:       p.Total,
		BillingReason:         &reason,
		Company:               &PaymentCompany{p.CompanyID, p.CompanyRoute, p.CompanyTitle},
		CreatedAt:             ts(p.CreatedAt),
		Currency:              p.Currency,
		Disputes:              []any{},
		FailureMessage:        strp(p.FailureMessage),
		FinancingTransactions: []any{},
		LastPaymentAttempt:    tsp(p.LastAttemptAt),
		Member:                &PaymentMember{ID: p.MemberID},
		Membership:            PaymentMembership{ID: p.MembershipID, Status: p.MembershipStatus},
		NextPaymentAttempt:    tsp(p.NextAttemptAt),
		PaidAt:                tsp(p.PaidAt),
		PaymentsFailed:        p.PaymentsFailed,
		Plan:                  PaymentPlan{p.PlanID, strp(p.PlanInternalNotes), p.PlanMetadata},
		Product:               PaymentProduct{p.ProductID, p.ProductMetadata, p.ProductRoute, p.ProductTitle},
		Refunds:               []any{},
		Resolutions:           []any{},
		Retryable:             p.Retryable(),
		SettlementAmount:      p.Total,
		SettlementCurrency:    p.Currency,
		Status:                string(p.Status),
		Substatus:             p.Substatus,
		Subtotal:              p.Subtotal,
		Total:                 p.Total,
		UpdatedAt:             ts(p.UpdatedAt),
		Voidable:              p.Voidable(),
	}
	if p.Currency == "usd" {
		out.USDTotal = &p.Total
	}
	if p.PaymentMethodID != "" {
		out.PaymentMethod = &PaymentMethodRef{ID: p.PaymentMethodID, CreatedAt: tsp(p.PaymentMethodCreatedAt), PaymentMethodType: "card"}
		card := "card"
		out.PaymentMethodType = &card
	}
	if pc := p.PromoCode; pc != nil {
		out.PromoCode = &PaymentPromoCode{ID: pc.ID, AmountOff: pc.AmountOff, BaseCurrency: pc.Currency, Code: strp(pc.Code), PromoType: pc.PromoType}
		if pc.DurationMonths > 0 {
			out.PromoCode.NumberOfIntervals = &pc.DurationMonths
		}
	}
	if p.User != nil {
		out.User = &MembershipUser{ID: p.User.ID, Username: p.User.Username, Name: strp(p.User.Name)}
		if email {
			out.User.Email = strp(p.User.Email)
		}
	}
	return out
}

// Owner is the owner_user of a company or product.
type Owner struct {
	ID       string  `json:"id"`
	Name     *string `json:"name"`
	Username string  `json:"username"`
}

// Company is the v1 Company.
type Company struct {
	ID                       string          `json:"id"`
	AffiliateInstructions    *string         `json:"affiliate_instructions"`
	CreatedAt                Time            `json:"created_at"`
	Description              *string         `json:"description"`
	FeaturedAffiliateProduct any             `json:"featured_affiliate_product"`
	Logo                     any             `json:"logo"`
	MemberCount              int             `json:"member_count"`
	Metadata                 json.RawMessage `json:"metadata"`
	OwnerUser                Owner           `json:"owner_user"`
	ParentCompanyID          *string         `json:"parent_company_id"`
	PublishedReviewsCount    int             `json:"published_reviews_count"`
	Route                    string          `json:"route"`
	SendCustomerEmails       bool            `json:"send_customer_emails"`
	SocialLinks              []any           `json:"social_links"`
	TargetAudience           *string         `json:"target_audience"`
	Title                    string          `json:"title"`
	UpdatedAt                Time            `json:"updated_at"`
	Verified                 bool            `json:"verified"`
}

// Company renders c.
func (r Renderer) Company(c *memberd.Company) Company {
	return Company{
		ID:                 c.ID,
		CreatedAt:          ts(c.CreatedAt),
		Description:        strp(c.Description),
		Metadata:           c.Metadata,
		OwnerUser:          Owner{c.Owner.ID, strp(c.Owner.Name), c.Owner.Username},
		ParentCompanyID:    strp(c.ParentID),
		Route:              c.Route,
		SendCustomerEmails: false,
		SocialLinks:        []any{},
		Title:              c.Title,
		UpdatedAt:          ts(c.UpdatedAt),
	}
}

// Product is the v1 Product.
type Product struct {
	ID                        string             `json:"id"`
	Company                   PaymentCompany     `json:"company"`
	CreatedAt                 Time               `json:"created_at"`
	CustomCTA                 string             `json:"custom_cta"`
	CustomCTAURL              *string            `json:"custom_cta_url"`
	CustomStatementDescriptor *string            `json:"custom_statement_descriptor"`
	Description               *string            `json:"description"`
	ExternalIdentifier        *string            `json:"external_identifier"`
	GalleryImages             []any              `json:"gallery_images"`
	GlobalAffiliatePercentage *float64           `json:"global_affiliate_percentage"`
	GlobalAffiliateStatus     string             `json:"global_affiliate_status"`
	Headline                  *string            `json:"headline"`
	MemberAffiliatePercentage *float64           `json:"member_affiliate_percentage"`
	MemberAffiliateStatus     string             `json:"member_affiliate_status"`
	MemberCount               int                `json:"member_count"`
	Metadata                  json.RawMessage    `json:"metadata"`
	OwnerUser                 *Owner             `json:"owner_user,omitempty"`
	ProductTaxCode            any                `json:"product_tax_code"`
	PublishedReviewsCount     int                `json:"published_reviews_count"`
	Route                     string             `json:"route"`
	Title                     string             `json:"title"`
	UpdatedAt                 Time               `json:"updated_at"`
	Verified                  bool               `json:"verified"`
	Visibility                memberd.Visibility `json:"visibility"`
}

// Product renders p, with owner the company's owner.
func (r Renderer) Product(p *memberd.Product, owner *memberd.User) Product {
	out := Product{
		ID:                    p.ID,
		Company:               PaymentCompany{p.CompanyID, p.CompanyRoute, p.CompanyTitle},
		CreatedAt:             ts(p.CreatedAt),
		CustomCTA:             "get_access",
		Description:           strp(p.Description),
		GalleryImages:         []any{},
		GlobalAffiliateStatus: "disabled",
		Headline:              strp(p.Headline),
		MemberAffiliateStatus: "disabled",
		MemberCount:           p.MemberCount,
		Metadata:              p.Metadata,
		Route:                 p.Route,
		Title:                 p.Title,
		UpdatedAt:             ts(p.UpdatedAt),
		Visibility:            p.Visibility,
	}
	if owner != nil {
		out.OwnerUser = &Owner{owner.ID, strp(owner.Name), owner.Username}
	}
	return out
}

// Plan is the v1 Plan.
type Plan struct {
	ID                         string             `json:"id"`
	Account                    *ID                `json:"account"`
	Company                    *CompanyRef        `json:"company"`
	AdaptivePricingEnabled     bool               `json:"adaptive_pricing_enabled"`
	BillingPeriod              *int               `json:"billing_period"`
	CollectTax                 bool               `json:"collect_tax"`
	CreatedAt                  Time               `json:"created_at"`
	Currency                   memberd.Currency   `json:"currency"`
	CustomFields               []any              `json:"custom_fields"`
	Description                *string            `json:"description"`
	ExpirationDays             *int               `json:"expiration_days"`
	InitialPrice               memberd.Money      `json:"initial_price"`
	InternalNotes              *string            `json:"internal_notes"`
	Invoice                    any                `json:"invoice"`
	MemberCount                *int               `json:"member_count"`
	Metadata                   json.RawMessage    `json:"metadata"`
	PaymentMethodConfiguration any                `json:"payment_method_configuration"`
	PlanType                   memberd.PlanType   `json:"plan_type"`
	Product                    *ID                `json:"product"`
	PurchaseURL                string             `json:"purchase_url"`
	ReleaseMethod              string             `json:"release_method"`
	RenewalPrice               memberd.Money      `json:"renewal_price"`
	SplitPayRequiredPayments   *int               `json:"split_pay_required_payments"`
	Stock                      *int               `json:"stock"`
	TaxType                    string             `json:"tax_type"`
	ThreeDSLevel               *string            `json:"three_ds_level"`
	Title                      *string            `json:"title"`
	TrialPeriodDays            *int               `json:"trial_period_days"`
	UnlimitedStock             bool               `json:"unlimited_stock"`
	UpdatedAt                  Time               `json:"updated_at"`
	Visibility                 memberd.Visibility `json:"visibility"`
}

func intp(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// Plan renders p. It carries both spellings of its owner: account (SDK
// 0.0.42) and company (older versions).
func (r Renderer) Plan(p *memberd.Plan, companyTitle string) Plan {
	out := Plan{
		ID:             p.ID,
		Account:        &ID{p.CompanyID},
		Company:        &CompanyRef{p.CompanyID, companyTitle},
		CreatedAt:      ts(p.CreatedAt),
		Currency:       p.Currency,
		CustomFields:   []any{},
		Description:    strp(p.Description),
		ExpirationDays: intp(p.ExpirationDays),
		InitialPrice:   p.InitialPrice,
		InternalNotes:  strp(p.InternalNotes),
		MemberCount:    &p.MemberCount,
		Metadata:       p.Metadata,
		PlanType:       p.PlanType,
		Product:        &ID{p.ProductID},
		PurchaseURL:    r.PurchaseURL(p.ID),
		ReleaseMethod:  p.ReleaseMethod,
		RenewalPrice:   p.RenewalPrice,
		Stock:          p.Stock,
		TaxType:        "unspecified",
		Title:          strp(p.Title),
		UnlimitedStock: p.Stock == nil,
		UpdatedAt:      ts(p.UpdatedAt),
		Visibility:     p.Visibility,
	}
	if p.PlanType == memberd.PlanRenewal {
		out.BillingPeriod = &p.BillingPeriodDays
		out.TrialPeriodDays = intp(p.TrialDays)
	}
	return out
}

// User is the v1 User.
type User struct {
	ID                   string  `json:"id"`
	Balance              any     `json:"balance"`
	BalanceHistory       any     `json:"balance_history"`
	Bio                  *string `json:"bio"`
	CreatedAt            Time    `json:"created_at"`
	EarningsUSD          any     `json:"earnings_usd"`
	Email                *string `json:"email,omitempty"`
	Name                 *string `json:"name"`
	ProfilePicture       any     `json:"profile_picture"`
	Username             string  `json:"username"`
	Verification         any     `json:"verification"`
	WhopPartnerEnabledAt *Time   `json:"whop_partner_enabled_at"`
}

// User renders u; the email only when email is true.
func (r Renderer) User(u *memberd.User, email bool) User {
	out := User{ID: u.ID, CreatedAt: ts(u.CreatedAt), Name: strp(u.Name), Username: u.Username}
	if email {
		out.Email = strp(u.Email)
	}
	return out
}

// Member is the v1 Member.
type Member struct {
	ID                  string          `json:"id"`
	AccessLevel         string          `json:"access_level"`
	Company             *PaymentCompany `json:"company,omitempty"`
	CompanyTokenBalance int             `json:"company_token_balance"`
	CreatedAt           Time            `json:"created_at"`
	JoinedAt            Time            `json:"joined_at"`
	MostRecentAction    *string         `json:"most_recent_action"`
	MostRecentActionAt  *Time           `json:"most_recent_action_at"`
	Phone               *string         `json:"phone"`
	Status              string          `json:"status"`
	UpdatedAt           Time            `json:"updated_at"`
	USDTotalSpent       memberd.Money   `json:"usd_total_spent"`
	User                *MembershipUser `json:"user"`
}

// Member renders m; withCompany adds the company (retrieve, not list).
func (r Renderer) Member(m *memberd.Member, email, withCompany bool) Member {
	access := "no_access"
	if m.HasAccess {
		access = "customer"
	}
	out := Member{
		ID:            m.ID,
		AccessLevel:   access,
		CreatedAt:     ts(m.CreatedAt),
		JoinedAt:      ts(m.JoinedAt),
		Status:        "joined",
		UpdatedAt:     ts(m.UpdatedAt),
		USDTotalSpent: m.TotalSpent,
		User:          &MembershipUser{ID: m.User.ID, Username: m.User.Username, Name: strp(m.User.Name)},
	}
	if email {
		out.User.Email = strp(m.User.Email)
	}
	if withCompany {
		out.Company = &PaymentCompany{m.CompanyID, "", m.CompanyTitle}
	}
	return out
}

// PromoCode is the v1 PromoCode.
type PromoCode struct {
	ID                      string            `json:"id"`
	AmountOff               memberd.Money     `json:"amount_off"`
	ChurnedUsersOnly        bool              `json:"churned_users_only"`
	Code                    *string           `json:"code"`
	Company                 *CompanyRef       `json:"company,omitempty"`
	CreatedAt               Time              `json:"created_at"`
	Currency                memberd.Currency  `json:"currency"`
	Duration                *string           `json:"duration"`
	ExistingMembershipsOnly bool              `json:"existing_memberships_only"`
	ExpiresAt               *Time             `json:"expires_at"`
	NewUsersOnly            bool              `json:"new_users_only"`
	OnePerCustomer          bool              `json:"one_per_customer"`
	Product                 *CompanyRef       `json:"product"`
	PromoDurationMonths     *int              `json:"promo_duration_months"`
	PromoType               memberd.PromoType `json:"promo_type"`
	Status                  string            `json:"status"`
	Stock                   int               `json:"stock"`
	UnlimitedStock          bool              `json:"unlimited_stock"`
	Uses                    int               `json:"uses"`
}

// PromoCode renders p; withCompany adds the company (retrieve, not list).
func (r Renderer) PromoCode(p *memberd.PromoCode, withCompany bool) PromoCode {
	out := PromoCode{
		ID:                      p.ID,
		AmountOff:               p.AmountOff,
		ChurnedUsersOnly:        p.ChurnedOnly,
		Code:                    strp(p.Code),
		CreatedAt:               ts(p.CreatedAt),
		Currency:                p.Currency,
		Duration:                strp(p.Duration),
		ExistingMembershipsOnly: p.ExistingOnly,
		ExpiresAt:               tsp(p.ExpiresAt),
		NewUsersOnly:            p.NewUsersOnly,
		OnePerCustomer:          p.OnePerCustomer,
		PromoDurationMonths:     intp(p.DurationMonths),
		PromoType:               p.PromoType,
		Status:                  p.Status,
		Stock:                   p.Stock,
		UnlimitedStock:          p.UnlimitedStock,
		Uses:                    p.Uses,
	}
	if withCompany {
		out.Company = &CompanyRef{p.CompanyID, p.CompanyTitle}
	}
	if p.ProductID != "" {
		out.Product = &CompanyRef{p.ProductID, p.ProductTitle}
	}
	return out
}
