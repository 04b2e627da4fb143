package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/service"
)

// TestBrowserScreenshots writes the README's screenshots of the main pages,
// with two months of demo-like history, when MEMBERD_SCREENSHOTS names a
// directory:
//
//	MEMBERD_SCREENSHOTS=$PWD/docs go test ./dashboard -run Screenshots
func TestBrowserScreenshots(t *testing.T) {
	dir := os.Getenv("MEMBERD_SCREENSHOTS")
	if dir == "" {
		t.Skip("set MEMBERD_SCREENSHOTS to a directory to write the screenshots")
	}
	e := newEnv(t)
	story := seedShowcase(t, e)
	b := newBrowser(t, e.Server.URL)
	b.signIn(e.Key)

	shoot := func(name string, full bool) {
		t.Helper()
		shot := chromedp.CaptureScreenshot() // what the screen shows
		if full {
			shot = chromedp.FullScreenshot(100) // the whole page, as PNG
		}
		png, err := chromedp.Run(b.ctx, shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.open("/", "#charges-chart")
	shoot("dashboard-overview.png", true)
	b.open("/memberships?status=active&status=past_due&status=canceling&status=trialing", "#memberships")
	shoot("dashboard-memberships.png", true)
	b.open("/memberships/"+story, "#timeline")
	shoot("dashboard-membership.png", true)
	b.open("/test/clock", "#move-day")
	b.submit("#move-day", "until=", "#last-move")
	shoot("dashboard-clock.png", true)
	hook, retried := seedWebhooks(t, e)
	b.open("/webhooks", "#endpoints")
	shoot("dashboard-webhooks.png", true)
	b.open("/webhooks/"+hook, "#deliveries")
	shoot("dashboard-webhook.png", true)
	b.open("/webhooks/"+hook+"/deliveries/"+retried, "#attempt-2")
	shoot("dashboard-delivery.png", true)
	b.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open("/memberships?q=maya", "#memberships")
	shoot("dashboard-phone.png", false)
}

// seedWebhooks gives the showcase three endpoints: the app's, whose first
// attempt fails now and then and is retried; a v2 one that always fails;
// and a disabled v5 one. Then four days pass on the company clock, and
// seconds of real time for the retries. It returns the app's endpoint and
// one of its deliveries that took two attempts.
func seedWebhooks(t *testing.T, e *env) (hook, retried string) {
	t.Helper()
	ctx := context.Background()
	app := newReceiver(t, func(n int, repeat bool) (int, string) {
		if !repeat && n%4 == 1 {
			return http.StatusServiceUnavailable, `{"error":"database is locked, try again"}`
		}
		return http.StatusOK, `{"received":true}`
	})
	legacy := newReceiver(t, answer(http.StatusInternalServerError, "Internal Server Error"))
	create := func(p service.WebhookParams) string {
		t.Helper()
		w, err := e.Service.CreateWebhook(ctx, e.Company, p)
		if err != nil {
			t.Fatal(err)
		}
		return w.ID
	}
	str := func(s string) *string { return &s }
	off := false
	var fired []string
	for _, ev := range memberd.EmittedEvents {
		fired = append(fired, string(ev))
	}
	create(service.WebhookParams{URL: str("https://hooks.example.com/memberd/v5"), APIVersion: str("v5"), Enabled: &off, Events: fired})
	create(service.WebhookParams{URL: str(legacy.srv.URL + "/legacy/whop-v2"), APIVersion: str("v2"),
		Events: []string{"membership.activated", "membership.deactivated", "payment.succeeded", "payment.failed"}})
	hook = create(service.WebhookParams{URL: str(app.srv.URL + "/api/webhooks/whop"), Events: fired})
	e.dispatch()
	for range 4 {
		e.Advance(apitest.Day)
	}
	waitFor(t, "the first attempts", func() bool {
		return !slices.ContainsFunc(e.deliveries(hook), func(d memberd.Delivery) bool { return d.Attempts == 0 })
	})
	e.Clock.Add(10 * time.Second) // the retries fall due
	waitFor(t, "the retries", func() bool {
		return !slices.ContainsFunc(e.deliveries(hook), func(d memberd.Delivery) bool { return d.Status == memberd.DeliveryPending })
	})
	for _, d := range e.deliveries(hook) {
		if d.Attempts == 2 {
			retried = memberd.DeliveryID(d.Seq)
		}
	}
	if retried == "" {
		t.Fatal("no delivery was retried")
	}
	return hook, retried
}

// seedShowcase builds two months of a fitness company's history on the
// env's company: a purchase or three a day on six plans, cards that decline,
// cancellations and pauses, with the clock moving a day at a time. It
// returns the membership whose story the membership screenshot tells (a
// renewal that fails, is retried, and is paid with a new card).
func seedShowcase(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	svc, company := e.Service, e.Company
	must(e.Store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, company)
		if err != nil {
			return err
		}
		c.Title = "Demo Fitness Co."
		return tx.UpdateCompany(ctx, &c)
	}))
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	money := func(s string) *memberd.Money { m := memberd.MustMoney(s); return &m }
	yes, oneTime := true, string(memberd.PlanOneTime)
	product := func(title string, licensing bool) string {
		p, err := svc.CreateProduct(ctx, company, service.ProductParams{Title: &title, SoftwareLicensing: &licensing})
		must(err)
		return p.ID
	}
	plan := func(p service.PlanParams) string {
		pl, err := svc.CreatePlan(ctx, company, p)
		must(err)
		return pl.ID
	}
	pro, course, app := product("Pro Coaching", false), product("Strength Course", false), product("Tracker App", yes)
	plans := []string{
		plan(service.PlanParams{ProductID: &pro, Title: str("Monthly"), BillingPeriod: num(30), RenewalPrice: money("29")}),
		plan(service.PlanParams{ProductID: &pro, Title: str("Monthly, 14-day trial"), BillingPeriod: num(30), TrialDays: num(14), RenewalPrice: money("29")}),
		plan(service.PlanParams{ProductID: &app, Title: str("App license, monthly"), BillingPeriod: num(30), RenewalPrice: money("9.99")}),
		plan(service.PlanParams{ProductID: &pro, Title: str("Annual"), BillingPeriod: num(365), RenewalPrice: money("290")}),
		plan(service.PlanParams{ProductID: &course, Title: str("Lifetime access"), PlanType: &oneTime, InitialPrice: money("199")}),
		plan(service.PlanParams{ProductID: &course, Title: str("30-day pass"), PlanType: &oneTime, InitialPrice: money("49"), ExpirationDays: num(30)}),
	}
	first := []string{"amelia", "noah", "sofia", "liam", "maya", "oliver", "isla", "lucas", "zara", "ethan", "chloe", "mateo",
		"hana", "felix", "priya", "leo", "nora", "omar", "ivy", "kai"}
	last := []string{"hart", "silva", "okafor", "novak", "chen", "berg", "rossi", "kim", "dubois", "mensah"}
	var story string
	n := 0
	for day := range 60 {
		for range 1 + day*7%3 {
			name := first[n%len(first)] + "." + last[n/len(first)%len(last)]
			behavior := ""
			switch {
			case n%7 == 3:
				behavior = memberd.BehaviorDeclineRenewals
			case n%13 == 5:
				behavior = memberd.BehaviorDecline
			}
			id := e.buyFrom(company, name, plans[(n*5+day)%len(plans)], behavior)
			switch n % 17 {
			case 4:
				_, err := svc.Cancel(ctx, company, id, memberd.CancelParams{})
				must(ignoreConflict(err))
			case 9:
				_, err := svc.Pause(ctx, company, id, memberd.PauseParams{})
				must(ignoreConflict(err))
			case 14:
				_, err := svc.Cancel(ctx, company, id, memberd.CancelParams{Mode: memberd.CancelImmediate})
				must(ignoreConflict(err))
			}
			n++
		}
		switch day {
		case 4: // the story: monthly, with a card that declines renewals
			story = e.buyFrom(company, "maya.okoro", plans[0], memberd.BehaviorDeclineRenewals)
			_, err := svc.SetMetadata(ctx, company, story, json.RawMessage(`{"coach":"Rossi","goal":"marathon"}`))
			must(err)
		case 37: // her renewal failed on day 34: a new card, paid on the day-7 retry
			_, err := svc.CreatePaymentMethod(ctx, company, e.membership(story).UserID, memberd.BehaviorSucceed)
			must(err)
		}
		e.Advance(apitest.Day)
	}
	return story
}

// ignoreConflict drops state conflicts (pausing a one-time membership, say):
// the showcase acts on whatever was bought.
func ignoreConflict(err error) error {
	if memberd.ErrorKind(err) == memberd.KindInvalid {
		return nil
	}
	return err
}
