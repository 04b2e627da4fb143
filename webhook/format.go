package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/legacywire"
	"github.com/memberd/memberd/wire"
)

// Format renders the payloads of one api_version. Every request is signed
// with the Standard Webhooks headers whatever its format; Headers adds a
// format's own (the legacy versions' X-Whop-Signature, say).
type Format struct {
	// Body renders the request body of an event, or returns ErrSkip when
	// the event has no payload in this version. It is called for each
	// attempt and by the delivery log, so an event should render the same
	// body each time (v1's does; the legacy ones read a little current
	// state, such as a product's title).
	Body func(ctx context.Context, e *memberd.Event) ([]byte, error)
	// Headers, if set, adds headers to a request, given the endpoint's
	// secret, the attempt's timestamp and the body.
	Headers func(h http.Header, secret string, ts time.Time, body []byte)
}

// ErrSkip is returned by a Format's Body for an event its version does not
// send; the delivery is marked skipped.
var ErrSkip = errors.New("webhook: the event has no payload in this api_version")

// Formats maps an api_version (v1, v2, v5) to its Format.
type Formats map[string]Format

// DefaultFormats has v1 only: the legacy formats need a Lookup (see
// Legacy); the service adds them.
func DefaultFormats() Formats {
	return Formats{memberd.WebhookV1: {Body: V1Body}}
}

// Legacy is the Format of a legacy api_version (v2 or v5): Whop's
// {action, data} payloads, rendered by package legacywire from the stored
// event (events with no legacy name are skipped), with the legacy
// X-Whop-Signature header besides the Standard Webhooks ones.
func Legacy(version string, l legacywire.Lookup) Format {
	return Format{
		Body: func(ctx context.Context, e *memberd.Event) ([]byte, error) {
			body, ok, err := legacywire.WebhookPayload(ctx, l, *e, version)
			if err == nil && !ok {
				return nil, ErrSkip
			}
			return body, err
		},
		Headers: func(h http.Header, secret string, ts time.Time, body []byte) {
			h.Set("X-Whop-Signature", legacywire.SignatureHeader(secret, body, ts))
		},
	}
}

// V1Body is the v1 envelope of API.md: {id, api_version, data, timestamp,
// type, company_id}. The id is the event's (and the webhook-id header's),
// the same for every endpoint and every attempt, so receivers can dedupe;
// the timestamp is when the event happened, on its company's clock.
func V1Body(_ context.Context, e *memberd.Event) ([]byte, error) {
	return json.Marshal(wire.Event{
		ID:         e.ID,
		APIVersion: memberd.WebhookV1,
		Data:       e.Data,
		Timestamp:  wire.Time(e.CreatedAt),
		Type:       e.Type,
		CompanyID:  e.CompanyID,
	})
}
