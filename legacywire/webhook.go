package legacywire

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/wire"
)

// Legacy webhook payloads (facts F.3). An endpoint created with api_version
// v2 or v5 receives {"action": <legacy name>, "data": <v2 or v5 object>} for
// the events that have a name in its version:
//
//	stored event (v1)                        v2 action                                v5 action
//	membership.activated                     membership.went_valid                    membership.went_valid
//	membership.deactivated                   membership.went_invalid                  membership.went_invalid
//	membership.cancel_at_period_end_changed  membership.cancel_at_period_end_changed  -
//	payment.succeeded                        payment.succeeded                        payment.succeeded
//	payment.failed                           payment.failed                           payment.failed
//
// Other events (trial_ending_soon, payment.created, payment.pending) are not
// sent to legacy endpoints. memberd fires no event for a metadata update, so
// v2's membership.metadata_updated is never sent.

var actions = map[string]map[memberd.EventType]string{
	"v2": {
		memberd.EventMembershipActivated:     "membership.went_valid",
		memberd.EventMembershipDeactivated:   "membership.went_invalid",
		memberd.EventMembershipCancelChanged: "membership.cancel_at_period_end_changed",
		memberd.EventPaymentSucceeded:        "payment.succeeded",
		memberd.EventPaymentFailed:           "payment.failed",
	},
	"v5": {
		memberd.EventMembershipActivated:   "membership.went_valid",
		memberd.EventMembershipDeactivated: "membership.went_invalid",
		memberd.EventPaymentSucceeded:      "payment.succeeded",
		memberd.EventPaymentFailed:         "payment.failed",
	},
}

// Action is the name events of type t have for an endpoint of apiVersion
// ("v2" or "v5"); ok is false when they have none: such events are not sent.
func Action(t memberd.EventType, apiVersion string) (action string, ok bool) {
	action, ok = actions[apiVersion][t]
	return action, ok
}

// WebhookPayload renders the stored event ev for an endpoint of apiVersion
// ("v2" or "v5"); ok is false when the event is not sent in that version.
//
// ev.Data is the v1 object as of the event; the legacy shape is made from it.
// What v1 does not carry is read from the membership's current state: its
// terms, the expiry of a one-time membership (expires_at), and, for v2, the
// expanded product and plan as they are now (v2 payloads expand product,
// user and plan).
func WebhookPayload(ctx context.Context, l Lookup, ev memberd.Event, apiVersion string) (body []byte, ok bool, err error) {
	if _, known := actions[apiVersion]; !known {
		return nil, false, fmt.Errorf("legacy: api version %q is not v2 or v5", apiVersion)
	}
	action, ok := Action(ev.Type, apiVersion)
	if !ok {
		return nil, false, nil
	}
	var data any
	if !memberd.HasPrefix(ev.ObjectID, memberd.PrefixPayment) {
		m, err := eventMembership(ctx, l, ev)
		if err != nil {
			return nil, false, err
		}
		if apiVersion == "v5" {
			data = NewV5Membership(l.Renderer(), &m)
		} else {
			rd := NewV2Renderer(ctx, l, true)
			rd.Expand["product"], rd.Expand["user"], rd.Expand["plan"] = true, true, true
			if data, err = rd.Membership(&m); err != nil {
				return nil, false, err
			}
		}
	} else {
		var p wire.Payment
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			return nil, false, fmt.Errorf("legacy: event %s: %w", ev.ID, err)
		}
		if apiVersion == "v5" {
			data = NewV5Payment(&p)
		} else {
			data = NewV2Payment(&p)
		}
	}
	body, err = json.Marshal(struct {
		Action string `json:"action"`
		Data   any    `json:"data"`
	}{action, data})
	return body, err == nil, err
}

// eventMembership is the membership of a membership event as of the event:
// its current row with the fields the event's v1 data recorded.
func eventMembership(ctx context.Context, l Lookup, ev memberd.Event) (memberd.Membership, error) {
	m, err := l.Membership(ctx, ev.CompanyID, ev.MembershipID)
	if err != nil {
		return m, err
	}
	var at wire.Membership
	if err := json.Unmarshal(ev.Data, &at); err != nil {
		return m, fmt.Errorf("legacy: event %s: %w", ev.ID, err)
	}
	m.Status, m.UpdatedAt = at.Status, time.Time(at.UpdatedAt)
	if m.Terms.Renewal() {
		m.PeriodStart, m.PeriodEnd = (*time.Time)(at.RenewalPeriodStart), (*time.Time)(at.RenewalPeriodEnd)
	}
	m.CancelAtPeriodEnd, m.CanceledAt = at.CancelAtPeriodEnd, (*time.Time)(at.CanceledAt)
	m.CancelOption, m.CancellationReason = deref(at.CancelOption), deref(at.CancellationReason)
	m.CollectionPaused = at.PaymentCollectionPaused
	m.Metadata = at.Metadata
	if bytes.Equal(m.Metadata, []byte("null")) {
		m.Metadata = nil
	}
	if u := at.User; u != nil {
		m.User = &memberd.User{ID: u.ID, Username: u.Username, Name: deref(u.Name), Email: deref(u.Email)}
	}
	return m, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// SignatureHeader is the X-Whop-Signature header of a legacy delivery of
// body at instant at (facts F.3): t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" keyed with the secret's bytes>.
func SignatureHeader(secret string, body []byte, at time.Time) string {
	t := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(t + "."))
	mac.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
