package memberd

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// WebhookEvents are the event names an endpoint may subscribe to: the
// WebhookEvent enum of the official SDK (0.0.42), in its order.
var WebhookEvents = []EventType{
	"invoice.created", "invoice.marked_uncollectible", "invoice.paid", "invoice.past_due", "invoice.voided",
	EventMembershipActivated, EventMembershipDeactivated, EventMembershipTrialEndingSoon,
	"entry.created", "entry.approved", "entry.denied", "entry.deleted",
	"setup_intent.requires_action", "setup_intent.succeeded", "setup_intent.canceled",
	"ledger_account.funds_available", "withdrawal.created", "withdrawal.updated",
	"course_lesson_interaction.completed", "payout_method.created", "verification.succeeded",
	"identity_profile.approved", "identity_profile.rejected", "identity_profile.needs_action", "identity_profile.updated",
	"payout_account.status_updated",
	"resolution_center_case.created", "resolution_center_case.updated", "resolution_center_case.decided",
	"chat.message.created", "chat.reaction.created",
	EventPaymentCreated, EventPaymentSucceeded, EventPaymentFailed, EventPaymentPending,
	"dispute.created", "dispute.updated", "refund.created", "refund.updated", "dispute_alert.created",
	EventMembershipCancelChanged,
}

// EmittedEvents are the events memberd fires: an endpoint's testable_events
// are the ones it subscribes to among these.
var EmittedEvents = []EventType{
	EventMembershipActivated, EventMembershipDeactivated, EventMembershipTrialEndingSoon, EventMembershipCancelChanged,
	EventPaymentCreated, EventPaymentSucceeded, EventPaymentFailed, EventPaymentPending,
}

// Webhook API versions: the format of the payloads an endpoint receives.
const (
	WebhookV1 = "v1"
	WebhookV2 = "v2"
	WebhookV5 = "v5"
)

// WebhookAPIVersions are the accepted api_version values.
var WebhookAPIVersions = []string{WebhookV1, WebhookV2, WebhookV5}

// Webhook is an endpoint that receives a company's events by HTTP POST.
type Webhook struct {
	Seq       int64
	ID        string
	CompanyID string // the owner
	// ResourceID is the company or product whose events are sent; with
	// ChildResourceEvents, the company whose child companies' events are.
	ResourceID          string
	ChildResourceEvents bool
	URL                 string
	APIVersion          string
	Enabled             bool
	Events              []EventType
	Secret              string
	CreatedAt           time.Time // on the company's clock
	UpdatedAt           time.Time
}

// TestableEvents are the subscribed events memberd fires.
func (w *Webhook) TestableEvents() []EventType {
	out := []EventType{}
	for _, e := range w.Events {
		if slices.Contains(EmittedEvents, e) {
			out = append(out, e)
		}
	}
	return out
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	// DeliveryPending is waiting for its next attempt (or, with no next
	// attempt time, for its endpoint to be enabled again).
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	// DeliveryFailed has used up its attempts.
	DeliveryFailed DeliveryStatus = "failed"
	// DeliverySkipped has no payload in its endpoint's api_version.
	DeliverySkipped DeliveryStatus = "skipped"
)

// DeliveryStatuses lists the statuses.
var DeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliverySucceeded, DeliveryFailed, DeliverySkipped}

// Delivery is one event on its way to one endpoint. Deliveries are created
// with their event, in the same transaction, for every enabled endpoint the
// event matches; a resend creates another. Times are real time (the process
// clock), never a company's clock.
type Delivery struct {
	Seq           int64
	WebhookID     string
	ResendOf      int64 // the delivery this one resends, or 0
	Status        DeliveryStatus
	Attempts      int
	NextAttemptAt *time.Time
	LastAttemptAt *time.Time
	LastStatus    int // the last response's HTTP status, 0 if none
	LastError     string
	Event         Event
}

// DeliveryFilter selects an endpoint's deliveries.
type DeliveryFilter struct {
	WebhookID string
	Statuses  []DeliveryStatus
}

// DeliveryJob is a claimed delivery with what sending it takes. The claim
// holds until Lease expires or the attempt is recorded with the same token.
type DeliveryJob struct {
	Delivery Delivery
	Webhook  Webhook
	Token    string
	Lease    time.Time
}

// Attempt is one HTTP request of a delivery and its answer.
type Attempt struct {
	Seq            int64
	DeliverySeq    int64
	Number         int // 1 for the first attempt of the delivery
	At             time.Time
	URL            string
	RequestHeaders map[string]string
	Status         int    // the response's HTTP status, 0 if none came
	ResponseBody   string // the first bytes of the response
	Latency        time.Duration
	Error          string // why the attempt failed, if it did
}

// AttemptResult is a finished attempt with what it does to its delivery
// and endpoint. The store applies it only if the claim's token still holds
// (else another node has the delivery), except the attempt itself, which is
// always logged.
type AttemptResult struct {
	Attempt   Attempt
	WebhookID string
	Token     string
	Status    DeliveryStatus
	// NextAttemptAt is when to try again (Status pending).
	NextAttemptAt *time.Time
	// Release returns the claim unattempted: Attempt is not logged and the
	// delivery is due again at NextAttemptAt, its attempts unchanged.
	Release bool
	// DisableEndpoint turns the endpoint off (it answered 410 Gone).
	DisableEndpoint bool
	// ThrottleUntil holds back the endpoint's other deliveries (it answered
	// with Retry-After).
	ThrottleUntil *time.Time
}

// EndpointDisabled reports an endpoint the store turned off while
// recording results.
type EndpointDisabled struct {
	WebhookID string
	Reason    string
}

// ResendFilter selects an endpoint's deliveries to send again: those whose
// events happened in [Since, Until) (event time, on the company's clock),
// of the given statuses (all when empty).
type ResendFilter struct {
	WebhookID string
	Since     time.Time
	Until     time.Time
	Statuses  []DeliveryStatus
}

// prefixDelivery names deliveries in memberd's own API: "dlv_" and the
// delivery's sequence number.
const prefixDelivery = "dlv_"

// DeliveryID renders a delivery's id.
func DeliveryID(seq int64) string { return prefixDelivery + strconv.FormatInt(seq, 10) }

// ParseDeliveryID reads an id made by DeliveryID.
func ParseDeliveryID(id string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, prefixDelivery), 10, 64)
	return n, err == nil && n > 0 && strings.HasPrefix(id, prefixDelivery)
}
