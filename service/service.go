// Package service is memberd's application layer: each operation loads state
// from the store, applies a lifecycle rule at the company's clock time, and
// writes the new state, its payments and its events in one transaction.
// Adapters (the HTTP API, the scheduler, the CLI) call it; it knows no
// technology but the memberd interfaces.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/webhook"
	"github.com/memberd/memberd/wire"
)

// Service runs memberd's operations.
type Service struct {
	store     memberd.Store
	rules     memberd.Rules
	processor memberd.Processor
	render    wire.Renderer
	log       *slog.Logger
	// realNow is the process clock: time.Now outside tests.
	realNow func() time.Time
	// testMode gives each company its own clock, stored in the database.
	testMode bool
	// webhookFormats render payloads per api_version; allowPrivateWebhooks
	// accepts endpoint URLs on internal addresses outside test mode.
	webhookFormats       webhook.Formats
	allowPrivateWebhooks bool

	keys keyCache
}

// Config configures a Service.
type Config struct {
	Store     memberd.Store
	Rules     memberd.Rules
	Processor memberd.Processor
	Renderer  wire.Renderer
	Logger    *slog.Logger
	// Now is the real clock; nil means time.Now.
	Now func() time.Time
	// TestMode gives every company a clock that test helpers move forward.
	TestMode bool
	// WebhookFormats are the api_versions webhooks can be created with;
	// nil means webhook.DefaultFormats (v1).
	WebhookFormats webhook.Formats
	// AllowPrivateWebhooks accepts webhook URLs on loopback and private
	// addresses (always accepted in test mode).
	AllowPrivateWebhooks bool
}

// New returns a Service.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Rules.RetrySchedule == nil {
		c.Rules = memberd.DefaultRules
	}
	if c.WebhookFormats == nil {
		c.WebhookFormats = webhook.DefaultFormats()
	}
	return &Service{
		store: c.Store, rules: c.Rules, processor: c.Processor, render: c.Renderer,
		log: c.Logger, realNow: c.Now, testMode: c.TestMode,
		webhookFormats: c.WebhookFormats, allowPrivateWebhooks: c.AllowPrivateWebhooks,
		keys: keyCache{m: map[string]cachedKey{}},
	}
}

// Store returns the service's store.
func (s *Service) Store() memberd.Store { return s.store }

// Renderer returns the v1 renderer.
func (s *Service) Renderer() wire.Renderer { return s.render }

// TestMode reports whether companies have their own clocks.
func (s *Service) TestMode() bool { return s.testMode }

// Rules returns the lifecycle rules in force.
func (s *Service) Rules() memberd.Rules { return s.rules }

// now is the company's time: real time, plus the company's clock offset in
// test mode. Instants are kept to the millisecond, as stored.
func (s *Service) now(c *memberd.Company) time.Time {
	t := s.realNow()
	if s.testMode {
		t = t.Add(c.ClockOffset)
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Now returns the company's current time.
func (s *Service) Now(ctx context.Context, companyID string) (time.Time, error) {
	var now time.Time
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		now = s.now(&c)
		return nil
	})
	return now, err
}

// notFound turns storage's ErrNotFound into a NotFound error naming the
// object; other errors pass through.
func notFound(err error, what, id string) error {
	if errors.Is(err, memberd.ErrNotFound) {
		return memberd.NotFound(what, id)
	}
	return err
}

// record writes an outcome: the membership, its payments and its events,
// each event rendered as of the instant it fired.
func (s *Service) record(ctx context.Context, tx memberd.Tx, o *memberd.Outcome, at time.Time) ([]memberd.Event, error) {
	if !o.Changed {
		return nil, nil
	}
	if err := tx.UpdateMembership(ctx, &o.Membership); err != nil {
		return nil, err
	}
	return s.writeEffects(ctx, tx, o, at)
}

// writeEffects saves an outcome's payments and events.
func (s *Service) writeEffects(ctx context.Context, tx memberd.Tx, o *memberd.Outcome, at time.Time) ([]memberd.Event, error) {
	for i := range o.Payments {
		if err := tx.SavePayment(ctx, &o.Payments[i]); err != nil {
			return nil, err
		}
	}
	if len(o.Events) == 0 {
		return nil, nil
	}
	evs := make([]memberd.Event, len(o.Events))
	for i, e := range o.Events {
		evs[i] = s.event(e, at)
	}
	return evs, tx.InsertEvents(ctx, evs)
}

// event renders an emitted event as a stored one.
func (s *Service) event(e memberd.Emitted, at time.Time) memberd.Event {
	m := e.Membership
	ev := memberd.Event{
		ID:           memberd.NewID(memberd.PrefixMessage),
		CompanyID:    m.CompanyID,
		Type:         e.Type,
		ObjectID:     m.ID,
		MembershipID: m.ID,
		CreatedAt:    at,
	}
	var data any
	if e.Payment != nil {
		p := *e.Payment
		status := p.MembershipStatus
		p.JoinMembership(&m)
		p.MembershipStatus = status
		ev.ObjectID = p.ID
		data = s.render.Payment(&p, true)
	} else {
		data = s.render.Membership(&m, true)
	}
	ev.Data, _ = json.Marshal(data)
	return ev
}

// keyCache remembers authenticated keys for a minute, so a request costs no
// key lookup; a key is only ever added, never changed, so staleness is safe.
type keyCache struct {
	mu sync.RWMutex
	m  map[string]cachedKey
}

type cachedKey struct {
	key     memberd.APIKey
	expires time.Time
}

const (
	keyCacheTTL  = time.Minute
	keyCacheSize = 10_000
)

// Authenticate returns the key whose secret is given, or an Unauthorized
// error. Keys are found by their SHA-256 hash, so no secret is ever compared.
func (s *Service) Authenticate(ctx context.Context, secret string) (memberd.APIKey, error) {
	unauthorized := memberd.Errorf(memberd.KindUnauthorized, "", "", "Invalid or missing API key")
	if secret == "" {
		return memberd.APIKey{}, unauthorized
	}
	hash := memberd.HashAPIKey(secret)
	now := time.Now()
	s.keys.mu.RLock()
	c, ok := s.keys.m[hash]
	s.keys.mu.RUnlock()
	if ok && now.Before(c.expires) {
		return c.key, nil
	}
	var k memberd.APIKey
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		k, err = tx.APIKeyByHash(ctx, hash)
		return err
	})
	if errors.Is(err, memberd.ErrNotFound) {
		return k, unauthorized
	}
	if err != nil {
		return k, err
	}
	s.keys.mu.Lock()
	if len(s.keys.m) >= keyCacheSize {
		clear(s.keys.m)
	}
	s.keys.m[hash] = cachedKey{k, now.Add(keyCacheTTL)}
	s.keys.mu.Unlock()
	return k, nil
}
