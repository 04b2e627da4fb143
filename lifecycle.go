package memberd

import (
	"encoding/json"
	"slices"
	"time"
)

// Rules are the lifecycle rules of LIFECYCLE.md. Each rule is a pure
// function of a membership's state, an instant and, where money moves, a
// Charger: no clock, no storage. The service layer loads state, applies a
// rule and writes the Outcome in one transaction.
type Rules struct {
	// RetrySchedule is when dunning retries a failed payment, measured from
	// the first failure. When the last retry fails the membership expires.
	RetrySchedule []time.Duration
	// TrialWarning is how long before a trial ends trial_ending_soon fires.
	TrialWarning time.Duration
}

// DefaultRules retry after 1, 3 and 7 days and warn 3 days before a trial ends.
var DefaultRules = Rules{
	RetrySchedule: []time.Duration{Days(1), Days(3), Days(7)},
	TrialWarning:  Days(3),
}

// Billing is a membership together with its open payment, if any: the unit
// every rule works on.
type Billing struct {
	Membership Membership
	Open       *Payment
}

// Outcome is what a rule did: the membership after it, the payments it
// created or changed (to be saved), and the events it fired, in order.
type Outcome struct {
	Membership Membership
	Payments   []Payment
	Events     []Emitted
	Changed    bool
}

func (o *Outcome) emit(t EventType, p *Payment) {
	e := Emitted{Type: t, Membership: o.Membership}
	if p != nil {
		cp := *p
		cp.MembershipStatus = o.Membership.Status
		e.Payment = &cp
	}
	o.Events = append(o.Events, e)
}

// touch marks the outcome as a change made at instant at.
func (o *Outcome) touch(at time.Time) {
	o.Changed = true
	o.Membership.UpdatedAt = at
}

// savePayment records p as created or changed (replacing an earlier copy).
func (o *Outcome) savePayment(p Payment) {
	for i := range o.Payments {
		if o.Payments[i].ID == p.ID {
			o.Payments[i] = p
			return
		}
	}
	o.Payments = append(o.Payments, p)
}

// Charge is one attempt to collect a payment.
type Charge struct {
	Payment Payment
}

// ChargeResult is the processor's answer.
type ChargeResult struct {
	Paid           bool
	FailureMessage string
}

// Charger attempts a charge. The test processor decides from the payment
// method's behavior; tests pass fixed answers.
type Charger func(Charge) ChargeResult

// ---------------------------------------------------------------------------
// Checkout

// Checkout puts a new membership (status drafted, terms and ids filled in,
// CreatedAt = at) into its first state: trialing with no charge, or the first
// charge at the initial price: active, completed or, if it fails, drafted.
func (r Rules) Checkout(m Membership, at time.Time, charge Charger) Outcome {
	o := Outcome{Membership: m, Changed: true}
	mm := &o.Membership
	mm.Status, mm.CreatedAt, mm.UpdatedAt = StatusDrafted, at, at
	if mm.Terms.Renewal() && mm.Terms.TrialDays > 0 {
		end := at.Add(Days(mm.Terms.TrialDays))
		mm.Status, mm.InTrial = StatusTrialing, true
		mm.PeriodStart, mm.PeriodEnd = ptr(at), ptr(end)
		mm.TrialWarningAt = ptr(r.trialWarningAt(end, at))
		o.emit(EventMembershipActivated, nil)
		r.fireDueTrialWarning(&o, at)
		return o
	}
	reason := ReasonSubscriptionCreate
	if !mm.Terms.Renewal() {
		reason = ReasonOneTime
	}
	if !r.collect(&o, reason, at, charge) {
		return o // drafted, with its failed payment open
	}
	if mm.Terms.Renewal() {
		mm.Status = StatusActive
		mm.PeriodStart, mm.PeriodEnd = ptr(at), ptr(at.Add(mm.Terms.Period()))
	} else if mm.Terms.ExpirationDays > 0 {
		mm.Status = StatusActive
		mm.ExpiresAt = ptr(at.Add(Days(mm.Terms.ExpirationDays)))
	} else {
		mm.Status = StatusCompleted
	}
	o.emit(EventMembershipActivated, nil)
	return o
}

// collect charges the next amount of the membership for reason, stamped at.
// A zero amount makes no payment and succeeds. On failure the payment stays
// open, and its first retry is scheduled unless this was the checkout charge.
// It reports whether the charge was paid; the caller sets the status.
func (r Rules) collect(o *Outcome, reason BillingReason, at time.Time, charge Charger) bool {
	m := &o.Membership
	subtotal := m.Terms.RenewalPrice
	if m.PaidCharges == 0 {
		subtotal = m.Terms.InitialPrice
	}
	total := m.Discount.Apply(subtotal, m.Terms.Currency)
	if m.Discount != nil && m.Discount.Remaining > 0 {
		m.Discount.Remaining--
	}
	if total == 0 {
		return true
	}
	p := Payment{
		ID:              NewID(PrefixPayment),
		CompanyID:       m.CompanyID,
		MembershipID:    m.ID,
		UserID:          m.UserID,
		MemberID:        m.MemberID,
		PlanID:          m.PlanID,
		ProductID:       m.ProductID,
		PromoCodeID:     m.PromoCodeID,
		PaymentMethodID: m.PaymentMethodID,
		Status:          PaymentOpen,
		Substatus:       SubstatusPending,
		BillingReason:   reason,
		Currency:        m.Terms.Currency,
		Subtotal:        subtotal,
		Total:           total,
		CreatedAt:       at,
		UpdatedAt:       at,
	}
	o.emit(EventPaymentCreated, &p)
	res := charge(Charge{Payment: p})
	p.LastAttemptAt = ptr(at)
	if res.Paid {
		r.markPaid(o, &p, at)
		o.savePayment(p)
		o.emit(EventPaymentSucceeded, &p)
		return true
	}
	p.Substatus, p.FailureMessage, p.PaymentsFailed = SubstatusFailed, failureMessage(res), 1
	if reason != ReasonOneTime && !(reason == ReasonSubscriptionCreate && m.Status == StatusDrafted) {
		p.NextAttemptAt = r.nextRetry(p)
	}
	m.OpenPaymentID, m.RetryAt = p.ID, p.NextAttemptAt
	o.savePayment(p)
	o.emit(EventPaymentFailed, &p)
	return false
}

func (r Rules) markPaid(o *Outcome, p *Payment, at time.Time) {
	p.Status, p.Substatus, p.PaidAt, p.UpdatedAt = PaymentPaid, SubstatusSucceeded, ptr(at), at
	p.NextAttemptAt, p.FailureMessage = nil, ""
	m := &o.Membership
	m.PaidCharges++
	m.TotalSpend += p.Total
	if m.OpenPaymentID == p.ID {
		m.OpenPaymentID, m.RetryAt = "", nil
	}
}

// nextRetry is when dunning next retries p, or nil when retries are spent.
func (r Rules) nextRetry(p Payment) *time.Time {
	if p.PaymentsFailed > len(r.RetrySchedule) {
		return nil
	}
	return ptr(p.CreatedAt.Add(r.RetrySchedule[p.PaymentsFailed-1]))
}

func failureMessage(res ChargeResult) string {
	if res.FailureMessage != "" {
		return res.FailureMessage
	}
	return "The payment was declined."
}

// ---------------------------------------------------------------------------
// Time-driven work

// WorkKind is a kind of time-driven work; at one instant they run in this
// order.
type WorkKind int

const (
	WorkResumeCollection WorkKind = iota // resumes_at arrived
	WorkTrialWarning                     // trial_ending_soon is due
	WorkRetry                            // a dunning retry is due
	WorkPeriodEnd                        // the period ends: cancel, roll or charge
	WorkExpiry                           // a one-time membership's access ends
)

var workNames = [...]string{"resume_collection", "trial_warning", "payment_retry", "period_end", "expiry"}

func (k WorkKind) String() string { return workNames[k] }

// Work is a piece of time-driven work due at an instant.
type Work struct {
	Kind WorkKind
	At   time.Time
}

// NextWork returns the earliest work due on the membership, if any. Its
// instant is what storage indexes as the membership's due time.
func (m *Membership) NextWork() (Work, bool) {
	var best Work
	found := false
	consider := func(k WorkKind, at *time.Time) {
		if at != nil && (!found || at.Before(best.At) || (at.Equal(best.At) && k < best.Kind)) {
			best, found = Work{Kind: k, At: *at}, true
		}
	}
	switch m.Status {
	case StatusTrialing, StatusActive, StatusCanceling, StatusPastDue:
	default:
		return best, false
	}
	if m.CollectionPaused {
		consider(WorkResumeCollection, m.ResumesAt)
	}
	if m.InTrial {
		consider(WorkTrialWarning, m.TrialWarningAt)
	}
	if m.OpenPaymentID != "" {
		consider(WorkRetry, m.RetryAt)
	}
	if m.Terms.Renewal() {
		consider(WorkPeriodEnd, m.PeriodEnd)
	} else {
		consider(WorkExpiry, m.ExpiresAt)
	}
	return best, found
}

// Perform does work w, stamped at its own instant w.At.
func (r Rules) Perform(b Billing, w Work, charge Charger) Outcome {
	o := Outcome{Membership: b.Membership}
	m := &o.Membership
	at := w.At
	o.touch(at)
	switch w.Kind {
	case WorkResumeCollection:
		m.CollectionPaused, m.ResumesAt = false, nil
	case WorkTrialWarning:
		m.TrialWarningAt = nil
		o.emit(EventMembershipTrialEndingSoon, nil)
	case WorkRetry:
		r.retry(&o, b.Open, at, charge, true)
	case WorkPeriodEnd:
		r.periodEnd(&o, b.Open, at, charge)
	case WorkExpiry:
		wasValid := m.Valid()
		m.Status = StatusExpired
		if wasValid {
			o.emit(EventMembershipDeactivated, nil)
		}
	}
	return o
}

func (r Rules) periodEnd(o *Outcome, open *Payment, at time.Time, charge Charger) {
	m := &o.Membership
	wasValid := m.Valid()
	if m.CancelAtPeriodEnd {
		m.Status, m.CancelAtPeriodEnd, m.InTrial, m.TrialWarningAt = StatusCanceled, false, false, nil
		r.voidOpen(o, open, at)
		if wasValid {
			o.emit(EventMembershipDeactivated, nil)
		}
		return
	}
	m.PeriodStart, m.PeriodEnd = m.PeriodEnd, ptr(m.PeriodEnd.Add(m.Terms.Period()))
	m.InTrial, m.TrialWarningAt = false, nil
	if m.CollectionPaused || m.OpenPaymentID != "" {
		// Paused: the period rolls without a charge. In dunning: the open
		// payment is still being collected; at most one is open at a time.
		if m.Status == StatusTrialing {
			m.Status = StatusActive
		}
		return
	}
	reason := ReasonSubscriptionCycle
	if m.PaidCharges == 0 {
		reason = ReasonSubscriptionCreate
	}
	if r.collect(o, reason, at, charge) {
		m.Status = StatusActive
		if !wasValid {
			o.emit(EventMembershipActivated, nil)
		}
		return
	}
	m.Status = StatusPastDue
	if m.RetryAt == nil {
		r.giveUp(o, r.findPayment(o, m.OpenPaymentID), at, wasValid)
		return
	}
	if wasValid {
		o.emit(EventMembershipDeactivated, nil)
	}
}

// retry attempts the open payment again. A dunning retry (scheduled) moves
// the schedule on and gives up after the last; a manual one does neither.
func (r Rules) retry(o *Outcome, open *Payment, at time.Time, charge Charger, scheduled bool) {
	if open == nil {
		return
	}
	m := &o.Membership
	p := *open
	wasValid := m.Valid()
	res := charge(Charge{Payment: p})
	p.LastAttemptAt, p.UpdatedAt = ptr(at), at
	if res.Paid {
		r.markPaid(o, &p, at)
		o.savePayment(p)
		if m.Status == StatusPastDue {
			m.Status = StatusActive
			if m.CancelAtPeriodEnd {
				m.Status = StatusCanceling
			}
		}
		o.emit(EventPaymentSucceeded, &p)
		if !wasValid && m.Valid() {
			o.emit(EventMembershipActivated, nil)
		}
		return
	}
	p.PaymentsFailed++
	p.Substatus, p.FailureMessage = SubstatusFailed, failureMessage(res)
	if scheduled {
		p.NextAttemptAt = r.nextRetry(p)
		m.RetryAt = p.NextAttemptAt
	}
	o.savePayment(p)
	o.emit(EventPaymentFailed, &p)
	if scheduled && p.NextAttemptAt == nil {
		r.giveUp(o, r.findPayment(o, p.ID), at, wasValid)
	}
}

// giveUp ends dunning: the payment becomes uncollectible and the membership
// expires.
func (r Rules) giveUp(o *Outcome, p *Payment, at time.Time, wasValid bool) {
	m := &o.Membership
	p.Status, p.Substatus, p.NextAttemptAt, p.UpdatedAt = PaymentUncollectible, SubstatusUncollectible, nil, at
	o.savePayment(*p)
	m.Status, m.OpenPaymentID, m.RetryAt = StatusExpired, "", nil
	if wasValid {
		o.emit(EventMembershipDeactivated, nil)
	}
}

func (r Rules) findPayment(o *Outcome, id string) *Payment {
	for i := range o.Payments {
		if o.Payments[i].ID == id {
			return &o.Payments[i]
		}
	}
	return nil
}

// voidOpen voids the open payment, stopping its retries.
func (r Rules) voidOpen(o *Outcome, open *Payment, at time.Time) {
	m := &o.Membership
	if open == nil || m.OpenPaymentID == "" {
		m.OpenPaymentID, m.RetryAt = "", nil
		return
	}
	p := *open
	p.Status, p.Substatus, p.NextAttemptAt, p.UpdatedAt = PaymentVoid, SubstatusCanceled, nil, at
	o.savePayment(p)
	m.OpenPaymentID, m.RetryAt = "", nil
}

func (r Rules) trialWarningAt(end, now time.Time) time.Time {
	w := end.Add(-r.TrialWarning)
	if w.Before(now) {
		return now
	}
	return w
}

// fireDueTrialWarning fires trial_ending_soon now if it is already due.
func (r Rules) fireDueTrialWarning(o *Outcome, now time.Time) {
	m := &o.Membership
	if m.InTrial && m.TrialWarningAt != nil && !m.TrialWarningAt.After(now) {
		m.TrialWarningAt = nil
		o.emit(EventMembershipTrialEndingSoon, nil)
	}
}

// ---------------------------------------------------------------------------
// Operations of the v1 API

// PauseParams are the parameters of pause.
type PauseParams struct {
	VoidPayments bool
	ResumesAt    *time.Time
}

// Pause stops payment collection; status and access are kept.
func (r Rules) Pause(b Billing, p PauseParams, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	m := &o.Membership
	if !m.Terms.Renewal() {
		return o, Conflict(CodeMembershipNotPausable, "Membership %s is on a one-time plan; only renewal memberships can be paused.", m.ID)
	}
	switch m.Status {
	case StatusTrialing, StatusActive, StatusCanceling, StatusPastDue:
	default:
		return o, Conflict(CodeMembershipNotPausable, "Membership %s is %s; only trialing, active, canceling or past_due memberships can be paused.", m.ID, m.Status)
	}
	if p.ResumesAt != nil && !p.ResumesAt.After(now) {
		return o, Invalid("resumes_at", "resumes_at must be in the future (now is %s).", now.UTC().Format(time.RFC3339Nano))
	}
	o.touch(now)
	m.CollectionPaused, m.ResumesAt = true, p.ResumesAt
	if p.VoidPayments {
		r.voidOpen(&o, b.Open, now)
	}
	return o, nil
}

// Resume clears a pause; the next charge is at the current period end.
func (r Rules) Resume(b Billing, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	if !o.Membership.CollectionPaused {
		return o, nil
	}
	o.touch(now)
	o.Membership.CollectionPaused, o.Membership.ResumesAt = false, nil
	return o, nil
}

// Cancellation modes.
const (
	CancelAtPeriodEnd = "at_period_end"
	CancelImmediate   = "immediate"
)

// CancelParams are the parameters of cancel. Option and Reason are set only
// when the customer cancels.
type CancelParams struct {
	Mode   string
	Option string
	Reason string
}

// Cancel cancels at period end (the default) or immediately.
func (r Rules) Cancel(b Billing, p CancelParams, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	m := &o.Membership
	if m.Status == StatusCanceled {
		return o, nil
	}
	if m.Status == StatusExpired {
		return o, Conflict(CodeMembershipExpired, "Membership %s has expired and cannot be canceled.", m.ID)
	}
	setReason := func() {
		if p.Option != "" {
			m.CancelOption, m.CancellationReason = p.Option, p.Reason
		}
	}
	if p.Mode == CancelImmediate {
		wasValid := m.Valid()
		o.touch(now)
		setReason()
		m.Status, m.CancelAtPeriodEnd, m.InTrial, m.TrialWarningAt = StatusCanceled, false, false, nil
		if m.CanceledAt == nil {
			m.CanceledAt = ptr(now)
		}
		r.voidOpen(&o, b.Open, now)
		if wasValid {
			o.emit(EventMembershipDeactivated, nil)
		}
		return o, nil
	}
	if !m.Terms.Renewal() {
		return o, Conflict(CodeMembershipNotRecurring, "Membership %s is on a one-time plan and has no period to end; cancel it with cancellation_mode immediate.", m.ID)
	}
	switch m.Status {
	case StatusTrialing, StatusActive, StatusCanceling, StatusPastDue:
	default:
		return o, Conflict(CodeMembershipNotCancelable, "Membership %s is %s and has no period to end; cancel it with cancellation_mode immediate.", m.ID, m.Status)
	}
	if m.CancelAtPeriodEnd {
		return o, nil
	}
	o.touch(now)
	setReason()
	m.CancelAtPeriodEnd, m.CanceledAt = true, ptr(now)
	if m.Status != StatusPastDue {
		m.Status = StatusCanceling
	}
	o.emit(EventMembershipCancelChanged, nil)
	return o, nil
}

// Uncancel reverses a pending period-end cancellation; otherwise it does
// nothing.
func (r Rules) Uncancel(b Billing, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	m := &o.Membership
	if !m.CancelAtPeriodEnd {
		return o, nil
	}
	o.touch(now)
	m.CancelAtPeriodEnd, m.CanceledAt, m.CancelOption, m.CancellationReason = false, nil, "", ""
	switch {
	case m.Status == StatusPastDue: // still owes: uncancel gives no access back
	case m.InTrial:
		m.Status = StatusTrialing
	default:
		m.Status = StatusActive
	}
	o.emit(EventMembershipCancelChanged, nil)
	return o, nil
}

// MaxFreeDays is the largest add_free_days accepts (three years).
const MaxFreeDays = 1095

// AddFreeDays moves the period end (or a one-time membership's expiry) later.
func (r Rules) AddFreeDays(b Billing, days int, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	m := &o.Membership
	if days < 1 || days > MaxFreeDays {
		return o, Invalid("free_days", "free_days must be an integer from 1 to %d.", MaxFreeDays)
	}
	extend := Days(days)
	switch {
	case m.Terms.Renewal() && slices.Contains([]Status{StatusTrialing, StatusActive, StatusCanceling, StatusPastDue}, m.Status):
		o.touch(now)
		m.PeriodEnd = ptr(m.PeriodEnd.Add(extend))
		if m.InTrial {
			if m.TrialWarningAt != nil || m.PeriodEnd.Sub(now) > r.TrialWarning {
				m.TrialWarningAt = ptr(r.trialWarningAt(*m.PeriodEnd, now))
			}
		}
	case !m.Terms.Renewal() && m.Status == StatusActive && m.ExpiresAt != nil:
		o.touch(now)
		m.ExpiresAt = ptr(m.ExpiresAt.Add(extend))
	default:
		return o, Conflict(CodeMembershipNotExtendable, "Membership %s is %s; free days extend only trialing, active, canceling or past_due renewal memberships and one-time memberships that expire.", m.ID, m.Status)
	}
	return o, nil
}

// Metadata limits (seed 000): keys, key length, value length (a non-string
// value counts its JSON length).
const (
	MaxMetadataKeys     = 50
	MaxMetadataKeyLen   = 500
	MaxMetadataValueLen = 5000
)

// ValidateMetadata checks a metadata object against the limits; param names
// the field in errors.
func ValidateMetadata(param string, raw json.RawMessage) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return Invalid(param, "%s must be a JSON object or null.", param)
	}
	if len(obj) > MaxMetadataKeys {
		return Invalid(param, "%s has %d keys; at most %d are allowed.", param, len(obj), MaxMetadataKeys)
	}
	for k, v := range obj {
		if len([]rune(k)) > MaxMetadataKeyLen {
			return Invalid(param, "%s key %.40q… is longer than %d characters.", param, k, MaxMetadataKeyLen)
		}
		n := len(v)
		var s string
		if json.Unmarshal(v, &s) == nil {
			n = len([]rune(s))
		}
		if n > MaxMetadataValueLen {
			return Invalid(param, "%s value of key %q is longer than %d characters.", param, k, MaxMetadataValueLen)
		}
	}
	return nil
}

// SetMetadata replaces the metadata whole (nil clears it).
func (r Rules) SetMetadata(b Billing, md json.RawMessage, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	if md != nil {
		if err := ValidateMetadata("metadata", md); err != nil {
			return o, err
		}
	}
	o.touch(now)
	o.Membership.Metadata = md
	return o, nil
}

// ResyncAccess records that access was recomputed; nothing else changes.
func (r Rules) ResyncAccess(b Billing, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership, Changed: true}
	o.Membership.ResyncedAt = ptr(now)
	return o, nil
}

// RetryPayment retries the open payment by hand (POST /payments/{id}/retry):
// a failure leaves the dunning schedule as it was.
func (r Rules) RetryPayment(b Billing, now time.Time, charge Charger) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	if !retryable(b) {
		return o, Conflict(CodePaymentNotRetryable, "Only an open payment of a trialing, active, completed or past_due membership can be retried.")
	}
	o.touch(now)
	r.retry(&o, b.Open, now, charge, false)
	return o, nil
}

// VoidPayment voids the open payment (POST /payments/{id}/void); retries stop
// and the membership's status is kept.
func (r Rules) VoidPayment(b Billing, now time.Time) (Outcome, error) {
	o := Outcome{Membership: b.Membership}
	if !voidable(b) {
		return o, Conflict(CodePaymentNotVoidable, "Only an open payment of a past_due membership can be voided.")
	}
	o.touch(now)
	r.voidOpen(&o, b.Open, now)
	return o, nil
}

func retryable(b Billing) bool {
	if b.Open == nil || b.Open.Status != PaymentOpen {
		return false
	}
	switch b.Membership.Status {
	case StatusActive, StatusTrialing, StatusCompleted, StatusPastDue:
		return true
	}
	return false
}

func voidable(b Billing) bool {
	return b.Open != nil && b.Open.Status == PaymentOpen && b.Membership.Status == StatusPastDue
}

// Retryable reports the Payment's `retryable` field.
func (p *Payment) Retryable() bool {
	return p.Status == PaymentOpen && slices.Contains([]Status{StatusActive, StatusTrialing, StatusCompleted, StatusPastDue}, p.MembershipStatus)
}

// Voidable reports the Payment's `voidable` field.
func (p *Payment) Voidable() bool {
	return p.Status == PaymentOpen && p.MembershipStatus == StatusPastDue
}

func ptr[T any](v T) *T { return &v }

// Processor charges payments. memberd ships a test processor (package
// testpay); a real one would implement the same interface.
type Processor interface {
	// Charge attempts c with method (nil when the user has none).
	Charge(c Charge, method *PaymentMethod) ChargeResult
}
