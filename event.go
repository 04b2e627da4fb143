package memberd

import (
	"encoding/json"
	"time"
)

// EventType names a webhook event.
type EventType string

const (
	EventMembershipActivated       EventType = "membership.activated"
	EventMembershipDeactivated     EventType = "membership.deactivated"
	EventMembershipCancelChanged   EventType = "membership.cancel_at_period_end_changed"
	EventMembershipTrialEndingSoon EventType = "membership.trial_ending_soon"
	EventPaymentCreated            EventType = "payment.created"
	EventPaymentSucceeded          EventType = "payment.succeeded"
	EventPaymentFailed             EventType = "payment.failed"
	EventPaymentPending            EventType = "payment.pending"
)

// Emitted is an event a lifecycle rule fired, with a copy of its subject as
// of that instant (a membership event carries the membership; a payment
// event the payment and its membership).
type Emitted struct {
	Type       EventType
	Membership Membership
	Payment    *Payment
}

// Event is a stored event: written in the same transaction as the change
// that fired it, it is the webhook outbox. Data is the v1 JSON of the
// subject as of the change.
type Event struct {
	Seq       int64
	ID        string
	CompanyID string
	Type      EventType
	ObjectID  string // the membership or payment the event is about
	// MembershipID links payment events to their membership for timelines.
	MembershipID string
	Data         json.RawMessage
	CreatedAt    time.Time // on the company's clock
}
