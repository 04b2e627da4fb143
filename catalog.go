package memberd

import (
	"encoding/json"
	"time"
)

// Company is a seller: it owns products, plans, memberships and keys. In test
// mode each company has its own clock, ClockOffset ahead of real time.
type Company struct {
	Seq         int64
	ID          string
	Title       string
	ParentID    string
	OwnerUserID string
	Route       string
	Description string
	Metadata    json.RawMessage
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ClockOffset time.Duration
	Owner       User // joined, for rendering
}

// Visibility of a product or plan.
type Visibility string

// Visibilities is Whop's Visibility enum.
var Visibilities = []string{"visible", "hidden", "archived", "quick_link"}

// Product is what a membership grants access to.
type Product struct {
	Seq         int64
	ID          string
	CompanyID   string
	Title       string
	Description string
	Headline    string
	Route       string
	Visibility  Visibility
	Metadata    json.RawMessage
	// SoftwareLicensing makes memberships of this product carry a license key.
	SoftwareLicensing bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
	CompanyTitle      string // joined, for rendering
	CompanyRoute      string // joined, for rendering
	MemberCount       int    // joined, for rendering
}

// PlanType is how a plan bills.
type PlanType string

const (
	PlanRenewal PlanType = "renewal"
	PlanOneTime PlanType = "one_time"
)

// Plan is a price of a product: what checkout charges and how it renews.
type Plan struct {
	Seq               int64
	ID                string
	CompanyID         string
	ProductID         string
	Title             string
	Description       string
	InternalNotes     string
	PlanType          PlanType
	BillingPeriodDays int // renewal plans: days per period, >= 1
	TrialDays         int // renewal plans: days of free trial, 0 for none
	ExpirationDays    int // one-time plans: days of access, 0 for lifetime
	InitialPrice      Money
	RenewalPrice      Money
	Currency          Currency
	Visibility        Visibility
	ReleaseMethod     string
	Stock             *int
	Metadata          json.RawMessage
	CreatedAt         time.Time
	UpdatedAt         time.Time
	MemberCount       int // joined, for rendering
}

// Terms copies the billing terms a membership keeps for its whole life:
// editing a plan changes what new checkouts get, not existing memberships.
func (p Plan) Terms() Terms {
	return Terms{
		PlanType:          p.PlanType,
		BillingPeriodDays: p.BillingPeriodDays,
		TrialDays:         p.TrialDays,
		ExpirationDays:    p.ExpirationDays,
		InitialPrice:      p.InitialPrice,
		RenewalPrice:      p.RenewalPrice,
		Currency:          p.Currency,
	}
}

// PromoType says how a promo code's amount_off applies.
type PromoType string

const (
	PromoPercentage PromoType = "percentage"
	PromoFlatAmount PromoType = "flat_amount"
)

// PromoCode is a discount a checkout can apply.
type PromoCode struct {
	Seq            int64
	ID             string
	CompanyID      string
	Code           string
	PromoType      PromoType
	AmountOff      Money
	Currency       Currency
	Duration       string // forever, once or repeating
	DurationMonths int    // for repeating: how many billing periods
	NewUsersOnly   bool
	OnePerCustomer bool
	ProductID      string
	PlanIDs        []string
	Stock          int
	UnlimitedStock bool
	Uses           int
	ExpiresAt      *time.Time
	Status         string // active, inactive, archived
	ChurnedOnly    bool
	ExistingOnly   bool
	CreatedAt      time.Time
	CompanyTitle   string // joined, for rendering
	ProductTitle   string // joined, for rendering
}

// Discount is the part of a promo code a membership carries: how much comes
// off each charge and for how many more charges (-1: forever).
type Discount struct {
	PromoCodeID string
	Type        PromoType
	AmountOff   Money
	Remaining   int
}

// Apply returns amount after the discount, rounded to the currency.
func (d *Discount) Apply(amount Money, c Currency) Money {
	if d == nil || d.Remaining == 0 {
		return amount
	}
	if d.Type == PromoPercentage {
		return amount.Sub(amount.Percent(min(d.AmountOff, 100*MoneyScale), c))
	}
	return amount.Sub(d.AmountOff)
}
