package wire

import "github.com/memberd/memberd"

// WebhookListItem is the SDK's WebhookListResponse: no resource_id, no
// testable_events.
type WebhookListItem struct {
	ID                  string              `json:"id"`
	APIVersion          string              `json:"api_version"`
	ChildResourceEvents bool                `json:"child_resource_events"`
	CreatedAt           Time                `json:"created_at"`
	Enabled             bool                `json:"enabled"`
	Events              []memberd.EventType `json:"events"`
	URL                 string              `json:"url"`
}

// Webhook is the SDK's Webhook: the list item's fields and two more.
type Webhook struct {
	WebhookListItem
	ResourceID     string              `json:"resource_id"`
	TestableEvents []memberd.EventType `json:"testable_events"`
}

// WebhookCreated is the SDK's WebhookCreateResponse: the Webhook and its
// secret, shown only here.
type WebhookCreated struct {
	Webhook
	WebhookSecret string `json:"webhook_secret"`
}

// WebhookListItem renders w as a list item.
func (r Renderer) WebhookListItem(w *memberd.Webhook) WebhookListItem {
	return WebhookListItem{
		ID: w.ID, APIVersion: w.APIVersion, ChildResourceEvents: w.ChildResourceEvents, CreatedAt: ts(w.CreatedAt),
		Enabled: w.Enabled, Events: w.Events, URL: w.URL,
	}
}

// Webhook renders w without its secret.
func (r Renderer) Webhook(w *memberd.Webhook) Webhook {
	return Webhook{WebhookListItem: r.WebhookListItem(w), ResourceID: w.ResourceID, TestableEvents: w.TestableEvents()}
}

// WebhookCreated renders w with its secret.
func (r Renderer) WebhookCreated(w *memberd.Webhook) WebhookCreated {
	return WebhookCreated{Webhook: r.Webhook(w), WebhookSecret: w.Secret}
}
