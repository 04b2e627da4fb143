package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/webhook"
)

// WebhookParams create or change a webhook endpoint; nil fields are left
// as they are (or take their defaults on create).
type WebhookParams struct {
	URL                 *string
	APIVersion          *string
	ChildResourceEvents *bool
	Enabled             *bool
	// Events are the event names; nil keeps them (on create: every
	// WebhookEvent), an empty list subscribes to none.
	Events     []string
	ResourceID *string
}

// CreateWebhook registers an endpoint for the company. Its secret is in
// the result, and shown only now.
func (s *Service) CreateWebhook(ctx context.Context, companyID string, p WebhookParams) (memberd.Webhook, error) {
	if p.URL == nil {
		return memberd.Webhook{}, memberd.Missing("url")
	}
	w := memberd.Webhook{
		ID: memberd.NewID(memberd.PrefixWebhook), CompanyID: companyID, ResourceID: companyID,
		APIVersion: memberd.WebhookV1, Enabled: true, Events: slices.Clone(memberd.WebhookEvents), Secret: webhook.NewSecret(),
	}
	if p.ResourceID != nil && *p.ResourceID != "" {
		w.ResourceID = *p.ResourceID
	}
	if err := s.applyWebhookParams(&w, p); err != nil {
		return w, err
	}
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		if err := checkWebhookResource(ctx, tx, &w); err != nil {
			return err
		}
		w.CreatedAt = s.now(&c)
		w.UpdatedAt = w.CreatedAt
		return tx.InsertWebhook(ctx, &w)
	})
	return w, err
}

// applyWebhookParams validates p and sets it on w.
func (s *Service) applyWebhookParams(w *memberd.Webhook, p WebhookParams) error {
	if p.URL != nil {
		if err := webhook.CheckURL(*p.URL, s.testMode || s.allowPrivateWebhooks); err != nil {
			return memberd.Invalid("url", "url %s.", err)
		}
		w.URL = *p.URL
	}
	if p.APIVersion != nil {
		v := *p.APIVersion
		if !slices.Contains(memberd.WebhookAPIVersions, v) {
			return memberd.Invalid("api_version", "api_version must be one of %s.", strings.Join(memberd.WebhookAPIVersions, ", "))
		}
		if _, ok := s.webhookFormats[v]; !ok {
			return memberd.Invalid("api_version", "This server cannot render %s webhook payloads.", v)
		}
		w.APIVersion = v
	}
	if p.Events != nil {
		w.Events = []memberd.EventType{}
		for _, name := range p.Events {
			e := memberd.EventType(name)
			if !slices.Contains(memberd.WebhookEvents, e) {
				return memberd.Invalid("events", "events: %q is not a webhook event.", name)
			}
			if !slices.Contains(w.Events, e) {
				w.Events = append(w.Events, e)
			}
		}
	}
	if p.Enabled != nil {
		w.Enabled = *p.Enabled
	}
	if p.ChildResourceEvents != nil {
		w.ChildResourceEvents = *p.ChildResourceEvents
	}
	return nil
}

// checkWebhookResource checks that the endpoint's resource is its company or
// one of the company's products (child resources' events need a company).
func checkWebhookResource(ctx context.Context, tx memberd.Tx, w *memberd.Webhook) error {
	switch {
	case w.ResourceID == w.CompanyID:
		return nil
	case memberd.HasPrefix(w.ResourceID, memberd.PrefixProduct):
		if _, err := tx.Product(ctx, w.CompanyID, w.ResourceID); err != nil {
			return notFound(err, "Product", w.ResourceID)
		}
		if w.ChildResourceEvents {
			return memberd.Invalid("child_resource_events", "child_resource_events applies to a company's webhook, not a product's.")
		}
		return nil
	case memberd.HasPrefix(w.ResourceID, memberd.PrefixCompany):
		return memberd.NotFound("Company", w.ResourceID)
	}
	return memberd.Invalid("resource_id", "resource_id must be a company or product id.")
}

// Webhook returns one of the company's endpoints.
func (s *Service) Webhook(ctx context.Context, companyID, id string) (memberd.Webhook, error) {
	var w memberd.Webhook
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		w, err = tx.Webhook(ctx, companyID, id)
		return notFound(err, "Webhook", id)
	})
	return w, err
}

// UpdateWebhook changes an endpoint. Disabling it holds its pending
// deliveries; enabling it sends them.
func (s *Service) UpdateWebhook(ctx context.Context, companyID, id string, p WebhookParams) (memberd.Webhook, error) {
	return s.changeWebhook(ctx, companyID, id, func(tx memberd.Tx, w *memberd.Webhook) error {
		if err := s.applyWebhookParams(w, p); err != nil {
			return err
		}
		return checkWebhookResource(ctx, tx, w)
	})
}

// RotateWebhookSecret gives an endpoint a new secret: the one given (a
// ws_ or whsec_ secret) or a new ws_ one. It answers the endpoint with it.
func (s *Service) RotateWebhookSecret(ctx context.Context, companyID, id, secret string) (memberd.Webhook, error) {
	if secret == "" {
		secret = webhook.NewSecret()
	}
	if !webhook.ValidSecret(secret) {
		return memberd.Webhook{}, memberd.Invalid("secret", "secret must be ws_ followed by 64 hex digits, or whsec_ followed by base64.")
	}
	return s.changeWebhook(ctx, companyID, id, func(tx memberd.Tx, w *memberd.Webhook) error {
		w.Secret = secret
		return nil
	})
}

// changeWebhook loads an endpoint, applies change and saves it.
func (s *Service) changeWebhook(ctx context.Context, companyID, id string, change func(memberd.Tx, *memberd.Webhook) error) (memberd.Webhook, error) {
	var w memberd.Webhook
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		if w, err = tx.Webhook(ctx, companyID, id); err != nil {
			return notFound(err, "Webhook", id)
		}
		if err := change(tx, &w); err != nil {
			return err
		}
		w.UpdatedAt = s.now(&c)
		return tx.UpdateWebhook(ctx, &w)
	})
	return w, err
}

// DeleteWebhook removes an endpoint with its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, companyID, id string) error {
	return s.store.Update(ctx, func(tx memberd.Tx) error {
		return notFound(tx.DeleteWebhook(ctx, companyID, id), "Webhook", id)
	})
}

// ListWebhooks lists the company's endpoints.
func (s *Service) ListWebhooks(ctx context.Context, companyID string, p memberd.PageRequest) (memberd.Page[memberd.Webhook], error) {
	var page memberd.Page[memberd.Webhook]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		page, err = tx.ListWebhooks(ctx, companyID, p)
		return err
	})
	return page, err
}

// ListDeliveries lists an endpoint's deliveries.
func (s *Service) ListDeliveries(ctx context.Context, companyID string, f memberd.DeliveryFilter, p memberd.PageRequest) (memberd.Page[memberd.Delivery], error) {
	var page memberd.Page[memberd.Delivery]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		if _, err := tx.Webhook(ctx, companyID, f.WebhookID); err != nil {
			return notFound(err, "Webhook", f.WebhookID)
		}
		var err error
		page, err = tx.ListDeliveries(ctx, f, p)
		return err
	})
	return page, err
}

// DeliveryAttempts is a delivery with a page of its attempts and the
// request body they sent.
type DeliveryAttempts struct {
	Webhook  memberd.Webhook
	Delivery memberd.Delivery
	Attempts memberd.Page[memberd.Attempt]
	Body     []byte // nil when the delivery's format sends nothing
}

// Delivery returns one of an endpoint's deliveries, with a page of its
// attempts (none when p is nil).
func (s *Service) Delivery(ctx context.Context, companyID, webhookID, deliveryID string, p *memberd.PageRequest) (DeliveryAttempts, error) {
	var out DeliveryAttempts
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if out.Webhook, out.Delivery, err = lookupDelivery(ctx, tx, companyID, webhookID, deliveryID); err != nil || p == nil {
			return err
		}
		out.Attempts, err = tx.ListAttempts(ctx, out.Delivery.Seq, *p)
		return err
	})
	if err != nil || p == nil {
		return out, err
	}
	f, ok := s.webhookFormats[out.Webhook.APIVersion]
	if !ok {
		return out, nil
	}
	out.Body, err = f.Body(ctx, &out.Delivery.Event)
	if errors.Is(err, webhook.ErrSkip) {
		err = nil
	}
	return out, err
}

func lookupDelivery(ctx context.Context, tx memberd.Tx, companyID, webhookID, deliveryID string) (memberd.Webhook, memberd.Delivery, error) {
	w, err := tx.Webhook(ctx, companyID, webhookID)
	if err != nil {
		return w, memberd.Delivery{}, notFound(err, "Webhook", webhookID)
	}
	seq, ok := memberd.ParseDeliveryID(deliveryID)
	if !ok {
		return w, memberd.Delivery{}, memberd.NotFound("Delivery", deliveryID)
	}
	d, err := tx.Delivery(ctx, webhookID, seq)
	return w, d, notFound(err, "Delivery", deliveryID)
}

// ResendDelivery sends a delivery's event to its endpoint again, as a new
// delivery due at once (signed afresh when sent).
func (s *Service) ResendDelivery(ctx context.Context, companyID, webhookID, deliveryID string) (memberd.Delivery, error) {
	var d memberd.Delivery
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		w, old, err := lookupDelivery(ctx, tx, companyID, webhookID, deliveryID)
		if err != nil {
			return err
		}
		if err := resendable(&w); err != nil {
			return err
		}
		d, err = tx.ResendDelivery(ctx, webhookID, old.Seq)
		return err
	})
	return d, err
}

// ResendDeliveries sends again, as new deliveries, every event delivered
// (or being delivered) to the endpoint whose time is in [since, until)
// (until defaults to the company's now), once per event, optionally only
// those whose latest delivery has one of statuses. It counts them.
func (s *Service) ResendDeliveries(ctx context.Context, companyID, webhookID string, since time.Time, until *time.Time, statuses []memberd.DeliveryStatus) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		w, err := tx.Webhook(ctx, companyID, webhookID)
		if err != nil {
			return notFound(err, "Webhook", webhookID)
		}
		if err := resendable(&w); err != nil {
			return err
		}
		f := memberd.ResendFilter{WebhookID: webhookID, Since: since, Until: s.now(&c).Add(time.Millisecond), Statuses: statuses}
		if until != nil {
			f.Until = *until
		}
		if !f.Since.Before(f.Until) {
			return memberd.Invalid("until", "until must be after since.")
		}
		n, err = tx.ResendDeliveries(ctx, f)
		return err
	})
	return n, err
}

func resendable(w *memberd.Webhook) error {
	if !w.Enabled {
		return memberd.Conflict(memberd.CodeWebhookDisabled, "The webhook %s is disabled; enable it to resend to it.", w.ID)
	}
	return nil
}
