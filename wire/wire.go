// Package wire renders memberd's domain objects in Whop's v1 JSON shapes, as
// the official SDK (@whop/sdk 0.0.42, shared.ts) types them: every field
// present, nullable ones as null, timestamps as ISO-8601 with milliseconds.
// The HTTP API and webhook payloads both render through it.
package wire

import (
	"encoding/json"
	"time"

	"github.com/memberd/memberd"
)

// Time is an instant rendered as "2023-12-01T05:00:00.401Z".
type Time time.Time

// TimeLayout is the v1 timestamp format.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON reads the format MarshalJSON writes (any RFC 3339 instant),
// so stored v1 payloads can be read back (legacy webhook payloads do).
func (t *Time) UnmarshalJSON(b []byte) error {
	var v time.Time
	err := v.UnmarshalJSON(b)
	*t = Time(v.UTC())
	return err
}

func ts(t time.Time) Time { return Time(t) }

func tsp(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	v := Time(*t)
	return &v
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Renderer renders objects; BaseURL prefixes the URLs it makes (manage_url,
// purchase_url).
type Renderer struct {
	BaseURL string
}

// ManageURL is where the customer manages membership id.
func (r Renderer) ManageURL(id string) string { return r.BaseURL + "/billing/manage/" + id }

// PurchaseURL is where a customer buys plan id.
func (r Renderer) PurchaseURL(id string) string { return r.BaseURL + "/checkout/" + id }

// ID is a nested object known only by its id.
type ID struct {
	ID string `json:"id"`
}

// Membership is the v1 Membership (shared.ts). List items use the same
// shape: custom_field_responses is kept there too, so that every membership
// memberd returns validates against the schema of seed 000.
type Membership struct {
	ID                      string                `json:"id"`
	Status                  memberd.Status        `json:"status"`
	CreatedAt               Time                  `json:"created_at"`
	JoinedAt                *Time                 `json:"joined_at"`
	UpdatedAt               Time                  `json:"updated_at"`
	ManageURL               *string               `json:"manage_url"`
	Member                  *ID                   `json:"member"`
	User                    *MembershipUser       `json:"user"`
	RenewalPeriodStart      *Time                 `json:"renewal_period_start"`
	RenewalPeriodEnd        *Time                 `json:"renewal_period_end"`
	CancelAtPeriodEnd       bool                  `json:"cancel_at_period_end"`
	CancelOption            *string               `json:"cancel_option"`
	CancellationReason      *string               `json:"cancellation_reason"`
	CanceledAt              *Time                 `json:"canceled_at"`
	Currency                *memberd.Currency     `json:"currency"`
	Company                 CompanyRef            `json:"company"`
	Plan                    PlanRef               `json:"plan"`
	PromoCode               *ID                   `json:"promo_code"`
	Product                 ProductRef            `json:"product"`
	LicenseKey              *string               `json:"license_key"`
	Metadata                json.RawMessage       `json:"metadata"`
	PaymentCollectionPaused bool                  `json:"payment_collection_paused"`
	CheckoutConfigurationID *string               `json:"checkout_configuration_id"`
	CustomFieldResponses    []CustomFieldResponse `json:"custom_field_responses"`
}

// MembershipUser is the user nested in a membership.
type MembershipUser struct {
	ID       string  `json:"id"`
	Username string  `json:"username"`
	Name     *string `json:"name"`
	Email    *string `json:"email"`
}

// CompanyRef is {id, title}.
type CompanyRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// PlanRef is {id, metadata}.
type PlanRef struct {
	ID       string          `json:"id"`
	Metadata json.RawMessage `json:"metadata"`
}

// ProductRef is {id, title, metadata}.
type ProductRef struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Metadata json.RawMessage `json:"metadata"`
}

// CustomFieldResponse is an answer to a checkout question (memberd's
// checkouts ask none, so the list is always empty).
type CustomFieldResponse struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// Membership renders m; the user's email only when email is true (the key
// has member:email:read).
func (r Renderer) Membership(m *memberd.Membership, email bool) Membership {
	out := Membership{
		ID:                      m.ID,
		Status:                  m.Status,
		CreatedAt:               ts(m.CreatedAt),
		JoinedAt:                tsp(&m.JoinedAt),
		UpdatedAt:               ts(m.UpdatedAt),
		ManageURL:               strp(r.ManageURL(m.ID)),
		Member:                  &ID{m.MemberID},
		RenewalPeriodStart:      tsp(m.PeriodStart),
		RenewalPeriodEnd:        tsp(m.PeriodEnd),
		CancelAtPeriodEnd:       m.CancelAtPeriodEnd,
		CancelOption:            strp(m.CancelOption),
		CancellationReason:      strp(m.CancellationReason),
		CanceledAt:              tsp(m.CanceledAt),
		Company:                 CompanyRef{m.CompanyID, m.CompanyTitle},
		Plan:                    PlanRef{m.PlanID, m.PlanMetadata},
		Product:                 ProductRef{m.ProductID, m.ProductTitle, m.ProductMetadata},
		LicenseKey:              strp(m.LicenseKey),
		Metadata:                m.Metadata,
		PaymentCollectionPaused: m.CollectionPaused,
		CheckoutConfigurationID: strp(m.CheckoutConfigurationID),
		CustomFieldResponses:    []CustomFieldResponse{},
	}
	if !m.Terms.Renewal() {
		out.RenewalPeriodStart, out.RenewalPeriodEnd = nil, nil
	}
	if c := m.Currency(); c != "" {
		out.Currency = &c
	}
	if m.PromoCodeID != "" {
		out.PromoCode = &ID{m.PromoCodeID}
	}
	if m.User != nil {
		out.User = &MembershipUser{ID: m.User.ID, Username: m.User.Username, Name: strp(m.User.Name)}
		if email {
			out.User.Email = strp(m.User.Email)
		}
	}
	return out
}

// PageInfo is a cursor page's position. A cursor is null when there is
// nothing further that way: the SDK stops paging only on a null end_cursor.
type PageInfo struct {
	EndCursor       *string `json:"end_cursor"`
	StartCursor     *string `json:"start_cursor"`
	HasNextPage     bool    `json:"has_next_page"`
	HasPreviousPage bool    `json:"has_previous_page"`
}

// Page is the v1 list envelope.
type Page[T any] struct {
	Data     []T      `json:"data"`
	PageInfo PageInfo `json:"page_info"`
}

// NewPage renders a store page with render applied to each item.
func NewPage[S, T any](p memberd.Page[S], render func(*S) T) Page[T] {
	out := Page[T]{Data: make([]T, len(p.Items))}
	for i := range p.Items {
		out.Data[i] = render(&p.Items[i])
	}
	out.PageInfo.HasNextPage, out.PageInfo.HasPreviousPage = p.HasNext, p.HasPrev
	if n := len(p.Cursors); n > 0 {
		if p.HasNext {
			out.PageInfo.EndCursor = strp(p.Cursors[n-1].Encode())
		}
		if p.HasPrev {
			out.PageInfo.StartCursor = strp(p.Cursors[0].Encode())
		}
	}
	return out
}

// ErrorBody is the error envelope of seed 000.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of the error envelope.
type ErrorDetail struct {
	Type    string  `json:"type"`
	Message string  `json:"message"`
	Code    *string `json:"code"`
	Param   *string `json:"param"`
}

// Event is the v1 webhook envelope.
type Event struct {
	ID         string            `json:"id"`
	APIVersion string            `json:"api_version"`
	Data       json.RawMessage   `json:"data"`
	Timestamp  Time              `json:"timestamp"`
	Type       memberd.EventType `json:"type"`
	CompanyID  string            `json:"company_id"`
}
