package memberd

import (
	"encoding/json"
	"slices"
	"time"
)

// Status is a membership's lifecycle status.
type Status string

const (
	StatusDrafted    Status = "drafted"
	StatusTrialing   Status = "trialing"
	StatusActive     Status = "active"
	StatusCanceling  Status = "canceling"
	StatusPastDue    Status = "past_due"
	StatusCompleted  Status = "completed"
	StatusCanceled   Status = "canceled"
	StatusExpired    Status = "expired"
	StatusUnresolved Status = "unresolved"
)

// Statuses is the MembershipStatus enum in the SDK's order.
var Statuses = []Status{
	StatusTrialing, StatusActive, StatusPastDue, StatusCompleted, StatusCanceled,
	StatusExpired, StatusUnresolved, StatusDrafted, StatusCanceling,
}

// Valid reports whether the status grants access (v2's `valid`).
func (s Status) Valid() bool {
	switch s {
	case StatusTrialing, StatusActive, StatusCanceling, StatusCompleted:
		return true
	}
	return false
}

// Known reports whether s is in the enum.
func (s Status) Known() bool { return slices.Contains(Statuses, s) }

// CancelOptions is the enum of reasons a customer gives for canceling.
var CancelOptions = []string{
	"too_expensive", "switching", "missing_features", "technical_issues", "bad_experience", "other", "testing",
}

// Terms are the billing terms a membership was sold on.
type Terms struct {
	PlanType          PlanType
	BillingPeriodDays int
	TrialDays         int
	ExpirationDays    int
	InitialPrice      Money
	RenewalPrice      Money
	Currency          Currency
}

// Renewal reports whether the terms bill every period.
func (t Terms) Renewal() bool { return t.PlanType == PlanRenewal }

// Period is the length of one billing period.
func (t Terms) Period() time.Duration { return Days(t.BillingPeriodDays) }

// Free reports whether nothing is ever charged.
func (t Terms) Free() bool { return t.InitialPrice == 0 && t.RenewalPrice == 0 }

// Days converts a count of days to a duration.
func Days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// Membership is a user's relationship with a product: access, billing status
// and renewal schedule. Every change to it goes through the lifecycle rules.
type Membership struct {
	Seq         int64
	ID          string
	CompanyID   string
	UserID      string
	MemberID    string
	ProductID   string
	PlanID      string
	PromoCodeID string

	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
	JoinedAt  time.Time

	Terms Terms
	// PaidCharges counts successful non-zero charges; the first one is at
	// the initial price, later ones at the renewal price.
	PaidCharges int
	TotalSpend  Money
	Discount    *Discount

	// The current period of a renewal membership (the trial, while InTrial).
	PeriodStart *time.Time
	PeriodEnd   *time.Time
	InTrial     bool
	// TrialWarningAt is when membership.trial_ending_soon is due; nil once it
	// fired for the current trial end, or when there is no trial.
	TrialWarningAt *time.Time
	// ExpiresAt ends a one-time membership with expiration days.
	ExpiresAt *time.Time

	CancelAtPeriodEnd  bool
	CanceledAt         *time.Time
	CancelOption       string
	CancellationReason string

	CollectionPaused bool
	ResumesAt        *time.Time

	// OpenPaymentID is the payment being collected, if any; RetryAt is its
	// next scheduled dunning attempt (nil when no retry is scheduled).
	OpenPaymentID string
	RetryAt       *time.Time

	PaymentMethodID         string
	LicenseKey              string
	Metadata                json.RawMessage
	CheckoutConfigurationID string
	ResyncedAt              *time.Time

	// Joined from related rows, for rendering.
	Related
	PromoCode string
	// PaymentMethodCreatedAt is when PaymentMethodID was created.
	PaymentMethodCreatedAt *time.Time
}

// Related is what storage joins to a membership or a payment from the rows
// they point at, so that they render without further lookups.
type Related struct {
	CompanyTitle      string
	CompanyRoute      string
	ProductTitle      string
	ProductRoute      string
	ProductMetadata   json.RawMessage
	PlanInternalNotes string
	PlanMetadata      json.RawMessage
	User              *User
}

// Valid reports whether the membership grants access.
func (m *Membership) Valid() bool { return m.Status.Valid() }

// Currency is the billing currency, or "" for a free membership.
func (m *Membership) Currency() Currency {
	if m.Terms.Free() {
		return ""
	}
	return m.Terms.Currency
}
