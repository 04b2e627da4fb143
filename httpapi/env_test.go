package httpapi_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/service"
)

// The harness is internal/apitest (shared with the legacy surfaces' tests);
// these are the names the tests of this package use for it.

// env is a memberd serving real HTTP over a real SQLite file, with a real
// clock the test can hold still.
type env struct {
	*apitest.Env
	t     *testing.T
	srv   *httptest.Server
	svc   *service.Service
	store memberd.Store
	clock *apitest.Clock
	// A company with an all-permission key.
	company string
	key     string
}

var (
	start               = apitest.Start
	withoutTestHelpers  = apitest.WithoutTestHelpers
	withPrivateWebhooks = apitest.WithPrivateWebhooks
)

const day = apitest.Day

func newEnv(t *testing.T, opts ...apitest.Option) *env {
	t.Helper()
	a := apitest.New(t, opts...)
	return &env{Env: a, t: t, srv: a.Server, svc: a.Service, store: a.Store, clock: a.Clock, company: a.Company, key: a.Key}
}

func (e *env) newCompany(title string) (id, key string) { e.t.Helper(); return e.NewCompany(title) }

func (e *env) newKey(company string, perms ...string) string {
	e.t.Helper()
	return e.NewKey(company, perms...)
}

// response is an HTTP answer with its JSON decoded.
type response struct{ apitest.Response }

func (r response) str(path string) string { return r.Str(path) }
func (r response) get(path string) any    { return r.Get(path) }

func (r response) want(t *testing.T, status int) response {
	t.Helper()
	r.Want(t, status)
	return r
}

func (r response) wantError(t *testing.T, status int, code, param string) {
	t.Helper()
	r.WantError(t, status, code, param)
}

func (r response) membership(t *testing.T) response {
	t.Helper()
	r.Membership(t)
	return r
}

func (e *env) call(method, path string, body any) response {
	e.t.Helper()
	return response{e.Call(method, path, body)}
}

func (e *env) callKey(key, method, path string, body any) response {
	e.t.Helper()
	return response{e.CallKey(key, method, path, body)}
}

func validate(t *testing.T, def string, raw []byte) { t.Helper(); apitest.Validate(t, def, raw) }

// fixture is a product with plans of each kind.
type fixture struct {
	product, monthly, trial, lifetime, pass string
}

func (e *env) catalog() fixture {
	e.t.Helper()
	f := e.Catalog()
	return fixture{f.Product, f.Monthly, f.Trial, f.Lifetime, f.Pass}
}

func (e *env) user(behavior string) string { e.t.Helper(); return e.User(behavior) }

func (e *env) checkout(plan, behavior string) response {
	e.t.Helper()
	return response{e.Checkout(plan, behavior)}
}

func (e *env) advance(d time.Duration) []map[string]any { e.t.Helper(); return e.Advance(d) }

func (e *env) events(membership string) []memberd.Event { e.t.Helper(); return e.Events(membership) }

func eventTypes(evs []memberd.Event) []string { return apitest.EventTypes(evs) }
