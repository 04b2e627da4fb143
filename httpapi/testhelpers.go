package httpapi

import (
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/wire"
)

// memberd's test helpers (Whop has none): make users, payment methods and
// checkouts, cancel as a customer, and read or move the company's clock.
// They exist only when the server runs with test helpers on.

func (s *Server) testHelperRoutes() {
	const base = "/api/v1/test_helpers"
	s.Handle("POST "+base+"/users", nil, s.createUser)
	s.Handle("POST "+base+"/payment_methods", nil, s.createPaymentMethod)
	s.Handle("POST "+base+"/checkouts", nil, s.checkout)
	s.Handle("POST "+base+"/memberships/{id}/customer_cancel", nil, s.customerCancel)
	s.Handle("GET "+base+"/clock", nil, s.getClock)
	s.Handle("POST "+base+"/clock/advance", nil, s.advanceClock)
}

func (s *Server) createUser(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"username", "name", "email"})
	p := service.UserParams{Username: b.requiredString("username")}
	if v := b.string("name"); v != nil {
		p.Name = *v
	}
	if v := b.string("email"); v != nil {
		p.Email = *v
	}
	if b.err != nil {
		return nil, b.err
	}
	u, err := s.svc.CreateUser(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().User(&u, true), nil
}

// PaymentMethod is a test payment method as the helper answers it.
type PaymentMethod struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	CompanyID string    `json:"company_id"`
	Behavior  string    `json:"behavior"`
	CreatedAt wire.Time `json:"created_at"`
}

func (s *Server) createPaymentMethod(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"user_id", "company_id", "behavior"})
	userID := b.requiredString("user_id")
	behavior := b.string("behavior")
	if err := ownCompany(k, b.string("company_id")); err != nil {
		b.fail(err)
	}
	if b.err != nil {
		return nil, b.err
	}
	if behavior == nil {
		behavior = strp("")
	}
	pm, err := s.svc.CreatePaymentMethod(r.Context(), k.CompanyID, userID, *behavior)
	if err != nil {
		return nil, err
	}
	return PaymentMethod{pm.ID, pm.UserID, pm.CompanyID, pm.Behavior, wire.Time(pm.CreatedAt)}, nil
}

func (s *Server) checkout(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"plan_id", "user_id", "payment_method_id", "promo_code_id", "metadata"})
	p := service.CheckoutParams{PlanID: b.requiredString("plan_id"), UserID: b.requiredString("user_id")}
	if v := b.string("payment_method_id"); v != nil {
		p.PaymentMethodID = *v
	}
	if v := b.string("promo_code_id"); v != nil {
		p.PromoCodeID = *v
	}
	p.Metadata, _ = b.metadata("metadata")
	if b.err != nil {
		return nil, b.err
	}
	m, _, err := s.svc.Checkout(r.Context(), k.CompanyID, p)
	return s.membership(k, m, err)
}

// Clock is the answer of GET /test_helpers/clock.
type Clock struct {
	Now wire.Time `json:"now"`
}

// Advanced is the answer of POST /test_helpers/clock/advance: the clock's
// new time and every event the work on the way fired, in order.
type Advanced struct {
	Now    wire.Time    `json:"now"`
	Events []EventBrief `json:"events"`
}

// EventBrief names an event the clock fired: {id, type, data: {id}}.
type EventBrief struct {
	ID        string            `json:"id"`
	Type      memberd.EventType `json:"type"`
	Data      wire.ID           `json:"data"`
	Timestamp wire.Time         `json:"timestamp"`
}

func (s *Server) getClock(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r, "company_id"); q.err != nil {
		return nil, q.err
	}
	now, err := s.svc.Now(r.Context(), k.CompanyID)
	if err != nil {
		return nil, err
	}
	return Clock{Now: wire.Time(now)}, nil
}

func (s *Server) advanceClock(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"seconds", "to", "company_id"})
	seconds, to := b.int("seconds"), b.time("to")
	if err := ownCompany(k, b.string("company_id")); err != nil {
		b.fail(err)
	}
	if b.err != nil {
		return nil, b.err
	}
	now, evs, err := s.svc.MoveClock(r.Context(), k.CompanyID, service.ClockMove{Seconds: seconds, To: to})
	if err != nil {
		return nil, err
	}
	out := Advanced{Now: wire.Time(now), Events: make([]EventBrief, len(evs))}
	for i, e := range evs {
		out.Events[i] = EventBrief{e.ID, e.Type, wire.ID{ID: e.ObjectID}, wire.Time(e.CreatedAt)}
	}
	return out, nil
}
