package httpapi

import (
	"net/http"
	"slices"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/wire"
)

// memberd's delivery log (Whop has none): an endpoint's deliveries, each
// delivery's attempts, and resending one delivery or a time range. Delivery
// times are real time; event times are the company's clock.

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	ID                 string        `json:"id"`
	WebhookID          string        `json:"webhook_id"`
	Event              DeliveryEvent `json:"event"`
	Status             string        `json:"status"`
	Attempts           int           `json:"attempts"`
	NextAttemptAt      *wire.Time    `json:"next_attempt_at"`
	LastAttemptAt      *wire.Time    `json:"last_attempt_at"`
	LastResponseStatus *int          `json:"last_response_status"`
	LastError          *string       `json:"last_error"`
	ResendOf           *string       `json:"resend_of"`
}

// DeliveryEvent is the event a delivery carries.
type DeliveryEvent struct {
	ID        string            `json:"id"`
	Type      memberd.EventType `json:"type"`
	ObjectID  string            `json:"object_id"`
	CreatedAt wire.Time         `json:"created_at"`
}

// Attempt is one request of a delivery and its answer.
type Attempt struct {
	Attempt     int              `json:"attempt"`
	AttemptedAt wire.Time        `json:"attempted_at"`
	Request     AttemptRequest   `json:"request"`
	Response    *AttemptResponse `json:"response"`
	LatencyMS   float64          `json:"latency_ms"`
	Error       *string          `json:"error"`
}

// AttemptRequest is what an attempt sent: the body is the same for every
// attempt of a delivery, the signature headers are the attempt's own.
type AttemptRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body"`
}

// AttemptResponse is what the endpoint answered: its status and the start
// of its body.
type AttemptResponse struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

func renderDelivery(d *memberd.Delivery) Delivery {
	out := Delivery{
		ID: memberd.DeliveryID(d.Seq), WebhookID: d.WebhookID, Status: string(d.Status), Attempts: d.Attempts,
		Event:         DeliveryEvent{ID: d.Event.ID, Type: d.Event.Type, ObjectID: d.Event.ObjectID, CreatedAt: wire.Time(d.Event.CreatedAt)},
		NextAttemptAt: timePtr(d.NextAttemptAt), LastAttemptAt: timePtr(d.LastAttemptAt),
	}
	if d.Status != memberd.DeliveryPending {
		out.NextAttemptAt = nil
	}
	if d.LastStatus != 0 {
		out.LastResponseStatus = &d.LastStatus
	}
	if d.LastError != "" {
		out.LastError = &d.LastError
	}
	if d.ResendOf != 0 {
		out.ResendOf = strp(memberd.DeliveryID(d.ResendOf))
	}
	return out
}

func timePtr(t *time.Time) *wire.Time {
	if t == nil {
		return nil
	}
	w := wire.Time(*t)
	return &w
}

func (s *Server) listDeliveries(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "statuses")...)
	f := memberd.DeliveryFilter{WebhookID: r.PathValue("id")}
	for _, st := range q.enums("statuses", deliveryStatusNames) {
		f.Statuses = append(f.Statuses, memberd.DeliveryStatus(st))
	}
	p := q.page("created_at")
	if q.err != nil {
		return nil, q.err
	}
	page, err := s.svc.ListDeliveries(r.Context(), k.CompanyID, f, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, renderDelivery), nil
}

var deliveryStatusNames = func() []string {
	out := make([]string, len(memberd.DeliveryStatuses))
	for i, s := range memberd.DeliveryStatuses {
		out[i] = string(s)
	}
	return out
}()

func (s *Server) getDelivery(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r); q.err != nil {
		return nil, q.err
	}
	d, err := s.svc.Delivery(r.Context(), k.CompanyID, r.PathValue("id"), r.PathValue("delivery_id"), nil)
	if err != nil {
		return nil, err
	}
	return renderDelivery(&d.Delivery), nil
}

func (s *Server) listAttempts(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, pageParams...)
	p := q.page("created_at")
	if q.err != nil {
		return nil, q.err
	}
	d, err := s.svc.Delivery(r.Context(), k.CompanyID, r.PathValue("id"), r.PathValue("delivery_id"), &p)
	if err != nil {
		return nil, err
	}
	var body *string
	if d.Body != nil {
		body = strp(string(d.Body))
	}
	return wire.NewPage(d.Attempts, func(a *memberd.Attempt) Attempt {
		out := Attempt{
			Attempt: a.Number, AttemptedAt: wire.Time(a.At),
			Request:   AttemptRequest{Method: http.MethodPost, URL: a.URL, Headers: a.RequestHeaders, Body: body},
			LatencyMS: float64(a.Latency.Microseconds()) / 1000,
		}
		if a.Status != 0 {
			out.Response = &AttemptResponse{Status: a.Status, Body: a.ResponseBody}
		}
		if a.Error != "" {
			out.Error = &a.Error
		}
		return out
	}), nil
}

func (s *Server) resendDelivery(r *http.Request, k *memberd.APIKey) (any, error) {
	if b := readBody(r, nil); b.err != nil {
		return nil, b.err
	}
	d, err := s.svc.ResendDelivery(r.Context(), k.CompanyID, r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return nil, err
	}
	return renderDelivery(&d), nil
}

// ResendResult answers a range resend.
type ResendResult struct {
	Resent int `json:"resent"`
}

func (s *Server) resendDeliveries(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"since", "until", "statuses"})
	since, until := b.time("since"), b.time("until")
	var statuses []memberd.DeliveryStatus
	for _, st := range b.strings("statuses") {
		if !slices.Contains(deliveryStatusNames, st) {
			b.fail(memberd.Invalid("statuses", "statuses: %q is not a delivery status.", st))
		}
		statuses = append(statuses, memberd.DeliveryStatus(st))
	}
	if since == nil {
		b.fail(memberd.Missing("since"))
	}
	if b.err != nil {
		return nil, b.err
	}
	n, err := s.svc.ResendDeliveries(r.Context(), k.CompanyID, r.PathValue("id"), *since, until, statuses)
	if err != nil {
		return nil, err
	}
	return ResendResult{n}, nil
}
