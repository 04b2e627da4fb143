// Package dispatcher delivers the webhook outbox: it claims due deliveries
// from the store, POSTs each signed payload to its endpoint, and records
// every attempt, retrying failures with backoff, at least once.
//
// Several nodes may run a dispatcher on one database: a claim holds its
// deliveries under a token until a lease ends, and a node records a result
// only while its claim holds. A node that dies mid-delivery loses nothing:
// its claims lapse and the deliveries fall due again. All of its timing is
// real time (Config.Now), never a company's test clock.
package dispatcher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/metrics"
	"github.com/memberd/memberd/webhook"
)

// Config configures a Dispatcher; zero fields take the defaults.
type Config struct {
	Store   memberd.Store
	Formats webhook.Formats // payloads per api_version (default v1 only)
	Logger  *slog.Logger
	// Now is the real clock; nil means time.Now.
	Now func() time.Time
	// Concurrency bounds requests in flight (default 32).
	Concurrency int
	// Batch bounds the deliveries one claim takes (default 100).
	Batch int
	// Timeout bounds one attempt, connecting included (default 15 s).
	Timeout time.Duration
	// Lease is how long a claim holds (default 4 × Timeout). Claimed
	// deliveries queue in memory (up to Batch); one whose lease would end
	// before its attempt could is given back unsent rather than risk being
	// sent twice.
	Lease time.Duration
	// Poll is how often an idle dispatcher looks for due deliveries
	// (default 200 ms).
	Poll time.Duration
	// Policy is the retry schedule (default DefaultSchedule, ±10% jitter,
	// Retry-After honoured up to 24 h).
	Policy Policy
	// DisableAfter disables an endpoint whose attempts have all failed for
	// this long (default 5 days).
	DisableAfter time.Duration
	// AllowPrivate lets deliveries reach loopback and private addresses.
	AllowPrivate bool
	// Metrics receives the delivery figures; nil keeps them nowhere.
	Metrics *metrics.Registry
}

// UserAgent is sent with every delivery.
const UserAgent = "memberd-webhooks/1"

// responseExcerpt is how much of a response body an attempt keeps.
const responseExcerpt = 1024

// Dispatcher delivers webhooks; Run it in its own goroutine.
type Dispatcher struct {
	cfg    Config
	client *http.Client
	log    *slog.Logger
	// space wakes the claimer when a worker takes a job.
	space chan struct{}

	mu sync.Mutex
	// paused holds endpoints back until a time: they asked to wait
	// (Retry-After) or timed out. Other nodes learn of it from the store.
	paused map[string]time.Time

	attempts metrics.Counter   // recorded attempts, by outcome
	latency  metrics.Histogram // of attempts that got a response or timed out
	disabled metrics.Counter
}

// New returns a dispatcher.
func New(c Config) *Dispatcher {
	if c.Formats == nil {
		c.Formats = webhook.DefaultFormats()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Concurrency = orDefault(c.Concurrency, 32)
	c.Batch = orDefault(c.Batch, 100)
	c.Timeout = orDefault(c.Timeout, 15*time.Second)
	c.Lease = orDefault(c.Lease, 4*c.Timeout)
	c.Poll = orDefault(c.Poll, 200*time.Millisecond)
	c.DisableAfter = orDefault(c.DisableAfter, 5*24*time.Hour)
	if c.Policy.Schedule == nil {
		c.Policy = Policy{Schedule: DefaultSchedule, Jitter: 0.1}
	}
	c.Policy.MaxRetryAfter = orDefault(c.Policy.MaxRetryAfter, 24*time.Hour)
	transport := &http.Transport{
		DialContext:           webhook.Dialer(min(c.Timeout, 10*time.Second), c.AllowPrivate).DialContext,
		MaxIdleConns:          2 * c.Concurrency,
		MaxIdleConnsPerHost:   c.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(c.Timeout, 10*time.Second),
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New()
	}
	return &Dispatcher{
		cfg: c,
		client: &http.Client{
			Transport: transport,
			// A redirect is a failure (Standard Webhooks): not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log:    c.Logger,
		space:  make(chan struct{}, 1),
		paused: map[string]time.Time{},
		attempts: c.Metrics.Counter("memberd_webhook_attempts_total",
			"Webhook delivery attempts recorded by this node, by outcome: succeeded, retried (failed, retry scheduled), failed (failed, no retries left), skipped (nothing to send).", "outcome"),
		latency: c.Metrics.Histogram("memberd_webhook_attempt_duration_seconds", "Time from sending a webhook to its response (or the timeout).",
			[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}),
		disabled: c.Metrics.Counter("memberd_webhook_endpoints_disabled_total", "Webhook endpoints this node disabled (410 Gone, or failing for days)."),
	}
}

// orDefault returns v, or def when v is zero.
func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Run delivers until ctx is done, then stops claiming, returns the claims
// it has not started, lets requests in flight finish (each within Timeout),
// records them, and returns.
func (d *Dispatcher) Run(ctx context.Context) {
	jobs := make(chan memberd.DeliveryJob, d.cfg.Batch)
	results := make(chan memberd.AttemptResult, 2*d.cfg.Concurrency)
	var workers sync.WaitGroup
	for range d.cfg.Concurrency {
		workers.Go(func() {
			for j := range jobs {
				select {
				case d.space <- struct{}{}:
				default:
				}
				results <- d.deliver(ctx, j)
			}
		})
	}
	recorded := make(chan struct{})
	go func() {
		d.record(results)
		close(recorded)
	}()
	d.claim(ctx, jobs)
	close(jobs)
	workers.Wait()
	close(results)
	<-recorded
}

// Start runs the dispatcher in its own goroutine; stop ends it as Run
// does when its context is done, and returns once it has.
func (d *Dispatcher) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		d.Run(ctx)
		close(done)
	}()
	return sync.OnceFunc(func() {
		cancel()
		<-done
	})
}

// claim keeps the job queue filled with due deliveries until ctx is done.
// It claims when the queue is at most half full, so that claims are
// batches and a claimed delivery waits little before it is sent.
func (d *Dispatcher) claim(ctx context.Context, jobs chan<- memberd.DeliveryJob) {
	poll := time.NewTimer(0)
	defer poll.Stop()
	for {
		room := cap(jobs) - len(jobs)
		if room < (cap(jobs)+1)/2 {
			select {
			case <-ctx.Done():
				return
			case <-d.space:
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		n, err := d.claimBatch(ctx, jobs, room)
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhooks: claiming deliveries failed", "err", err)
		}
		if n == room && err == nil {
			poll.Reset(0) // more may be due
		} else {
			poll.Reset(d.cfg.Poll)
		}
	}
}

func (d *Dispatcher) claimBatch(ctx context.Context, jobs chan<- memberd.DeliveryJob, n int) (int, error) {
	now := d.cfg.Now()
	token := memberd.NewID("lease_")
	var claimed []memberd.DeliveryJob
	err := d.cfg.Store.Update(ctx, func(tx memberd.Tx) error {
		var err error
		claimed, err = tx.ClaimDeliveries(ctx, now, now.Add(d.cfg.Lease), token, n)
		return err
	})
	for _, j := range claimed {
		jobs <- j
	}
	return len(claimed), err
}

// deliver makes one attempt of a claimed delivery, or gives the claim
// back unattempted (shutting down, endpoint paused, lease nearly over).
func (d *Dispatcher) deliver(ctx context.Context, j memberd.DeliveryJob) memberd.AttemptResult {
	now := d.cfg.Now().Truncate(time.Millisecond) // instants are stored to the millisecond
	w := &j.Webhook
	r := memberd.AttemptResult{WebhookID: w.ID, Token: j.Token, Attempt: memberd.Attempt{
		DeliverySeq: j.Delivery.Seq, Number: j.Delivery.Attempts + 1, At: now, URL: w.URL,
	}}
	release := func(at time.Time) memberd.AttemptResult {
		r.Release, r.NextAttemptAt = true, &at
		return r
	}
	switch until, paused := d.pausedUntil(w.ID, now); {
	case ctx.Err() != nil:
		return release(now)
	case paused:
		return release(until)
	case now.Add(d.cfg.Timeout).After(j.Lease):
		return release(now)
	}
	f, ok := d.cfg.Formats[w.APIVersion]
	if !ok {
		return skip(r, fmt.Sprintf("this server cannot render %s payloads", w.APIVersion))
	}
	body, err := f.Body(ctx, &j.Delivery.Event)
	if errors.Is(err, webhook.ErrSkip) {
		return skip(r, err.Error())
	}
	if err != nil {
		d.log.Error("webhooks: rendering a payload failed", "webhook", w.ID, "event", j.Delivery.Event.ID, "err", err)
		r.Attempt.Error = "memberd could not render the payload"
		return d.failed(r, 0, now)
	}
	code, header, err := d.post(ctx, f, &j, body, &r.Attempt)
	switch {
	case err != nil:
		r.Attempt.Error = err.Error()
		r = d.failed(r, 0, now)
		if errors.Is(err, context.DeadlineExceeded) && r.NextAttemptAt != nil {
			// A hanging endpoint would hold a worker per delivery: hold
			// its other deliveries until this one's retry.
			r.ThrottleUntil = r.NextAttemptAt
		}
	case code >= 200 && code < 300:
		r.Status = memberd.DeliverySucceeded
	case code == http.StatusGone:
		r.DisableEndpoint = true
		r = d.failed(r, 0, now)
	default:
		wait := retryAfter(header, now)
		r = d.failed(r, wait, now)
		if wait > 0 {
			until := now.Add(min(wait, d.cfg.Policy.MaxRetryAfter))
			r.ThrottleUntil = &until
		}
	}
	if r.ThrottleUntil != nil {
		d.pause(w.ID, *r.ThrottleUntil)
	}
	return r
}

// failed schedules the retry of a failed attempt, or gives up.
func (d *Dispatcher) failed(r memberd.AttemptResult, wait time.Duration, now time.Time) memberd.AttemptResult {
	next, ok := d.cfg.Policy.Retry(r.Attempt.Number, wait, now, 2*rand.Float64()-1)
	if !ok {
		r.Status = memberd.DeliveryFailed
		return r
	}
	r.Status, r.NextAttemptAt = memberd.DeliveryPending, &next
	return r
}

// skip marks a delivery that has nothing to send.
func skip(r memberd.AttemptResult, why string) memberd.AttemptResult {
	r.Status, r.Attempt.Error = memberd.DeliverySkipped, why
	return r
}

// post sends one signed request and fills in the attempt.
func (d *Dispatcher) post(ctx context.Context, f webhook.Format, j *memberd.DeliveryJob, body []byte, a *memberd.Attempt) (int, http.Header, error) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, j.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	signer, err := webhook.NewSigner(j.Webhook.Secret)
	if err != nil {
		return 0, nil, err
	}
	ts := d.cfg.Now()
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{UserAgent}
	signer.SetHeaders(req.Header, j.Delivery.Event.ID, ts, body)
	if f.Headers != nil {
		f.Headers(req.Header, j.Webhook.Secret, ts, body)
	}
	a.RequestHeaders = make(map[string]string, len(req.Header))
	for k, v := range req.Header {
		a.RequestHeaders[k] = v[0]
	}
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		if actx.Err() != nil {
			return 0, nil, fmt.Errorf("no response within %s: %w", d.cfg.Timeout, context.DeadlineExceeded)
		}
		return 0, nil, err
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, responseExcerpt))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection is reused
	resp.Body.Close()
	a.Latency = time.Since(start)
	a.Status, a.ResponseBody = resp.StatusCode, string(bytes.ToValidUTF8(excerpt, nil))
	if a.Status < 200 || a.Status >= 300 {
		a.Error = "the endpoint answered " + resp.Status
	}
	return resp.StatusCode, resp.Header, nil
}

func (d *Dispatcher) pausedUntil(webhookID string, now time.Time) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	until, ok := d.paused[webhookID]
	if ok && !now.Before(until) {
		delete(d.paused, webhookID)
		return until, false
	}
	return until, ok
}

func (d *Dispatcher) pause(webhookID string, until time.Time) {
	d.mu.Lock()
	if until.After(d.paused[webhookID]) {
		d.paused[webhookID] = until
	}
	d.mu.Unlock()
}

// maxRecord bounds the results one transaction records.
const maxRecord = 500

// record writes results as they come, each write taking every result that
// is waiting (so writes batch themselves under load), until results closes.
func (d *Dispatcher) record(results <-chan memberd.AttemptResult) {
	batch := make([]memberd.AttemptResult, 0, maxRecord)
	for r := range results {
		batch = append(batch[:0], r)
	more:
		for len(batch) < maxRecord {
			select {
			case r, ok := <-results:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		d.write(batch)
	}
}

// write records a batch. It runs on after Run's context is done, so that
// the attempts of a shutdown are kept; if it fails, the claims lapse and
// the deliveries are sent again.
func (d *Dispatcher) write(batch []memberd.AttemptResult) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var disabled []memberd.EndpointDisabled
	failingBefore := d.cfg.Now().Add(-d.cfg.DisableAfter)
	err := d.cfg.Store.Update(ctx, func(tx memberd.Tx) error {
		var err error
		disabled, err = tx.RecordAttempts(ctx, batch, failingBefore)
		return err
	})
	if err != nil {
		d.log.Error("webhooks: recording attempts failed; their deliveries will be sent again", "count", len(batch), "err", err)
		return
	}
	for i := range batch {
		d.observe(&batch[i])
	}
	for _, e := range disabled {
		d.disabled.Inc()
		d.log.Warn("webhooks: endpoint disabled", "webhook", e.WebhookID, "reason", e.Reason)
	}
}

// observe counts and logs a recorded result: every attempt at debug level,
// a delivery given up on as a warning.
func (d *Dispatcher) observe(r *memberd.AttemptResult) {
	if r.Release {
		return
	}
	a := &r.Attempt
	outcome, level, msg := string(r.Status), slog.LevelDebug, "webhooks: attempt "+string(r.Status)
	switch r.Status {
	case memberd.DeliveryPending:
		outcome, msg = "retried", "webhooks: attempt failed; retrying"
	case memberd.DeliveryFailed:
		level, msg = slog.LevelWarn, "webhooks: delivery failed after its last retry; resend it from the delivery log when the endpoint is fixed"
	}
	d.attempts.Inc(outcome)
	if a.Latency > 0 {
		d.latency.Observe(a.Latency.Seconds())
	}
	ctx := context.Background()
	if !d.log.Enabled(ctx, level) {
		return
	}
	attrs := []any{"webhook", r.WebhookID, "delivery", memberd.DeliveryID(a.DeliverySeq),
		"event", a.RequestHeaders[http.CanonicalHeaderKey(webhook.HeaderID)], "attempt", a.Number, "status", a.Status,
		"latency_ms", a.Latency.Milliseconds()}
	if a.Error != "" {
		attrs = append(attrs, "error", a.Error)
	}
	if r.NextAttemptAt != nil && r.Status == memberd.DeliveryPending {
		attrs = append(attrs, "next_attempt_at", *r.NextAttemptAt)
	}
	d.log.Log(ctx, level, msg, attrs...)
}
