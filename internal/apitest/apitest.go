// Package apitest is the harness of the HTTP tests (httpapi, legacy): a
// memberd serving real HTTP over a real SQLite file (or PostgreSQL schema:
// see package testdb), with a clock the test
// holds still, and helpers to build a catalog, buy plans and call the API.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/internal/testdb"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/testpay"
	"github.com/memberd/memberd/webhook"
	"github.com/memberd/memberd/wire"
)

// Env is a memberd serving real HTTP over a real database.
type Env struct {
	T       *testing.T
	Server  *httptest.Server
	API     *httpapi.Server
	Service *service.Service
	Store   memberd.Store
	Clock   *Clock
	Log     *slog.Logger
	// A company with an all-permission key.
	Company string
	Key     string
}

// Clock is a real clock the test moves by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Start is where every Env's clock starts.
var Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Day is 24 hours.
const Day = 24 * time.Hour

// Option configures an Env.
type Option func(*config)

type config struct {
	testHelpers, allowPrivateWebhooks bool
	webhookFormats                    webhook.Formats
	rateLimit                         httpapi.RateLimit
	idempotencyLease                  time.Duration
}

// WithoutTestHelpers serves without test helpers (production mode).
func WithoutTestHelpers(c *config) { c.testHelpers = false }

// WithPrivateWebhooks accepts webhook URLs on private addresses, as serve
// --allow-private-webhooks does.
func WithPrivateWebhooks(c *config) { c.allowPrivateWebhooks = true }

// WithRateLimit limits each key's requests, as serve --rate-limit does.
func WithRateLimit(l httpapi.RateLimit) Option {
	return func(c *config) { c.rateLimit = l }
}

// WithIdempotencyLease sets how long an Idempotency-Key's hold lasts
// unless renewed (renewals run on real time, a third of it apart).
func WithIdempotencyLease(d time.Duration) Option {
	return func(c *config) { c.idempotencyLease = d }
}

// WithWebhookFormats renders webhook payloads with formats.
func WithWebhookFormats(formats webhook.Formats) Option {
	return func(c *config) { c.webhookFormats = formats }
}

// New starts an Env with a company and its key.
func New(t *testing.T, opts ...Option) *Env {
	t.Helper()
	cfg := config{testHelpers: true}
	for _, o := range opts {
		o(&cfg)
	}
	store := testdb.Open(t)
	clock := NewClock(Start)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	e := &Env{T: t, Store: store, Clock: clock, Log: log}
	e.Server = httptest.NewUnstartedServer(nil)
	e.Service = service.New(service.Config{
		Store: store, Processor: testpay.Processor{}, Logger: log, Now: clock.Now, TestMode: cfg.testHelpers,
		Renderer:             wire.Renderer{BaseURL: "http://" + e.Server.Listener.Addr().String()},
		AllowPrivateWebhooks: cfg.allowPrivateWebhooks, WebhookFormats: cfg.webhookFormats,
	})
	e.API = httpapi.New(httpapi.Config{Service: e.Service, Logger: log, TestHelpers: cfg.testHelpers, Now: clock.Now, RateLimit: cfg.rateLimit,
		IdempotencyLease: cfg.idempotencyLease})
	e.Server.Config.Handler = e.API
	e.Server.Start()
	t.Cleanup(e.Server.Close)
	e.Company, e.Key = e.NewCompany("Acme")
	return e
}

// NewCompany creates a company with an all-permission key.
func (e *Env) NewCompany(title string) (id, key string) {
	e.T.Helper()
	c, err := e.Service.CreateCompany(context.Background(), service.CompanyParams{Title: title})
	if err != nil {
		e.T.Fatal(err)
	}
	return c.ID, e.NewKey(c.ID)
}

// NewKey creates a key of the company with perms (all when none).
func (e *Env) NewKey(company string, perms ...string) string {
	e.T.Helper()
	_, secret, err := e.Service.CreateAPIKey(context.Background(), "", company, "test", perms)
	if err != nil {
		e.T.Fatal(err)
	}
	return secret
}

// Response is an HTTP answer with its JSON decoded.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
	Array  []any
}

// Str is Get as a string ("" for null or absent).
func (r Response) Str(path string) string {
	v := r.Get(path)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// Get walks a dotted path such as "page_info.end_cursor" or "data.0.id".
func (r Response) Get(path string) any {
	var cur any = r.JSON
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			var i int
			fmt.Sscan(part, &i)
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// Call makes a request with the Env's key. body may be nil, a string (sent
// as is) or a value (sent as JSON).
func (e *Env) Call(method, path string, body any) Response {
	return e.CallKey(e.Key, method, path, body)
}

// CallKey is Call with another key ("" for none).
func (e *Env) CallKey(key, method, path string, body any) Response {
	e.T.Helper()
	return e.CallHeader(http.Header{"Authorization": {"Bearer " + key}}, method, path, body)
}

// CallHeader is Call with the Env's key and these headers besides (an
// Authorization among them replaces the key; empty, it sends none).
func (e *Env) CallHeader(header http.Header, method, path string, body any) Response {
	e.T.Helper()
	resp, err := e.Do(header, method, path, body)
	if err != nil {
		e.T.Fatal(err)
	}
	return resp
}

// Do is CallHeader returning its error: it may run on any goroutine.
func (e *Env) Do(header http.Header, method, path string, body any) (Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Authorization", "Bearer "+e.Key)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Authorization") == "Bearer " {
		req.Header.Del("Authorization")
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return r, fmt.Errorf("%s %s: content type %q: %s", method, path, ct, raw)
	}
	if err := json.Unmarshal(raw, &r.JSON); err != nil {
		json.Unmarshal(raw, &r.Array)
	}
	return r, nil
}

// Want fails unless the response has the status.
func (r Response) Want(t *testing.T, status int) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// WantError checks a v1 error envelope: status, type, code and param.
func (r Response) WantError(t *testing.T, status int, code, param string) {
	t.Helper()
	r.Want(t, status)
	Validate(t, "ErrorEnvelope", r.Body)
	if got := r.Str("error.code"); code != "" && got != code {
		t.Errorf("error code %q, want %q: %s", got, code, r.Body)
	}
	if got := r.Str("error.param"); param != "" && got != param {
		t.Errorf("error param %q, want %q: %s", got, param, r.Body)
	}
	if want, ok := ErrorTypes[status]; ok && r.Str("error.type") != want {
		t.Errorf("error type %q, want %q", r.Str("error.type"), want)
	}
	if r.Str("error.message") == "" {
		t.Error("error without a message")
	}
}

// ErrorTypes is the error type of each status.
var ErrorTypes = map[int]string{400: "invalid_request_error", 401: "unauthorized", 403: "forbidden", 404: "not_found"}

// Membership checks a v1 membership response: 200 and seed 000's schema.
func (r Response) Membership(t *testing.T) Response {
	t.Helper()
	r.Want(t, http.StatusOK)
	Validate(t, "Membership", r.Body)
	return r
}

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
)

// Validate checks raw JSON against a definition of seed 000's schema.
func Validate(t *testing.T, def string, raw []byte) {
	t.Helper()
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		_, here, _, _ := runtime.Caller(0)
		f, err := os.Open(filepath.Join(filepath.Dir(here), "..", "..", "schema", "membership.seed000.json"))
		if err != nil {
			panic(err)
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			panic(err)
		}
		if err := c.AddResource("seed000.json", doc); err != nil {
			panic(err)
		}
		schemas = map[string]*jsonschema.Schema{}
		for _, d := range []string{"Membership", "ErrorEnvelope"} {
			schemas[d] = c.MustCompile("seed000.json#/$defs/" + d)
		}
	})
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("invalid JSON: %v", err)
	}
	if err := schemas[def].Validate(v); err != nil {
		t.Fatalf("response does not match seed 000's %s schema: %v\n%s", def, err, raw)
	}
}

// Fixture is a product with plans of each kind.
type Fixture struct {
	Product  string
	Monthly  string // $10 every 30 days
	Trial    string // 14-day trial, then $10 every 30 days
	Lifetime string // one-time $50
	Pass     string // one-time $5, 30 days
}

// Catalog creates a product with fields (a title by default) and its plans.
func (e *Env) Catalog(fields ...map[string]any) Fixture {
	e.T.Helper()
	var f Fixture
	product := map[string]any{"title": "Pro"}
	for _, fs := range fields {
		for k, v := range fs {
			product[k] = v
		}
	}
	f.Product = e.Call("POST", "/api/v1/products", product).Want(e.T, 200).Str("id")
	plan := func(p map[string]any) string {
		p["product_id"] = f.Product
		return e.Call("POST", "/api/v1/plans", p).Want(e.T, 200).Str("id")
	}
	f.Monthly = plan(map[string]any{"billing_period": 30, "renewal_price": 10})
	f.Trial = plan(map[string]any{"billing_period": 30, "renewal_price": 10, "trial_period_days": 14})
	f.Lifetime = plan(map[string]any{"plan_type": "one_time", "initial_price": 50})
	f.Pass = plan(map[string]any{"plan_type": "one_time", "initial_price": 5, "expiration_days": 30})
	return f
}

var (
	userMu  sync.Mutex
	userSeq int
)

// User creates a user, with a payment method of the behavior if given.
func (e *Env) User(behavior string) string {
	e.T.Helper()
	userMu.Lock()
	userSeq++
	name := fmt.Sprintf("user%d", userSeq)
	userMu.Unlock()
	id := e.Call("POST", "/api/v1/test_helpers/users", map[string]any{"username": name, "email": name + "@example.com", "name": "User " + name}).Want(e.T, 200).Str("id")
	if behavior != "" {
		e.Call("POST", "/api/v1/test_helpers/payment_methods", map[string]any{"user_id": id, "behavior": behavior}).Want(e.T, 200)
	}
	return id
}

// Checkout buys plan for a new user with a card of behavior ("" for none).
func (e *Env) Checkout(plan, behavior string) Response {
	e.T.Helper()
	return e.Call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": plan, "user_id": e.User(behavior)}).Membership(e.T)
}

// Advance moves the company clock and returns the events it fired.
func (e *Env) Advance(d time.Duration) []map[string]any {
	e.T.Helper()
	r := e.Call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"seconds": int(d.Seconds())}).Want(e.T, 200)
	var out []map[string]any
	for _, ev := range r.Get("events").([]any) {
		out = append(out, ev.(map[string]any))
	}
	return out
}

// Events returns the stored events of a membership, oldest first.
func (e *Env) Events(membership string) []memberd.Event {
	e.T.Helper()
	var evs []memberd.Event
	err := e.Store.View(context.Background(), func(tx memberd.Tx) error {
		var err error
		evs, err = tx.ListEvents(context.Background(), memberd.EventFilter{CompanyID: e.Company, MembershipID: membership})
		return err
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return evs
}

// EventTypes are the types of evs.
func EventTypes(evs []memberd.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Type)
	}
	return out
}
