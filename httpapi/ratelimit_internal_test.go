package httpapi

import (
	"fmt"
	"testing"
	"time"
)

// The buckets kept are bounded: refilled ones are dropped first, all of
// them when a flood of keys leaves none refilled.
func TestLimiterForgetsBuckets(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(RateLimit{Rate: 1, Burst: 2}, func() time.Time { return now })
	for i := range maxBuckets {
		l.take(fmt.Sprint("key", i))
	}
	l.take("busy")
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after a flood, want 1", len(l.buckets))
	}
	for i := range maxBuckets - 1 {
		l.take(fmt.Sprint("key", i))
	}
	l.take("busy")
	now = now.Add(time.Second) // every bucket has refilled but busy's
	l.take("new")
	if _, ok := l.buckets["busy"]; !ok || len(l.buckets) != 2 {
		t.Errorf("%d buckets; busy kept: %v", len(l.buckets), ok)
	}
	l.take("busy") // the token of the second since
	if _, ok := l.take("busy"); ok {
		t.Error("busy's bucket was refilled by forgetting others")
	}
}
