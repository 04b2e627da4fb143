package legacy_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/legacy"
)

// The legacy surfaces take Idempotency-Key as v1 does, and answer its
// errors in their own envelopes.
func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	id := e.Checkout(e.Catalog().Monthly, "").Str("id")
	end := func() string {
		return e.Call("GET", "/api/v1/memberships/"+id, nil).Want(t, 200).Str("renewal_period_end")
	}
	before := end()
	call := func(key, method, path string, body any) apitest.Response {
		return e.CallHeader(http.Header{httpapi.IdempotencyHeader: {key}}, method, path, body)
	}
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/api/v2/memberships/" + id + "/add_free_days", 201},
		{"POST", "/v5/app/memberships/" + id + "/add_free_days", 200},
		{"PATCH", "/v5/company/memberships/" + id, 200},
	} {
		body := map[string]any{"days": 3}
		other := map[string]any{"days": 4}
		if c.method == "PATCH" {
			body, other = map[string]any{"metadata": map[string]any{"a": 1}}, map[string]any{"metadata": map[string]any{"a": 2}}
		}
		a := call(c.path, c.method, c.path, body)
		b := call(c.path, c.method, c.path, body)
		if a.Status != c.status || b.Status != c.status || string(a.Body) != string(b.Body) || b.Header.Get(httpapi.ReplayedHeader) != "true" {
			t.Errorf("%s %s: %d %s then %d %s", c.method, c.path, a.Status, a.Body, b.Status, b.Body)
		}
		bad := call(c.path, c.method, c.path, other)
		if bad.Status != 400 || bad.Str("error.code") != memberd.CodeIdempotencyKeyReused {
			t.Errorf("%s with other parameters: %d %s", c.path, bad.Status, bad.Body)
		}
	}
	bad := call("/api/v2/memberships/"+id+"/add_free_days", "POST", "/api/v2/memberships/"+id+"/add_free_days", map[string]any{"days": 9})
	if bad.Str("error.status") != "400" || bad.Header.Get("Deprecation") == "" {
		t.Errorf("v2's envelope and headers: %s %v", bad.Body, bad.Header)
	}
	// 3 free days through v2 and 3 through v5, once each.
	if got, want := end(), apitest.Start.Add(36*apitest.Day).Format("2006-01-02T15:04:05.000Z"); got != want || before == got {
		t.Errorf("renewal period end %s, want %s", got, want)
	}
}

// A key over its rate limit gets each surface's envelope with Retry-After.
func TestRateLimit(t *testing.T) {
	e := apitest.New(t, apitest.WithRateLimit(httpapi.RateLimit{Rate: 1, Burst: 1}))
	legacy.Mount(e.API, e.Service, e.Log)
	for _, path := range []string{"/api/v2/memberships", "/v5/company/memberships"} {
		e.Clock.Add(time.Second)
		e.Call("GET", path, nil).Want(t, 200)
		r := e.Call("GET", path, nil)
		if r.Status != 429 || r.Str("error.type") != "rate_limited" || r.Str("error.status") != "429" || r.Header.Get("Retry-After") != "1" {
			t.Errorf("%s: %d %s, Retry-After %q", path, r.Status, r.Body, r.Header.Get("Retry-After"))
		}
	}
}

// Every list's page size is bounded, whatever a client asks for: v1's
// cursor lists at 100, v2's and v5's pages at 50.
func TestPageSizesAreClamped(t *testing.T) {
	e := newEnv(t)
	plan := e.Catalog().Monthly
	if err := e.Service.BulkCheckout(context.Background(), e.Company, plan, "bulk", 101, 101, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{
		"/api/v1/memberships?company_id=" + e.Company + "&first=1000": 100,
		"/api/v1/memberships?company_id=" + e.Company + "&last=1000":  100,
		"/api/v1/members?company_id=" + e.Company + "&first=1000":     100,
		"/api/v1/payments?company_id=" + e.Company + "&first=1000":    100,
		"/api/v2/memberships?per=1000":                                50,
		"/api/v5/company/memberships?per=1000":                        50,
		"/api/v5/app/memberships?per=1000&company_id=" + e.Company:    50,
	} {
		r := e.Call("GET", path, nil).Want(t, 200)
		if got := len(r.Get("data").([]any)); got != want {
			t.Errorf("%s: %d items, want %d", path, got, want)
		}
	}
}
