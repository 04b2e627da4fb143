package dispatcher

import (
	"net/http"
	"strconv"
	"time"
)

// DefaultSchedule is the wait before each retry: a delivery is attempted at
// once, then again 5 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h and 18 h after
// each failure (9 attempts over about 35.6 hours, a day and a half), each
// wait jittered by up to ±10%.
var DefaultSchedule = []time.Duration{
	5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 18 * time.Hour,
}

// Policy decides when a failed delivery is tried again.
type Policy struct {
	// Schedule[i] is the wait after the (i+1)th failed attempt; there are
	// len(Schedule)+1 attempts in all.
	Schedule []time.Duration
	// Jitter spreads each wait by up to ±Jitter of itself, so endpoints
	// coming back are not hit by every retry at once.
	Jitter float64
	// MaxRetryAfter caps how long a Retry-After answer can hold a retry.
	MaxRetryAfter time.Duration
}

// Retry returns when to try again after failed attempt n (1 for the first),
// waiting at least retryAfter; ok is false when n was the last attempt.
// spread, in [-1, 1], picks the jitter.
func (p Policy) Retry(n int, retryAfter time.Duration, now time.Time, spread float64) (time.Time, bool) {
	if n < 1 || n > len(p.Schedule) {
		return time.Time{}, false
	}
	wait := p.Schedule[n-1]
	wait += time.Duration(float64(wait) * p.Jitter * spread)
	wait = max(wait, min(retryAfter, p.MaxRetryAfter))
	return now.Add(wait).Truncate(time.Millisecond), true // as stored
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(min(max(s, 0), 1<<31)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
