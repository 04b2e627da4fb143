// Package legacywire renders memberd's objects in the shapes of Whop's
// deprecated v2 and v5 APIs (seeds 002, 003 and 004; facts F.1 to F.3):
// integer Unix-second timestamps, legacy statuses, v2's expandable related
// objects, v5's flat ids, and the legacy webhook payloads. The legacy HTTP
// surfaces (package legacy) and the webhook dispatcher render through it;
// it depends on nothing but the domain and wire, so either can import it.
// Its shapes are pinned by the golden files of package legacy's tests.
package legacywire

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/wire"
)

// Lookup is what rendering reads beyond a membership: the objects a v2
// expansion shows, the membership of an event, and the v1 renderer (for
// URLs). *service.Service is one.
type Lookup interface {
	Renderer() wire.Renderer
	Membership(ctx context.Context, companyID, id string) (memberd.Membership, error)
	Product(ctx context.Context, companyID, id string) (memberd.Product, error)
	Plan(ctx context.Context, companyID, id string) (memberd.Plan, error)
	PromoCode(ctx context.Context, companyID, id string) (memberd.PromoCode, error)
	ListPlans(ctx context.Context, f memberd.PlanFilter, p memberd.PageRequest) (memberd.Page[memberd.Plan], error)
}

// Statuses. The legacy enums have no canceling: a membership set to cancel
// at period end reads as active with cancel_at_period_end true. v2's has no
// drafted either: a membership whose first payment failed reads as expired
// there (it grants no access and never will).

// The status enums of v2 and v5.
var (
	V2Statuses = []string{"trialing", "active", "past_due", "completed", "canceled", "expired", "unresolved"}
	V5Statuses = slices.Concat(V2Statuses, []string{"drafted"})
)

// Status is s in the legacy enum; withDrafted for v5, whose seed 004
// enum has drafted.
func Status(s memberd.Status, withDrafted bool) string {
	switch {
	case s == memberd.StatusCanceling:
		return string(memberd.StatusActive)
	case s == memberd.StatusDrafted && !withDrafted:
		return string(memberd.StatusExpired)
	}
	return string(s)
}

// StatusFilter is the memberd statuses that read as the legacy ones.
func StatusFilter(legacy []string, withDrafted bool) []memberd.Status {
	var out []memberd.Status
	for _, s := range memberd.Statuses {
		for _, l := range legacy {
			if Status(s, withDrafted) == l {
				out = append(out, s)
			}
		}
	}
	return out
}

// Fields shared by the v2 and v5 memberships.

// unix is an instant in Unix seconds.
func unix(t time.Time) int64 { return t.Unix() }

func unixp(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.Unix()
	return &v
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// expiresAt is when access ends unless renewed: the period end of a
// renewal membership, the expiry of a one-time one (none for lifetime).
func expiresAt(m *memberd.Membership) *int64 {
	if m.Terms.Renewal() {
		return unixp(m.PeriodEnd)
	}
	return unixp(m.ExpiresAt)
}

// periods are the renewal period of a renewal membership (null for one-time
// ones, as in v1).
func periods(m *memberd.Membership) (start, end *int64) {
	if !m.Terms.Renewal() {
		return nil, nil
	}
	return unixp(m.PeriodStart), unixp(m.PeriodEnd)
}

// object is a JSON object field such as metadata; none reads as {} (the
// legacy schemas type these as objects).
func object(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage(`{}`)
	}
	return raw
}

// wireUnix and wireUnixp read an instant of a v1 object (an event's data)
// in Unix seconds.
func wireUnix(t wire.Time) int64 { return time.Time(t).Unix() }

func wireUnixp(t *wire.Time) *int64 {
	if t == nil {
		return nil
	}
	return unixp((*time.Time)(t))
}
