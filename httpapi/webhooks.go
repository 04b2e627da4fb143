package httpapi

import (
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/wire"
)

// Webhook endpoints (SDK resources/webhooks.ts) and memberd's own delivery
// log at /api/memberd/v1, a path no Whop SDK uses.

func (s *Server) webhookRoutes() {
	perm := []string{memberd.PermManageWebhook}
	s.Handle("GET /api/v1/webhooks", perm, s.listWebhooks)
	s.Handle("POST /api/v1/webhooks", perm, s.createWebhook)
	s.Handle("GET /api/v1/webhooks/{id}", perm, s.getWebhook)
	s.Handle("PATCH /api/v1/webhooks/{id}", perm, s.updateWebhook)
	s.Handle("DELETE /api/v1/webhooks/{id}", perm, s.deleteWebhook)

	const own = "/api/memberd/v1/webhooks/{id}"
	s.Handle("GET "+own+"/deliveries", perm, s.listDeliveries)
	s.Handle("GET "+own+"/deliveries/{delivery_id}", perm, s.getDelivery)
	s.Handle("GET "+own+"/deliveries/{delivery_id}/attempts", perm, s.listAttempts)
	s.Handle("POST "+own+"/deliveries/{delivery_id}/resend", perm, s.resendDelivery)
	s.Handle("POST "+own+"/resend", perm, s.resendDeliveries)
	s.Handle("POST "+own+"/rotate_secret", perm, s.rotateWebhookSecret)
}

var webhookFields = []string{"url", "api_version", "child_resource_events", "enabled", "events"}

func webhookParams(b *body) service.WebhookParams {
	return service.WebhookParams{
		URL:                 b.string("url"),
		APIVersion:          b.string("api_version"),
		ChildResourceEvents: b.bool("child_resource_events"),
		Enabled:             b.bool("enabled"),
		Events:              b.strings("events"),
	}
}

func (s *Server) createWebhook(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, append(webhookFields, "resource_id"))
	p := webhookParams(b)
	p.ResourceID = b.string("resource_id")
	if b.err != nil {
		return nil, b.err
	}
	w, err := s.svc.CreateWebhook(r.Context(), k.CompanyID, p)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().WebhookCreated(&w), nil
}

func (s *Server) webhook(w memberd.Webhook, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().Webhook(&w), nil
}

func (s *Server) getWebhook(r *http.Request, k *memberd.APIKey) (any, error) {
	if q := readQuery(r); q.err != nil {
		return nil, q.err
	}
	return s.webhook(s.svc.Webhook(r.Context(), k.CompanyID, r.PathValue("id")))
}

func (s *Server) updateWebhook(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, webhookFields)
	p := webhookParams(b)
	if b.err != nil {
		return nil, b.err
	}
	return s.webhook(s.svc.UpdateWebhook(r.Context(), k.CompanyID, r.PathValue("id"), p))
}

func (s *Server) deleteWebhook(r *http.Request, k *memberd.APIKey) (any, error) {
	if err := s.svc.DeleteWebhook(r.Context(), k.CompanyID, r.PathValue("id")); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) listWebhooks(r *http.Request, k *memberd.APIKey) (any, error) {
	q := readQuery(r, append(pageParams, "company_id")...)
	companyParam(q, k, "company_id")
	p := q.page("created_at")
	if q.err != nil {
		return nil, q.err
	}
	page, err := s.svc.ListWebhooks(r.Context(), k.CompanyID, p)
	if err != nil {
		return nil, err
	}
	return wire.NewPage(page, s.svc.Renderer().WebhookListItem), nil
}

// rotateWebhookSecret answers the endpoint with its new secret, as create
// does.
func (s *Server) rotateWebhookSecret(r *http.Request, k *memberd.APIKey) (any, error) {
	b := readBody(r, []string{"secret"})
	secret := b.string("secret")
	if b.err != nil {
		return nil, b.err
	}
	if secret == nil {
		secret = strp("")
	}
	w, err := s.svc.RotateWebhookSecret(r.Context(), k.CompanyID, r.PathValue("id"), *secret)
	if err != nil {
		return nil, err
	}
	return s.svc.Renderer().WebhookCreated(&w), nil
}
