package node_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/memberd/memberd/internal/node"
)

// BenchmarkIdempotencyKey measures what an Idempotency-Key costs: creating
// a product over real HTTP without a key (the baseline), with a fresh key
// (reserve, run, store: two more write transactions), and replaying a
// stored key, one request at a time, in the same run on the same database
// (MEMBERD_TEST_BACKEND chooses it). It reports each as a ratio to the
// baseline.
//
//	go test ./internal/node -run '^$' -bench IdempotencyKey -benchtime 2000x
func BenchmarkIdempotencyKey(b *testing.B) {
	r := start(b, node.Config{})
	r.do("POST", "/api/v1/products", `{"title":"Pro"}`, http.Header{"Idempotency-Key": {"replayed"}})
	run := func(header func(i int) http.Header) time.Duration {
		t0 := time.Now()
		for i := range b.N {
			if status, _, body := r.do("POST", "/api/v1/products", `{"title":"Pro"}`, header(i)); status != 200 {
				b.Fatalf("%d %s", status, body)
			}
		}
		return time.Since(t0) / time.Duration(b.N)
	}
	b.ResetTimer()
	base := run(func(int) http.Header { return nil })
	keyed := run(func(i int) http.Header { return http.Header{"Idempotency-Key": {fmt.Sprint("k", i)}} })
	replay := run(func(int) http.Header { return http.Header{"Idempotency-Key": {"replayed"}} })
	b.ReportMetric(float64(base.Microseconds()), "µs/plain")
	b.ReportMetric(float64(keyed)/float64(base), "keyed/plain")
	b.ReportMetric(float64(replay)/float64(base), "replay/plain")
}
