package dashboard

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

func TestFormatMoney(t *testing.T) {
	for _, tc := range []struct {
		amount   string
		currency memberd.Currency
		want     string
	}{
		{"0", "usd", "0.00 USD"},
		{"29", "usd", "29.00 USD"},
		{"1581.905", "usd", "1,581.91 USD"},
		{"1234567.5", "eur", "1,234,567.50 EUR"},
		{"999", "jpy", "999 JPY"},
		{"1000", "jpy", "1,000 JPY"},
		{"0.12345678", "btc", "0.12345678 BTC"},
		{"12.3456", "kwd", "12.346 KWD"},
		{"5", "", "free"},
	} {
		if got := formatMoney(memberd.MustMoney(tc.amount), tc.currency); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestStatusOrderHasEveryStatus(t *testing.T) {
	if len(statusOrder) != len(memberd.Statuses) {
		t.Fatalf("%d statuses in order, %d known", len(statusOrder), len(memberd.Statuses))
	}
	for _, st := range memberd.Statuses {
		if !slices.Contains(statusOrder, st) {
			t.Errorf("%s is not shown", st)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]string{
		"/memberships?q=a": "/memberships?q=a",
		"/":                "/",
		"":                 "/",
		"//evil.example":   "/",
		`/\evil.example`:   "/",
		"https://evil/":    "/",
		"memberships":      "/",
		"javascript:x":     "/",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestChartLayout(t *testing.T) {
	for most, step := range map[int]int{0: 1, 1: 1, 4: 1, 5: 2, 8: 2, 9: 5, 20: 5, 21: 10, 400: 100, 401: 200} {
		if got := axisStep(most); got != step {
			t.Errorf("axisStep(%d) = %d, want %d", most, got, step)
		}
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	days := make([]service.ChargeDay, 30)
	for i := range days {
		days[i].Day = day.AddDate(0, 0, i)
	}
	days[29].Paid, days[29].Failed = 6, 3 // the tallest bar reaches the top tick
	days[0].Paid = 3
	c := newChart(days)
	top := c.Ticks[len(c.Ticks)-1]
	if top.Label != 10 || len(c.Bars) != 30 {
		t.Fatalf("ticks %+v, %d bars", c.Ticks, len(c.Bars))
	}
	last, first := c.Bars[29], c.Bars[0]
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.01 }
	if h := c.Bottom - top.Y; !near(last.PaidH+last.FailedH, h*9/10) || !near(first.PaidH, h*3/10) || first.FailedH != 0 {
		t.Errorf("bar heights %+v %+v for a plot %.1f high", first, last, h)
	}
	if !near(last.FailedY+last.FailedH, last.PaidY) || !near(last.PaidY+last.PaidH, c.Bottom) {
		t.Errorf("the bar is not stacked on the baseline: %+v", last)
	}
	if last.Label != "Mar 30" || c.Bars[24].Label != "Mar 25" || c.Bars[23].Label != "" {
		t.Errorf("labels %q %q %q", last.Label, c.Bars[24].Label, c.Bars[23].Label)
	}
	if last.X+last.W > c.Width {
		t.Errorf("the last bar leaves the chart")
	}
}
