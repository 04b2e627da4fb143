package memberd

import "time"

// PaymentStatus is Whop's ReceiptStatus.
type PaymentStatus string

const (
	PaymentOpen          PaymentStatus = "open"
	PaymentPaid          PaymentStatus = "paid"
	PaymentVoid          PaymentStatus = "void"
	PaymentUncollectible PaymentStatus = "uncollectible"
)

// PaymentStatuses is the ReceiptStatus enum.
var PaymentStatuses = []string{"draft", "open", "paid", "pending", "uncollectible", "unresolved", "void"}

// Substatuses memberd produces (Whop's FriendlyReceiptStatus has more).
const (
	SubstatusPending       = "pending"
	SubstatusSucceeded     = "succeeded"
	SubstatusFailed        = "failed"
	SubstatusCanceled      = "canceled"
	SubstatusUncollectible = "uncollectible"
)

// BillingReason says why a payment was made.
type BillingReason string

const (
	ReasonSubscriptionCreate BillingReason = "subscription_create"
	ReasonSubscriptionCycle  BillingReason = "subscription_cycle"
	ReasonOneTime            BillingReason = "one_time"
)

// BillingReasons is the SDK's BillingReasons enum.
var BillingReasons = []string{"subscription_create", "subscription_cycle", "subscription_update", "one_time", "manual", "subscription"}

// Payment is a charge of a membership, paid or being collected.
type Payment struct {
	Seq             int64
	ID              string
	CompanyID       string
	MembershipID    string
	UserID          string
	MemberID        string
	PlanID          string
	ProductID       string
	PromoCodeID     string
	PaymentMethodID string

	Status         PaymentStatus
	Substatus      string
	BillingReason  BillingReason
	Currency       Currency
	Subtotal       Money
	Total          Money
	CreatedAt      time.Time
	UpdatedAt      time.Time
	PaidAt         *time.Time
	LastAttemptAt  *time.Time
	NextAttemptAt  *time.Time
	PaymentsFailed int
	FailureMessage string

	// Joined for rendering: the membership's status and related objects.
	MembershipStatus Status
	Related
	PromoCode *PromoCode
	// PaymentMethodCreatedAt is when PaymentMethodID was created.
	PaymentMethodCreatedAt *time.Time
}

// JoinMembership fills the payment's related fields from its membership,
// as storage would join them.
func (p *Payment) JoinMembership(m *Membership) {
	p.MembershipStatus, p.Related = m.Status, m.Related
	if p.PaymentMethodID == m.PaymentMethodID {
		p.PaymentMethodCreatedAt = m.PaymentMethodCreatedAt
	}
	p.PromoCode = nil
	if m.Discount != nil && p.PromoCodeID != "" {
		p.PromoCode = &PromoCode{ID: p.PromoCodeID, Code: m.PromoCode, PromoType: m.Discount.Type, AmountOff: m.Discount.AmountOff, Currency: m.Terms.Currency}
	}
}
