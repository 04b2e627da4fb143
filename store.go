package memberd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"
)

// Store is memberd's storage. Both backends (sqlite, postgres) implement it
// and pass the same conformance suite (storetest).
type Store interface {
	// View runs fn with read access.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in one write transaction: everything fn writes commits
	// together or not at all. State changes and their events always share one.
	Update(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is what a transaction can read and write. Lookups scoped by company
// return ErrNotFound for another company's object, exactly as for a missing one.
type Tx interface {
	InsertCompany(ctx context.Context, c *Company) error
	Company(ctx context.Context, id string) (Company, error)
	// LockCompany reads the company and holds it until the transaction ends:
	// clock advances of one company run one at a time.
	LockCompany(ctx context.Context, id string) (Company, error)
	UpdateCompany(ctx context.Context, c *Company) error
	ListCompanies(ctx context.Context, parentID string, p PageRequest) (Page[Company], error)
	// OldestCompanies returns up to limit companies, oldest first.
	OldestCompanies(ctx context.Context, limit int) ([]Company, error)
	// CompaniesWithDueWork lists companies (at most limit) that have
	// memberships due at or before realNow plus their clock offset.
	CompaniesWithDueWork(ctx context.Context, realNow time.Time, limit int) ([]Company, error)

	InsertAPIKey(ctx context.Context, k *APIKey) error
	APIKeyByHash(ctx context.Context, hash string) (APIKey, error)

	InsertUser(ctx context.Context, u *User) error
	User(ctx context.Context, id string) (User, error)
	UserByUsername(ctx context.Context, username string) (User, error)

	InsertMember(ctx context.Context, m *Member) error
	Member(ctx context.Context, companyID, id string) (Member, error)
	MemberByUser(ctx context.Context, companyID, userID string) (Member, error)
	ListMembers(ctx context.Context, f MemberFilter, p PageRequest) (Page[Member], error)

	InsertProduct(ctx context.Context, p *Product) error
	Product(ctx context.Context, companyID, id string) (Product, error)
	UpdateProduct(ctx context.Context, p *Product) error
	DeleteProduct(ctx context.Context, companyID, id string, at time.Time) error
	ListProducts(ctx context.Context, f ProductFilter, p PageRequest) (Page[Product], error)

	InsertPlan(ctx context.Context, p *Plan) error
	Plan(ctx context.Context, companyID, id string) (Plan, error)
	// LockPlan is Plan held for update until the transaction ends, for
	// changes computed from what was read (a limited plan's stock).
	LockPlan(ctx context.Context, companyID, id string) (Plan, error)
	UpdatePlan(ctx context.Context, p *Plan) error
	DeletePlan(ctx context.Context, companyID, id string, at time.Time) error
	ListPlans(ctx context.Context, f PlanFilter, p PageRequest) (Page[Plan], error)

	InsertPromoCode(ctx context.Context, p *PromoCode) error
	PromoCode(ctx context.Context, companyID, id string) (PromoCode, error)
	// LockPromoCode is PromoCode held for update until the transaction ends
	// (its uses are counted).
	LockPromoCode(ctx context.Context, companyID, id string) (PromoCode, error)
	UpdatePromoCode(ctx context.Context, p *PromoCode) error
	ListPromoCodes(ctx context.Context, f PromoCodeFilter, p PageRequest) (Page[PromoCode], error)
	// MemberCounts counts the valid memberships of each plan or product
	// (column "plan" or "product") among ids.
	MemberCounts(ctx context.Context, companyID, column string, ids []string) (map[string]int, error)
	// PromoCodeUsedBy reports whether userID has a membership that used the code.
	PromoCodeUsedBy(ctx context.Context, promoCodeID, userID string) (bool, error)

	InsertPaymentMethod(ctx context.Context, pm *PaymentMethod) error
	PaymentMethod(ctx context.Context, companyID, id string) (PaymentMethod, error)
	// DefaultPaymentMethod is the user's newest method with the company.
	DefaultPaymentMethod(ctx context.Context, companyID, userID string) (PaymentMethod, error)
	// PaymentMethodsOfUsers lists the methods of the users, oldest first.
	PaymentMethodsOfUsers(ctx context.Context, userIDs []string) ([]PaymentMethod, error)

	InsertMembership(ctx context.Context, m *Membership) error
	// Membership reads a membership with its related titles and user.
	Membership(ctx context.Context, companyID, id string) (Membership, error)
	// LockMembership is Membership held for update until the transaction ends.
	LockMembership(ctx context.Context, companyID, id string) (Membership, error)
	// UpdateMemberships writes the state of existing memberships.
	UpdateMemberships(ctx context.Context, ms []Membership) error
	ListMemberships(ctx context.Context, f MembershipFilter, p PageRequest) (Page[Membership], error)
	CountMemberships(ctx context.Context, f MembershipFilter) (int, error)
	// DueMemberships locks and returns up to limit memberships of the company
	// ("" for all) whose due time is at or before until, earliest first. With
	// skipLocked, rows another transaction holds are passed over.
	DueMemberships(ctx context.Context, companyID string, until time.Time, limit int, skipLocked bool) ([]Membership, error)

	// SavePayments inserts each payment, or updates it if it exists.
	SavePayments(ctx context.Context, ps []Payment) error
	Payment(ctx context.Context, companyID, id string) (Payment, error)
	ListPayments(ctx context.Context, f PaymentFilter, p PageRequest) (Page[Payment], error)

	// InsertEvents appends events to the outbox and, in the same
	// transaction, creates a delivery of each to every enabled webhook
	// endpoint it matches.
	InsertEvents(ctx context.Context, evs []Event) error
	ListEvents(ctx context.Context, f EventFilter) ([]Event, error)

	// Page-number lists, for the legacy v2 and v5 surfaces (package legacy).
	// ListMembershipsOffset returns up to limit memberships matching f,
	// skipping the first offset, by creation time (newest first unless asc,
	// ties broken by insertion order); CountMemberships gives the total.
	ListMembershipsOffset(ctx context.Context, f MembershipFilter, offset, limit int, asc bool) ([]Membership, error)

	// Webhooks: endpoints, their deliveries and attempts. Delivery times
	// are real time; claims keep several nodes from sending one delivery
	// at once.
	InsertWebhook(ctx context.Context, w *Webhook) error
	Webhook(ctx context.Context, companyID, id string) (Webhook, error)
	// UpdateWebhook saves w. A disabled endpoint's pending deliveries wait
	// (no next attempt time); enabling it makes them due at once.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes the endpoint with its deliveries and attempts.
	DeleteWebhook(ctx context.Context, companyID, id string) error
	// ListWebhooks lists the company's endpoints.
	ListWebhooks(ctx context.Context, companyID string, p PageRequest) (Page[Webhook], error)
	// ClaimDeliveries claims up to limit deliveries due at now (oldest due
	// first), passing over those other transactions hold: each is held
	// under token until lease, when it falls due again unless recorded.
	ClaimDeliveries(ctx context.Context, now, lease time.Time, token string, limit int) ([]DeliveryJob, error)
	// RecordAttempts logs attempts and applies their results. Endpoints
	// failing since before failingBefore (and not since succeeding) are
	// disabled; it returns the endpoints it disabled.
	RecordAttempts(ctx context.Context, rs []AttemptResult, failingBefore time.Time) ([]EndpointDisabled, error)
	Delivery(ctx context.Context, webhookID string, seq int64) (Delivery, error)
	ListDeliveries(ctx context.Context, f DeliveryFilter, p PageRequest) (Page[Delivery], error)
	ListAttempts(ctx context.Context, deliverySeq int64, p PageRequest) (Page[Attempt], error)
	// ResendDelivery creates a new delivery of a delivery's event, due at once.
	ResendDelivery(ctx context.Context, webhookID string, seq int64) (Delivery, error)
	// ResendDeliveries does so for every delivery f selects and counts them.
	ResendDeliveries(ctx context.Context, f ResendFilter) (int, error)

	// Aggregates for the dashboard (package dashboard).
	// CountMembershipsByStatus counts the memberships matching f, per status.
	CountMembershipsByStatus(ctx context.Context, f MembershipFilter) (map[Status]int, error)
	// RenewalRevenue sums the renewal prices of the company's memberships
	// that pay on renewal terms now (active, canceling or past_due, payment
	// collection not paused, a renewal price above zero), per currency and
	// billing period.
	RenewalRevenue(ctx context.Context, companyID string) ([]RevenueGroup, error)
	// SubscriptionChargesPerDay counts the company's subscription charges
	// (billing reason subscription_create or subscription_cycle) created in
	// the days days from `from`, per day: paid ones, and the others.
	SubscriptionChargesPerDay(ctx context.Context, companyID string, from time.Time, days int) ([]DayCharges, error)
	// LastEventSeq is the sequence number of the company's newest event, 0
	// when it has none.
	LastEventSeq(ctx context.Context, companyID string) (int64, error)

	// Idempotency keys (package httpapi), in real time.
	// ReserveIdempotencyKey takes r's key for r's request unless a record
	// holds it (IdempotencyRecord.Holds at now); a record that no longer
	// holds is replaced. It returns the record holding the key (r when
	// reserved) and whether r reserved it. Of concurrent reservations of a
	// key, one wins.
	ReserveIdempotencyKey(ctx context.Context, r *IdempotencyRecord, now time.Time) (IdempotencyRecord, bool, error)
	// ExtendIdempotencyLease moves the lease of r's reservation to
	// r.LeaseUntil; ErrNotFound when r.Token no longer holds the key.
	ExtendIdempotencyLease(ctx context.Context, r *IdempotencyRecord) error
	// FinishIdempotencyKey stores r.Response (kept until r.ExpiresAt) on
	// the key r.Token holds or, when r.Response is nil, frees the key;
	// ErrNotFound when r.Token no longer holds it.
	FinishIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error
	// DeleteExpiredIdempotencyKeys deletes up to limit records expired at
	// now and counts them.
	DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time, limit int) (int, error)

	// Backlog measures the work waiting at real time now, for metrics.
	Backlog(ctx context.Context, now time.Time) (Backlog, error)
}

// Backlog is the work waiting across every node of a database.
type Backlog struct {
	// QueuedDeliveries are webhook deliveries waiting to be sent: due, held
	// by a sender, or scheduled for a retry (not those of disabled
	// endpoints, which wait for the endpoint).
	QueuedDeliveries int
	// DueDeliveries are those of QueuedDeliveries due now (not held by a
	// sender, or held under a lease that has lapsed).
	DueDeliveries int
	// OldestWork is the real time at which the earliest membership work
	// falls due (its company clock's offset taken off); zero when there is
	// none.
	OldestWork time.Time
}

// RevenueGroup is the renewal revenue of the memberships sharing a currency
// and a billing period.
type RevenueGroup struct {
	Currency    Currency
	PeriodDays  int
	Memberships int
	RenewalSum  Money
}

// DayCharges counts the subscription charges created on one day.
type DayCharges struct {
	Day    int // days after the start of the range
	Paid   int
	Failed int // not paid: failing, uncollectible or void
}

// MembershipFilter selects memberships; empty fields do not filter.
type MembershipFilter struct {
	CompanyID     string
	Statuses      []Status
	CancelOptions []string
	PlanIDs       []string
	ProductIDs    []string
	PromoCodeIDs  []string
	UserIDs       []string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	// Valid selects memberships that grant access (true) or do not (false).
	Valid *bool
	// LicenseKey selects the membership with this license key.
	LicenseKey string
	// Search selects memberships whose id or user id is Search, or whose
	// user's username (or email, with SearchEmails) contains it, ignoring
	// case.
	Search       string
	SearchEmails bool
}

// PaymentFilter selects payments.
type PaymentFilter struct {
	CompanyID      string
	MembershipIDs  []string
	Statuses       []string
	Substatuses    []string
	BillingReasons []string
	PlanIDs        []string
	ProductIDs     []string
	Currencies     []string
	CreatedAfter   *time.Time
	CreatedBefore  *time.Time
	UpdatedAfter   *time.Time
	UpdatedBefore  *time.Time
	// Search selects payments whose membership id or user id is Search, or
	// whose user's username or name (or email, with SearchEmails) contains
	// it, ignoring case.
	Search       string
	SearchEmails bool
}

// ProductFilter selects products.
type ProductFilter struct {
	CompanyID    string
	Visibilities []string
}

// PlanFilter selects plans.
type PlanFilter struct {
	CompanyID     string
	ProductIDs    []string
	PlanTypes     []string
	Visibilities  []string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
}

// PromoCodeFilter selects promo codes.
type PromoCodeFilter struct {
	CompanyID     string
	Status        string
	ProductIDs    []string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
}

// MemberFilter selects members.
type MemberFilter struct {
	CompanyID     string
	UserIDs       []string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	// PlanIDs, ProductIDs and PromoCodeIDs select members with a membership
	// of one of the plans, of the products, or bought with the promo codes.
	PlanIDs      []string
	ProductIDs   []string
	PromoCodeIDs []string
	// HasAccess selects members with a valid membership (true) or without
	// one (false).
	HasAccess *bool
	// Search selects members whose user's username or name (or email, with
	// SearchEmails) contains it, ignoring case.
	Search       string
	SearchEmails bool
}

// EventFilter selects events, oldest first.
type EventFilter struct {
	CompanyID    string
	MembershipID string // events about the membership and its payments
	AfterSeq     int64
	Limit        int
}

// Page sizes of cursor lists.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageRequest asks for one page of a cursor list: the First items after
// After, or the Last items before Before, in Order.
type PageRequest struct {
	First  int
	Last   int
	After  *Cursor
	Before *Cursor
	Order  string // a column the list can sort by; "" for its default
	Desc   bool
}

// Page is one page of a list: the items, each item's cursor, and whether
// more items exist on either side.
type Page[T any] struct {
	Items   []T
	Cursors []Cursor
	HasNext bool
	HasPrev bool
}

// Cursor is a position in a list: the sort value and the row sequence that
// breaks ties. It is opaque to clients.
type Cursor struct {
	Order string
	Value any // int64 or string, depending on Order
	Seq   int64
}

type cursorJSON struct {
	O string          `json:"o"`
	V json.RawMessage `json:"v"`
	S int64           `json:"s"`
}

// Encode renders the cursor as an opaque URL-safe string.
func (c Cursor) Encode() string {
	v, _ := json.Marshal(c.Value)
	b, _ := json.Marshal(cursorJSON{O: c.Order, V: v, S: c.Seq})
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor parses a cursor made by Encode. Whether it fits the list and
// order it is used with is checked by the store, which knows the sort column.
func DecodeCursor(param, s string) (*Cursor, error) {
	bad := Invalid(param, "%s is not a valid cursor.", param)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var cj cursorJSON
	if err := json.Unmarshal(b, &cj); err != nil || cj.S <= 0 {
		return nil, bad
	}
	c := &Cursor{Order: cj.O, Seq: cj.S}
	var n int64
	var str string
	switch {
	case json.Unmarshal(cj.V, &n) == nil:
		c.Value = n
	case json.Unmarshal(cj.V, &str) == nil:
		c.Value = str
	default:
		return nil, bad
	}
	return c, nil
}
