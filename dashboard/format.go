package dashboard

import (
	"encoding/json"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/memberd/memberd"
)

// Formatting for templates. Times are shown in UTC, the zone of the
// company's clock, to the minute; <time> elements carry the exact instant.

var funcs = template.FuncMap{
	"when":      when,
	"whenp":     func(t *time.Time) string { return when(deref(t)) },
	"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"isop":      func(t *time.Time) string { return deref(t).UTC().Format(time.RFC3339Nano) },
	"money":     formatMoney,
	"terms":     describeTerms,
	"human":     func(s any) string { return human(fmt.Sprint(s)) },
	"dateInput": func(t time.Time) string { return t.UTC().Format(dateInputLayout) },
	"allEvents": func(es []memberd.EventType) bool { return len(es) == len(memberd.WebhookEvents) },
	"dlv":       memberd.DeliveryID,
	"ms":        formatLatency,
}

// dateInputLayout is the value of an <input type="datetime-local">, read as UTC.
const dateInputLayout = "2006-01-02T15:04"

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// formatLatency renders a duration in milliseconds: "12.3 ms".
func formatLatency(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
}

// formatMoney renders an amount with its currency's minor digits: "29.00 USD".
func formatMoney(m memberd.Money, c memberd.Currency) string {
	if c == "" {
		return "free"
	}
	r := int64(m.Round(c))
	s := groupThousands(strconv.FormatInt(r/memberd.MoneyScale, 10))
	if n := c.Decimals(); n > 0 {
		s += "." + fmt.Sprintf("%08d", r%memberd.MoneyScale)[:n]
	}
	return s + " " + strings.ToUpper(string(c))
}

// groupThousands puts commas between groups of three digits: "1,581".
func groupThousands(digits string) string {
	for i := len(digits) - 3; i > 0; i -= 3 {
		digits = digits[:i] + "," + digits[i:]
	}
	return digits
}

// describeTerms says what a membership pays: "29.00 USD every 30 days".
func describeTerms(t memberd.Terms) string {
	if t.Free() {
		return "free"
	}
	if t.Renewal() {
		s := fmt.Sprintf("%s every %d days", formatMoney(t.RenewalPrice, t.Currency), t.BillingPeriodDays)
		if t.InitialPrice != t.RenewalPrice {
			s = fmt.Sprintf("%s first, then %s", formatMoney(t.InitialPrice, t.Currency), s)
		}
		if t.TrialDays > 0 {
			s += fmt.Sprintf(", after a %d-day trial", t.TrialDays)
		}
		return s
	}
	if t.ExpirationDays > 0 {
		return fmt.Sprintf("%s once, for %d days", formatMoney(t.InitialPrice, t.Currency), t.ExpirationDays)
	}
	return formatMoney(t.InitialPrice, t.Currency) + " once, lifetime access"
}

// entry is an event as the timeline and the clock page show it.
type entry struct {
	At           time.Time
	Type         memberd.EventType
	ObjectID     string
	MembershipID string
	Summary      string
}

// eventData is what entries read from an event's v1 JSON.
type eventData struct {
	Status            string        `json:"status"`
	CancelAtPeriodEnd bool          `json:"cancel_at_period_end"`
	RenewalPeriodEnd  *time.Time    `json:"renewal_period_end"`
	BillingReason     string        `json:"billing_reason"`
	Total             memberd.Money `json:"total"`
	Currency          string        `json:"currency"`
	FailureMessage    string        `json:"failure_message"`
}

var chargeNames = map[string]string{
	string(memberd.ReasonSubscriptionCreate): "First charge",
	string(memberd.ReasonSubscriptionCycle):  "Renewal",
	string(memberd.ReasonOneTime):            "One-time charge",
}

// describe turns an event into an entry; amounts are shown only to keys
// that may read payments.
func describe(e memberd.Event, amounts bool) entry {
	var d eventData
	json.Unmarshal(e.Data, &d)
	charge := chargeNames[d.BillingReason]
	if charge == "" {
		charge = "Charge"
	}
	if amounts {
		charge += " of " + formatMoney(d.Total, memberd.Currency(d.Currency))
	}
	var s string
	switch e.Type {
	case memberd.EventMembershipActivated:
		s = "Access granted; status " + human(d.Status)
	case memberd.EventMembershipDeactivated:
		s = "Access ended; status " + human(d.Status)
	case memberd.EventMembershipCancelChanged:
		s = "Cancellation at period end undone; status " + human(d.Status)
		if d.CancelAtPeriodEnd {
			s = "Set to cancel at the period end; status " + human(d.Status)
		}
	case memberd.EventMembershipTrialEndingSoon:
		s = "The trial ends " + when(deref(d.RenewalPeriodEnd))
	case memberd.EventPaymentCreated:
		s = charge + " made"
	case memberd.EventPaymentSucceeded:
		s = charge + " paid"
	case memberd.EventPaymentFailed:
		s = charge + " failed"
		if d.FailureMessage != "" {
			s += ": " + d.FailureMessage
		}
	default:
		s = human(string(e.Type))
	}
	return entry{At: e.CreatedAt, Type: e.Type, ObjectID: e.ObjectID, MembershipID: e.MembershipID, Summary: s}
}

func human(s string) string { return strings.ReplaceAll(s, "_", " ") }

func describeAll(evs []memberd.Event, amounts bool) []entry {
	out := make([]entry, len(evs))
	for i, e := range evs {
		out[i] = describe(e, amounts)
	}
	return out
}
