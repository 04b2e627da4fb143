package httpapi

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/memberd/memberd"
)

// RateLimit bounds the requests of each API key, per node: Burst at once,
// then Rate a second (a token bucket). A zero Rate is no limit.
type RateLimit struct {
	Rate  float64
	Burst int
}

// limiter holds a token bucket per API key, in memory.
type limiter struct {
	RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the buckets kept; full ones are dropped first (a new
// bucket starts full, so dropping one changes nothing).
const maxBuckets = 10_000

func newLimiter(l RateLimit, now func() time.Time) *limiter {
	l.Burst = max(l.Burst, 1)
	return &limiter{RateLimit: l, now: now, buckets: map[string]*bucket{}}
}

// take takes a token from key's bucket, or returns how long until one is
// there.
func (l *limiter) take(key string) (wait time.Duration, ok bool) {
	if l.Rate <= 0 {
		return 0, true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.buckets[key]
	if !found {
		if len(l.buckets) >= maxBuckets {
			l.dropFull(now)
		}
		b = &bucket{tokens: float64(l.Burst), at: now}
		l.buckets[key] = b
	}
	b.tokens = l.refill(b, now)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.Rate * float64(time.Second)), false
}

func (l *limiter) refill(b *bucket, now time.Time) float64 {
	return min(float64(l.Burst), b.tokens+now.Sub(b.at).Seconds()*l.Rate)
}

// dropFull forgets the buckets that have refilled, or every bucket when
// none has (keys in a flood all at once).
func (l *limiter) dropFull(now time.Time) {
	for k, b := range l.buckets {
		if l.refill(b, now) >= float64(l.Burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// rateLimited is the 429 of a key over its limit.
func (l *limiter) rateLimited(wait time.Duration) error {
	return retryAfter{memberd.Errorf(memberd.KindRateLimited, "", "",
		"Too many requests: this API key may make %g requests a second (bursts of %d). Retry after the Retry-After header's seconds.",
		l.Rate, l.Burst), wait}
}

// retryAfter is an error after which the client may try again once wait
// has passed; it is sent as the Retry-After header.
type retryAfter struct {
	err  *memberd.Error
	wait time.Duration
}

func (e retryAfter) Error() string { return e.err.Error() }
func (e retryAfter) Unwrap() error { return e.err }

// SetRetryAfter sets the Retry-After header (whole seconds, at least 1) of
// an error that says when to retry, and of every 429.
func SetRetryAfter(h http.Header, err error) {
	var ra retryAfter
	switch {
	case errors.As(err, &ra):
		h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(ra.wait.Seconds())))))
	case memberd.ErrorKind(err) == memberd.KindRateLimited && h.Get("Retry-After") == "":
		h.Set("Retry-After", "1")
	}
}
