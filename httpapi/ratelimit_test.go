package httpapi_test

import (
	"testing"
	"time"

	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/internal/apitest"
)

// Each key gets its burst, then its rate; over it, a 429 rate_limited with
// Retry-After, and other keys are not held back.
func TestRateLimitPerKey(t *testing.T) {
	e := newEnv(t, apitest.WithRateLimit(httpapi.RateLimit{Rate: 0.5, Burst: 3}))
	_, other := e.newCompany("Other")
	path := "/api/v1/companies/" + e.company
	for range 3 {
		e.call("GET", path, nil).want(t, 200)
	}
	r := e.call("GET", path, nil)
	r.want(t, 429)
	if r.str("error.type") != "rate_limited" || r.str("error.message") == "" || r.Header.Get("Retry-After") != "2" {
		t.Errorf("429 %s, Retry-After %q (want 2: one request every 2 s)", r.Body, r.Header.Get("Retry-After"))
	}
	e.callKey(other, "GET", "/api/v1/companies", nil).want(t, 200)
	e.callKey("", "GET", path, nil).want(t, 401) // no key: nothing to count

	e.Clock.Add(1500 * time.Millisecond)
	if r := e.call("GET", path, nil); r.Status != 429 || r.Header.Get("Retry-After") != "1" {
		t.Errorf("1.5 s later: %d, Retry-After %q (want 429, 1)", r.Status, r.Header.Get("Retry-After"))
	}
	e.Clock.Add(500 * time.Millisecond)
	e.call("GET", path, nil).want(t, 200)
	e.call("GET", path, nil).want(t, 429)
	e.Clock.Add(time.Hour) // the bucket fills up to its burst, no more
	for range 3 {
		e.call("GET", path, nil).want(t, 200)
	}
	e.call("GET", path, nil).want(t, 429)
}
