package node_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/metrics"
	"github.com/memberd/memberd/internal/node"
)

// metricValue finds the sample of series (name and labels, as exposed).
func metricValue(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

func (r *running) scrape(url string) string {
	r.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != metrics.ContentType {
		r.t.Fatalf("GET %s: %d %s\n%s", url, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return string(b)
}

// call makes an API request that must succeed and returns its JSON.
func (r *running) call(method, path string, body any) map[string]any {
	r.t.Helper()
	raw, _ := json.Marshal(body)
	status, _, resp := r.do(method, path, string(raw), nil)
	if status != 200 {
		r.t.Fatalf("%s %s: %d %s", method, path, status, resp)
	}
	var out map[string]any
	json.Unmarshal([]byte(resp), &out)
	return out
}

// checkout buys a monthly plan for a new user and returns the membership id.
func (r *running) checkout() string {
	r.t.Helper()
	product := r.call("POST", "/api/v1/products", map[string]any{"title": "Pro"})["id"]
	plan := r.call("POST", "/api/v1/plans", map[string]any{"product_id": product, "renewal_price": 10, "billing_period": 30})["id"]
	user := r.call("POST", "/api/v1/test_helpers/users", map[string]any{"username": "ann"})["id"]
	return r.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": plan, "user_id": user})["id"].(string)
}

// GET /metrics: requests per route pattern, never per raw path; how far
// behind due work the schedulers are; the webhook outbox and delivery
// outcomes; the Go runtime.
func TestMetrics(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()
	r := start(t, node.Config{TestHelpers: true, SchedulerInterval: time.Hour})
	r.call("POST", "/api/v1/webhooks", map[string]any{"url": ok.URL})
	r.call("POST", "/api/v1/webhooks", map[string]any{"url": failing.URL})
	id := r.checkout()
	r.call("GET", "/api/v1/memberships/"+id, nil)
	r.call("GET", "/api/v1/memberships/"+id, nil)
	r.do("GET", "/api/v1/memberships/mem_00000000000000", "", nil)
	r.do("GET", "/no/such/page/"+id, "", nil)

	// The company's clock jumps 31 days without the work falling due being
	// done (as if every scheduler were down): the renewal is a day late.
	ctx := context.Background()
	err := r.Service.Store().Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.LockCompany(ctx, r.company)
		if err != nil {
			return err
		}
		c.ClockOffset = 31 * 24 * time.Hour
		return tx.UpdateCompany(ctx, &c)
	})
	if err != nil {
		t.Fatal(err)
	}

	var text string
	eventually(t, 10*time.Second, "a delivery succeeded and one failed", func() bool {
		text = r.scrape(r.base + "/metrics")
		_, succeeded := metricValue(text, `memberd_webhook_attempts_total{outcome="succeeded"}`)
		_, retried := metricValue(text, `memberd_webhook_attempts_total{outcome="retried"}`)
		return succeeded && retried
	})
	for series, want := range map[string]float64{
		`memberd_http_requests_total{route="GET /api/v1/memberships/{id}",code="200"}`:                        2,
		`memberd_http_requests_total{route="GET /api/v1/memberships/{id}",code="404"}`:                        1,
		`memberd_http_requests_total{route="unmatched",code="404"}`:                                           1,
		`memberd_http_requests_total{route="POST /api/v1/test_helpers/checkouts",code="200"}`:                 1,
		`memberd_http_request_duration_seconds_count{route="POST /api/v1/test_helpers/checkouts"}`:            1,
		`memberd_http_request_duration_seconds_bucket{route="POST /api/v1/test_helpers/checkouts",le="+Inf"}`: 1,
		`memberd_http_requests_in_flight`:                                                                     1, // the scrape
	} {
		if got, _ := metricValue(text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if lag, _ := metricValue(text, "memberd_scheduler_lag_seconds"); lag < 24*3600 {
		t.Errorf("scheduler lag %v s, want at least a day", lag)
	}
	if queued, _ := metricValue(text, "memberd_webhook_outbox_queued"); queued < 1 {
		t.Errorf("outbox %v: the failing endpoint's deliveries wait for their retries", queued)
	}
	for _, series := range []string{"go_goroutines", "memberd_webhook_attempt_duration_seconds_count", "process_start_time_seconds"} {
		if _, ok := metricValue(text, series); !ok {
			t.Errorf("no %s in\n%s", series, text)
		}
	}
	if ids := regexp.MustCompile(`\{[^}]*(mem|biz|pay|user)_[0-9A-Za-z]+`).FindString(text); ids != "" {
		t.Errorf("a raw path in a label: %s", ids)
	}
}

// With --metrics-addr, /metrics is served there only.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	r := start(t, node.Config{MetricsAddr: "127.0.0.1:0"})
	var url string
	eventually(t, 5*time.Second, "the metrics listener", func() bool {
		for _, l := range strings.Split(r.log.String(), "\n") {
			var line struct{ Msg, URL string }
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "metrics listening" {
				url = line.URL
			}
		}
		return url != ""
	})
	r.do("GET", "/api/v1/companies/"+r.company, "", nil)
	if v, _ := metricValue(r.scrape(url), `memberd_http_requests_total{route="GET /api/v1/companies/{id}",code="200"}`); v != 1 {
		t.Errorf("the API's request is not counted on the metrics address")
	}
	if status, _, _ := r.do("GET", "/metrics", "", nil); status != 404 {
		t.Errorf("GET /metrics on the API's port: %d, want 404", status)
	}
}
