package httpapi_test

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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/sqlite"
	"github.com/memberd/memberd/testpay"
	"github.com/memberd/memberd/webhook"
	"github.com/memberd/memberd/wire"
)

// env is a memberd serving real HTTP over a real SQLite file, with a real
// clock the test can hold still.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	svc   *service.Service
	store memberd.Store
	clock *fakeClock
	// A company with an all-permission key.
	company string
	key     string
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

type envOption func(*envConfig)

type envConfig struct {
	testHelpers, allowPrivateWebhooks bool
	webhookFormats                    webhook.Formats
}

func withoutTestHelpers(c *envConfig) { c.testHelpers = false }

func withPrivateWebhooks(c *envConfig) { c.allowPrivateWebhooks = true }

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	cfg := envConfig{testHelpers: true}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "memberd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	clock := &fakeClock{now: start}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	e := &env{t: t, store: store, clock: clock}
	e.srv = httptest.NewUnstartedServer(nil)
	e.svc = service.New(service.Config{
		Store: store, Processor: testpay.Processor{}, Logger: log, Now: clock.Now, TestMode: cfg.testHelpers,
		AllowPrivateWebhooks: cfg.allowPrivateWebhooks, WebhookFormats: cfg.webhookFormats,
		Renderer: wire.Renderer{BaseURL: "http://" + e.srv.Listener.Addr().String()},
	})
	e.srv.Config.Handler = httpapi.New(httpapi.Config{Service: e.svc, Logger: log, TestHelpers: cfg.testHelpers})
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	e.company, e.key = e.newCompany("Acme")
	return e
}

// newCompany creates a company with an all-permission key.
func (e *env) newCompany(title string) (id, key string) {
	e.t.Helper()
	c, err := e.svc.CreateCompany(context.Background(), service.CompanyParams{Title: title})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID, e.newKey(c.ID)
}

func (e *env) newKey(company string, perms ...string) string {
	e.t.Helper()
	_, secret, err := e.svc.CreateAPIKey(context.Background(), "", company, "test", perms)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// response is an HTTP answer with its JSON decoded.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
	Array  []any
}

func (r response) str(path string) string {
	v := r.get(path)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// get walks a dotted path such as "page_info.end_cursor" or "data.0.id".
func (r response) get(path string) any {
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

// call makes a request with the env's key. body may be nil, a string (sent
// as is) or a value (sent as JSON).
func (e *env) call(method, path string, body any) response {
	return e.callKey(e.key, method, path, body)
}

func (e *env) callKey(key, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Fatalf("%s %s: content type %q: %s", method, path, ct, raw)
	}
	if err := json.Unmarshal(raw, &r.JSON); err != nil {
		json.Unmarshal(raw, &r.Array)
	}
	return r
}

// ok fails unless the response has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// wantError checks a Whop error envelope: status, type, code and param.
func (r response) wantError(t *testing.T, status int, code, param string) {
	t.Helper()
	r.want(t, status)
	validate(t, "ErrorEnvelope", r.Body)
	if got := r.str("error.code"); code != "" && got != code {
		t.Errorf("error code %q, want %q: %s", got, code, r.Body)
	}
	if got := r.str("error.param"); param != "" && got != param {
		t.Errorf("error param %q, want %q: %s", got, param, r.Body)
	}
	types := map[int]string{400: "invalid_request_error", 401: "unauthorized", 403: "forbidden", 404: "not_found"}
	if want, ok := types[status]; ok && r.str("error.type") != want {
		t.Errorf("error type %q, want %q", r.str("error.type"), want)
	}
	if r.str("error.message") == "" {
		t.Error("error without a message")
	}
}

var (
	schemaOnce sync.Once
	schemas    map[string]*jsonschema.Schema
)

// validate checks raw JSON against a definition of seed 000's schema.
func validate(t *testing.T, def string, raw []byte) {
	t.Helper()
	schemaOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		f, err := os.Open("../schema/membership.seed000.json")
		if err != nil {
			panic(err)
		}
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

// membership checks a membership response: 200 and seed 000's schema.
func (r response) membership(t *testing.T) response {
	t.Helper()
	r.want(t, http.StatusOK)
	validate(t, "Membership", r.Body)
	return r
}

// fixture is a product with plans of each kind.
type fixture struct {
	product  string
	monthly  string // $10 every 30 days
	trial    string // 14-day trial, then $10 every 30 days
	lifetime string // one-time $50
	pass     string // one-time $5, 30 days
}

func (e *env) catalog() fixture {
	e.t.Helper()
	var f fixture
	f.product = e.call("POST", "/api/v1/products", map[string]any{"title": "Pro"}).want(e.t, 200).str("id")
	plan := func(p map[string]any) string {
		p["product_id"] = f.product
		return e.call("POST", "/api/v1/plans", p).want(e.t, 200).str("id")
	}
	f.monthly = plan(map[string]any{"billing_period": 30, "renewal_price": 10})
	f.trial = plan(map[string]any{"billing_period": 30, "renewal_price": 10, "trial_period_days": 14})
	f.lifetime = plan(map[string]any{"plan_type": "one_time", "initial_price": 50})
	f.pass = plan(map[string]any{"plan_type": "one_time", "initial_price": 5, "expiration_days": 30})
	return f
}

var userSeq int
var userMu sync.Mutex

// user creates a user, with a payment method of the behavior if given.
func (e *env) user(behavior string) string {
	e.t.Helper()
	userMu.Lock()
	userSeq++
	name := fmt.Sprintf("user%d", userSeq)
	userMu.Unlock()
	id := e.call("POST", "/api/v1/test_helpers/users", map[string]any{"username": name, "email": name + "@example.com", "name": "User " + name}).want(e.t, 200).str("id")
	if behavior != "" {
		e.call("POST", "/api/v1/test_helpers/payment_methods", map[string]any{"user_id": id, "behavior": behavior}).want(e.t, 200)
	}
	return id
}

// checkout buys plan for a new user with a card of behavior ("" for none).
func (e *env) checkout(plan, behavior string) response {
	e.t.Helper()
	return e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": plan, "user_id": e.user(behavior)}).membership(e.t)
}

// advance moves the company clock and returns the events it fired.
func (e *env) advance(d time.Duration) []map[string]any {
	e.t.Helper()
	r := e.call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"seconds": int(d.Seconds())}).want(e.t, 200)
	var out []map[string]any
	for _, ev := range r.get("events").([]any) {
		out = append(out, ev.(map[string]any))
	}
	return out
}

// events returns the stored events of a membership, oldest first.
func (e *env) events(membership string) []memberd.Event {
	e.t.Helper()
	var evs []memberd.Event
	err := e.store.View(context.Background(), func(tx memberd.Tx) error {
		var err error
		evs, err = tx.ListEvents(context.Background(), memberd.EventFilter{CompanyID: e.company, MembershipID: membership})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func eventTypes(evs []memberd.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Type)
	}
	return out
}

const day = 24 * time.Hour
