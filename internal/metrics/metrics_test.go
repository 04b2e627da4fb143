package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Errorf("content type %q", ct)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestExposition(t *testing.T) {
	r := New()
	c := r.Counter("requests_total", "Requests\nserved.", "route", "code")
	h := r.Histogram("duration_seconds", `Latency \ of requests.`, []float64{0.1, 1}, "route")
	g := r.Gauge("depth", "Queued.")
	r.Gauge("unused", "Never set.", "x")
	queued := 0.0
	r.OnScrape(func(context.Context) { queued += 2; g.Set(queued) })

	c.Inc(`GET /a/{id}`, "200")
	c.Add(2, `GET /a/{id}`, "200")
	c.Inc(`say "hi"\`+"\n", "500")
	for _, v := range []float64{0.05, 0.1, 0.5, 3} {
		h.Observe(v, "GET /a/{id}")
	}
	want := `# HELP depth Queued.
# TYPE depth gauge
depth 2
# HELP duration_seconds Latency \\ of requests.
# TYPE duration_seconds histogram
duration_seconds_bucket{route="GET /a/{id}",le="0.1"} 2
duration_seconds_bucket{route="GET /a/{id}",le="1"} 3
duration_seconds_bucket{route="GET /a/{id}",le="+Inf"} 4
duration_seconds_sum{route="GET /a/{id}"} 3.65
duration_seconds_count{route="GET /a/{id}"} 4
# HELP requests_total Requests\nserved.
# TYPE requests_total counter
requests_total{route="GET /a/{id}",code="200"} 3
requests_total{route="say \"hi\"\\\n",code="500"} 1
`
	if got := scrape(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := scrape(t, r); !strings.Contains(got, "depth 4\n") {
		t.Errorf("collectors did not run again:\n%s", got)
	}
}

func TestConcurrentUpdatesAndScrapes(t *testing.T) {
	r := New()
	RegisterRuntime(r)
	c := r.Counter("n_total", "N.", "k")
	h := r.Histogram("h", "H.", []float64{1}, "k")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Inc(string(rune('a' + i%2)))
				h.Observe(0.5, "x")
			}
		})
		wg.Go(func() { scrape(t, r) })
	}
	wg.Wait()
	got := scrape(t, r)
	for _, line := range []string{`n_total{k="a"} 4000`, `n_total{k="b"} 4000`, `h_count{k="x"} 8000`, "# TYPE go_gc_cycles_total counter", "go_goroutines ", "go_info{version=\"go"} {
		if !strings.Contains(got, line) {
			t.Errorf("missing %q in\n%s", line, got)
		}
	}
}
