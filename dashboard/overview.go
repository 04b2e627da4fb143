package dashboard

import (
	"fmt"
	"net/http"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// chartDays is how many days of the company clock the overview charts.
const chartDays = 30

// overviewView is the overview page's data. A part the key may not read
// holds the API's refusal instead.
type overviewView struct {
	Statuses     []statusChoice
	Total        int
	MRR          []service.MRR
	MRRDays      int
	ReadDenied   string
	Chart        chart
	Paid, Failed int
	ChartDenied  string
}

func (d *site) overview(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	v := overviewView{MRRDays: service.MRRDays}
	if err := requireRead(s); err != nil {
		_, v.ReadDenied = d.apiError(r, err)
	} else {
		counts, err := d.svc.MembershipCounts(ctx, memberd.MembershipFilter{CompanyID: s.key.CompanyID})
		if err != nil {
			return err
		}
		for _, st := range statusOrder {
			v.Statuses = append(v.Statuses, statusChoice{Status: st, Count: counts[st]})
			v.Total += counts[st]
		}
		if v.MRR, err = d.svc.MonthlyRecurringRevenue(ctx, s.key.CompanyID); err != nil {
			return err
		}
	}
	if err := s.key.Require(memberd.PermPaymentBasicRead); err != nil {
		_, v.ChartDenied = d.apiError(r, err)
	} else {
		days, err := d.svc.SubscriptionCharges(ctx, s.key.CompanyID, chartDays)
		if err != nil {
			return err
		}
		v.Chart = newChart(days)
		for _, day := range days {
			v.Paid += day.Paid
			v.Failed += day.Failed
		}
	}
	d.render(w, r, s, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Page: v})
	return nil
}

// chart is a stacked bar chart of charges per day, laid out for an SVG
// viewBox: paid at the bottom of each bar, failed on top.
type chart struct {
	Width, Height float64
	Left, Bottom  float64 // the plot's left edge and baseline
	AxisX, LabelY float64 // where the y axis's and the days' labels are
	Bars          []chartBar
	Ticks         []chartTick
	Days          []service.ChargeDay
}

type chartBar struct {
	X, W             float64
	PaidY, PaidH     float64
	FailedY, FailedH float64
	Label            string // the day, under every fifth bar
	LabelX           float64
	Title            string
}

type chartTick struct {
	Y, TextY float64
	Label    int
}

const (
	chartWidth  = 720
	chartHeight = 260
	chartLeft   = 40
	chartRight  = 10
	chartTop    = 12
	chartBottom = 36 // room for the day labels
)

func newChart(days []service.ChargeDay) chart {
	c := chart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Bottom: chartHeight - chartBottom, Days: days}
	c.AxisX, c.LabelY = chartLeft-6, c.Bottom+20
	most := 0
	for _, d := range days {
		most = max(most, d.Paid+d.Failed)
	}
	step := axisStep(most)
	top := step * ((most + step - 1) / step)
	top = max(top, step)
	plotH := c.Bottom - chartTop
	scale := plotH / float64(top)
	for n := 0; n <= top; n += step {
		y := c.Bottom - float64(n)*scale
		c.Ticks = append(c.Ticks, chartTick{Y: y, TextY: y + 4, Label: n})
	}
	band := (chartWidth - chartLeft - chartRight) / float64(len(days))
	for i, d := range days {
		b := chartBar{X: chartLeft + float64(i)*band + band*0.15, W: band * 0.7}
		b.PaidH = float64(d.Paid) * scale
		b.PaidY = c.Bottom - b.PaidH
		b.FailedH = float64(d.Failed) * scale
		b.FailedY = b.PaidY - b.FailedH
		b.Title = fmt.Sprintf("%s: %d paid, %d failed", d.Day.Format("Jan 2"), d.Paid, d.Failed)
		if (len(days)-1-i)%5 == 0 {
			b.Label, b.LabelX = d.Day.Format("Jan 2"), b.X+b.W/2
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// axisStep is the spacing of the y axis's ticks: 1, 2 or 5 times a power of
// ten, so that about four ticks cover most.
func axisStep(most int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p*4 >= most {
				return m * p
			}
		}
	}
}
