package dispatcher_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/dispatcher"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/sqlite"
	"github.com/memberd/memberd/webhook"
)

// outbox is a SQLite database with a company and an endpoint subscribed to
// membership.activated, to which events are added directly.
type outbox struct {
	path    string
	store   memberd.Store
	company string
	secret  string
}

func newOutbox(tb testing.TB, url string) *outbox {
	tb.Helper()
	ctx := context.Background()
	o := &outbox{path: filepath.Join(tb.TempDir(), "memberd.db")}
	o.store = openStore(tb, o.path)
	svc := service.New(service.Config{Store: o.store, TestMode: true})
	c, err := svc.CreateCompany(ctx, service.CompanyParams{Title: "Acme"})
	if err != nil {
		tb.Fatal(err)
	}
	o.company = c.ID
	w, err := svc.CreateWebhook(ctx, c.ID, service.WebhookParams{URL: &url, Events: []string{string(memberd.EventMembershipActivated)}})
	if err != nil {
		tb.Fatal(err)
	}
	o.secret = w.Secret
	return o
}

func openStore(tb testing.TB, path string) memberd.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// sampleData is a membership's v1 JSON, the size of a real event's.
var sampleData = []byte(`{"id":"mem_1234567890abcd","status":"active","created_at":"2026-03-01T09:00:00.000Z","joined_at":"2026-03-01T09:00:00.000Z",` +
	`"updated_at":"2026-03-01T09:00:00.000Z","manage_url":"https://memberd.example/billing/manage/mem_1234567890abcd","member":{"id":"mber_1234567890abc"},` +
	`"user":{"id":"user_1234567890abc","username":"ada","name":"Ada Lovelace","email":"ada@example.com"},"renewal_period_start":"2026-03-01T09:00:00.000Z",` +
	`"renewal_period_end":"2026-03-31T09:00:00.000Z","cancel_at_period_end":false,"cancel_option":null,"cancellation_reason":null,"canceled_at":null,` +
	`"currency":"usd","company":{"id":"biz_1234567890abcd","title":"Acme"},"plan":{"id":"plan_1234567890abc","metadata":null},"promo_code":null,` +
	`"product":{"id":"prod_1234567890abc","title":"Pro","metadata":null},"license_key":null,"metadata":{"source":"benchmark"},` +
	`"payment_collection_paused":false,"checkout_configuration_id":null,"custom_field_responses":[]}`)

// add stores n membership.activated events (and so n deliveries), in
// transactions of up to 1,000.
func (o *outbox) add(tb testing.TB, n int) {
	tb.Helper()
	for n > 0 {
		batch := min(n, 1000)
		evs := make([]memberd.Event, batch)
		for i := range evs {
			evs[i] = memberd.Event{ID: memberd.NewID(memberd.PrefixMessage), CompanyID: o.company, Type: memberd.EventMembershipActivated,
				ObjectID: "mem_1234567890abcd", Data: sampleData, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
		}
		if err := o.store.Update(context.Background(), func(tx memberd.Tx) error { return tx.InsertEvents(context.Background(), evs) }); err != nil {
			tb.Fatal(err)
		}
		n -= batch
	}
}

// counter is a receiver that checks every signature and counts messages.
type counter struct {
	secret string
	mu     sync.Mutex
	seen   map[string]int
	total  atomic.Int64
	bad    atomic.Int64
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify(c.secret, r.Header, body, time.Now()); err != nil {
		c.bad.Add(1)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.seen[r.Header.Get(webhook.HeaderID)]++
	c.mu.Unlock()
	c.total.Add(1)
}

func startCounter(tb testing.TB) (*counter, *httptest.Server) {
	c := &counter{seen: map[string]int{}}
	srv := httptest.NewServer(c)
	tb.Cleanup(srv.Close)
	return c, srv
}

func run(tb testing.TB, store memberd.Store, c dispatcher.Config) (stop func()) {
	c.Store, c.AllowPrivate = store, true
	c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	stop = dispatcher.New(c).Start()
	tb.Cleanup(stop)
	return stop
}

// Three nodes, each with its own connections to one database, share the
// outbox: every event is delivered, once.
func TestNodesShareTheOutbox(t *testing.T) {
	c, srv := startCounter(t)
	o := newOutbox(t, srv.URL)
	c.secret = o.secret
	const events = 300
	var stops []func()
	for range 3 {
		stops = append(stops, run(t, openStore(t, o.path), dispatcher.Config{Poll: 5 * time.Millisecond, Batch: 10, Concurrency: 4}))
	}
	o.add(t, events/2)
	o.add(t, events/2)
	for deadline := time.Now().Add(30 * time.Second); c.total.Load() < events; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d delivered", c.total.Load(), events)
		}
	}
	for _, stop := range stops { // every request made has arrived
		stop()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.seen) != events || c.bad.Load() != 0 || c.total.Load() != events {
		t.Errorf("%d messages, %d requests, %d bad signatures for %d events", len(c.seen), c.total.Load(), c.bad.Load(), events)
	}
	for id, n := range c.seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
}

// BenchmarkDeliveries measures signed deliveries per second from the
// outbox to a receiver on 127.0.0.1 that verifies each signature, with the
// default configuration: claims, HTTP, and the recorded attempts included.
func BenchmarkDeliveries(b *testing.B) {
	c, srv := startCounter(b)
	o := newOutbox(b, srv.URL)
	c.secret = o.secret
	o.add(b, b.N)
	b.ResetTimer()
	start := time.Now()
	stop := run(b, o.store, dispatcher.Config{})
	for c.total.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stop()
	if c.bad.Load() != 0 {
		b.Fatalf("%d bad signatures", c.bad.Load())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
