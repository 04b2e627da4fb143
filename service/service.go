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
	// nil means v1 and the legacy v2 and v5 (webhook.Legacy).
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

	s := &Service{
		store: c.Store, rules: c.Rules, processor: c.Processor, render: c.Renderer,
		log: c.Logger, realNow: c.Now, testMode: c.TestMode,
		webhookFormats: c.WebhookFormats, allowPrivateWebhooks: c.AllowPrivateWebhooks,
		keys: keyCache{m: map[string]cachedKey{}},
	}
	if s.webhookFormats == nil {
		s.webhookFormats = webhook.DefaultFormats()
		for _, v := range []string{memberd.WebhookV2, memberd.WebhookV5} {
			s.webhookFormats[v] = webhook.Legacy(v, s)
		}
	}
	return s
}

// WebhookFormats are the payload formats, per api_version, webhooks are
// rendered with (the dispatcher's).
func (s *Service) WebhookFormats() webhook.Formats { return s.webhookFormats }

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

// RealNow is the process clock, the time of webhook deliveries and their
// attempts (never a company's clock).
func (s *Service) RealNow() time.Time { return s.realNow().UTC() }

// notFound turns storage's ErrNotFound into a NotFound error naming the
// object; other errors pass through.
func notFound(err error, what, id string) error {
	if errors.Is(err, memberd.ErrNotFound) {
		return memberd.NotFound(what, id)
	}
	return err
}

// writes buffers what a transaction writes, so that many outcomes (a batch
// of renewals, say) are saved with a few multi-row statements: the last state
// of each membership and payment, and every event in order.
type writes struct {
	memberships map[string]int // id -> index in ms
	ms          []memberd.Membership
	payments    map[string]int // id -> index in ps
	ps          []memberd.Payment
	events      []memberd.Event
}

// record adds an outcome stamped at instant at, rendering its events, and
// returns them. A new membership is inserted by the caller; update says
// whether the membership is to be written here.
func (w *writes) record(s *Service, o *memberd.Outcome, at time.Time, update bool) []memberd.Event {
	if !o.Changed {
		return nil
	}
	if w.memberships == nil {
		w.memberships, w.payments = map[string]int{}, map[string]int{}
	}
	if update {
		if i, ok := w.memberships[o.Membership.ID]; ok {
			w.ms[i] = o.Membership
		} else {
			w.memberships[o.Membership.ID] = len(w.ms)
			w.ms = append(w.ms, o.Membership)
		}
	}
	for _, p := range o.Payments {
		if i, ok := w.payments[p.ID]; ok {
			w.ps[i] = p
		} else {
			w.payments[p.ID] = len(w.ps)
			w.ps = append(w.ps, p)
		}
	}
	n := len(w.events)
	for _, e := range o.Events {
		w.events = append(w.events, s.event(e, at))
	}
	return w.events[n:]
}

// payment returns the buffered version of a payment, if any.
func (w *writes) payment(id string) (memberd.Payment, bool) {
	i, ok := w.payments[id]
	if !ok {
		return memberd.Payment{}, false
	}
	return w.ps[i], true
}

// flush writes everything buffered.
func (w *writes) flush(ctx context.Context, tx memberd.Tx) error {
	if len(w.ms) > 0 {
		if err := tx.UpdateMemberships(ctx, w.ms); err != nil {
			return err
		}
	}
	if len(w.ps) > 0 {
		if err := tx.SavePayments(ctx, w.ps); err != nil {
			return err
		}
	}
	if len(w.events) > 0 {
		return tx.InsertEvents(ctx, w.events)
	}
	return nil
}

// record writes one outcome of an existing membership with its effects.
func (s *Service) record(ctx context.Context, tx memberd.Tx, o *memberd.Outcome, at time.Time) ([]memberd.Event, error) {
	var w writes
	evs := w.record(s, o, at, true)
	return evs, w.flush(ctx, tx)
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

// PurgeIdempotencyKeys deletes up to limit Idempotency-Key records whose
// retention has ended, and counts them.
func (s *Service) PurgeIdempotencyKeys(ctx context.Context, limit int) (int, error) {
	var n int
	err := s.store.Update(ctx, func(tx memberd.Tx) (err error) {
		n, err = tx.DeleteExpiredIdempotencyKeys(ctx, s.realNow(), limit)
		return err
	})
	return n, err
}
