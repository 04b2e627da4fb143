package dispatcher

import (
	"net/http"
	"testing"
	"time"
)

func TestDefaultScheduleSpansADayAndAHalf(t *testing.T) {
	var total time.Duration
	for _, w := range DefaultSchedule {
		total += w
	}
	if len(DefaultSchedule)+1 != 9 || total < 35*time.Hour || total > 36*time.Hour {
		t.Errorf("%d attempts over %s", len(DefaultSchedule)+1, total)
	}
	for i := 1; i < len(DefaultSchedule); i++ {
		if DefaultSchedule[i] <= DefaultSchedule[i-1] {
			t.Errorf("the schedule does not grow at %d", i)
		}
	}
}

func TestRetry(t *testing.T) {
	p := Policy{Schedule: DefaultSchedule, Jitter: 0.1, MaxRetryAfter: time.Hour}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		n          int
		retryAfter time.Duration
		spread     float64
		want       time.Duration
		ok         bool
	}{
		{1, 0, 0, 5 * time.Second, true},
		{1, 0, -1, 4500 * time.Millisecond, true},
		{1, 0, 1, 5500 * time.Millisecond, true},
		{2, 0, 0, time.Minute, true},
		{8, 0, 0, 18 * time.Hour, true},
		{9, 0, 0, 0, false}, // the ninth attempt was the last
		{0, 0, 0, 0, false},
		{1, 2 * time.Minute, 0, 2 * time.Minute, true},                // Retry-After longer than the schedule
		{3, 2 * time.Minute, 0, 5 * time.Minute, true},                // shorter: the schedule holds
		{1, 48 * time.Hour, 0, time.Hour, true},                       // capped
		{9, 2 * time.Minute, 0, 0, false},                             // no attempts left
		{2, 0, 0.123456789, time.Minute + 740*time.Millisecond, true}, // stored to the millisecond
	} {
		at, ok := p.Retry(c.n, c.retryAfter, now, c.spread)
		if ok != c.ok || (ok && at.Sub(now) != c.want) {
			t.Errorf("Retry(%d, %s, spread %v) = %s, %v; want %s, %v", c.n, c.retryAfter, c.spread, at.Sub(now), ok, c.want, c.ok)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:10:00 GMT": 10 * time.Minute,
		"Wed, 31 Dec 2025 23:00:00 GMT": 0, // in the past
		"99999999999999999999":          0, // not a number we take
	} {
		h := http.Header{}
		if v != "" {
			h.Set("Retry-After", v)
		}
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", v, got, want)
		}
	}
}
