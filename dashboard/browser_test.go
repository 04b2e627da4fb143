package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/webhook"
)

// End-to-end tests in a real headless Chromium (Debian's chromium package),
// driven over the DevTools protocol with chromedp, with JavaScript turned off
// in the page: the dashboard has none and must work without it.
//
// They FAIL when Chromium is missing, so CI (scripts/test installs it) cannot
// pass without running them. MEMBERD_SKIP_BROWSER=1 skips them on a machine
// without Chromium; MEMBERD_CHROMIUM names another binary.

// browserTimeout bounds one test's whole browser session, so a hung browser
// stops the test.
const browserTimeout = 2 * time.Minute

// chromiumPath finds Chromium, or fails the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("MEMBERD_SKIP_BROWSER") != "" {
		t.Skip("MEMBERD_SKIP_BROWSER is set: the browser tests are skipped")
	}
	if p := os.Getenv("MEMBERD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed, and the end-to-end tests need it: install it " +
		"(apt-get install -y chromium; ./scripts/test does), name it with MEMBERD_CHROMIUM, " +
		"or set MEMBERD_SKIP_BROWSER=1 to skip these tests on this machine")
	return ""
}

// browser is one headless Chromium with one tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath(t)
	profile, err := os.MkdirTemp("", "memberd-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	alloc, stopAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	ctx, stopBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		stopBrowser()
		stopAlloc() // waits for the browser to exit
		os.RemoveAll(profile)
	})
	// The first Run starts the browser: no timeout on it (it would stop the
	// browser), then one bound for the rest of the test.
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})); err != nil {
		t.Fatalf("starting Chromium (%s): %v", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(cancel)
	return &browser{t: t, ctx: ctx, base: base}
}

// do runs actions, failing the test on an error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

func (b *browser) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

// open loads a path of the dashboard and waits for the element sel.
func (b *browser) open(path string, sel chromedp.CSS) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(sel))
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel chromedp.CSS) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

// count is how many elements match sel (0 if none).
func (b *browser) count(sel chromedp.CSS) int {
	b.t.Helper()
	nodes, err := chromedp.Run(b.ctx, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return len(nodes)
}

// submit clicks a form's button and waits for the page it leads to: one whose
// URL contains url and that has an element matching sel.
func (b *browser) submit(button chromedp.CSS, url string, sel chromedp.CSS) {
	b.t.Helper()
	b.do("click "+string(button), chromedp.Click(button))
	b.waitURL(url)
	b.do("wait for "+string(sel), chromedp.WaitVisible(sel))
}

func (b *browser) waitURL(part string) {
	b.t.Helper()
	for !strings.Contains(b.location(), part) {
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("the page never went to %q (at %s)", part, b.location())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (b *browser) signIn(key string) {
	b.t.Helper()
	b.open("/signin", "#api_key")
	b.do("type the key", chromedp.SendKeys(chromedp.CSS("#api_key"), key))
	// The header's clock is on signed-in pages only.
	b.submit(".signin button[type=submit]", b.base, "#company-now")
}

func (b *browser) want(sel chromedp.CSS, texts ...string) {
	b.t.Helper()
	got := b.text(sel)
	for _, s := range texts {
		if !strings.Contains(got, s) {
			b.t.Errorf("%s reads %q; want %q in it", sel, got, s)
		}
	}
}

func TestBrowserSignInFindAndPause(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	alice := e.buy("alice", f.Monthly, "")
	e.buy("bob", f.Monthly, "")
	e.buy("carol", f.Trial, "")
	b := newBrowser(t, e.Server.URL)

	b.signIn(e.Key)
	b.want("#main h1", "Overview")
	b.want(`#status-counts [data-status="active"]`, "2")

	b.open("/memberships", "#q")
	if n := b.count("#memberships tbody tr"); n != 3 {
		t.Fatalf("%d memberships listed, want 3", n)
	}
	b.do("search", chromedp.SendKeys(chromedp.CSS("#q"), "alice\r"))
	b.waitURL("q=alice")
	b.do("results", chromedp.WaitVisible(chromedp.CSS(`a[href="/memberships/`+alice+`"]`)))
	if n := b.count("#memberships tbody tr"); n != 1 {
		t.Fatalf("%d memberships found for alice, want 1", n)
	}
	b.submit(chromedp.CSS(`a[href="/memberships/`+alice+`"]`), "/memberships/"+alice, "#membership-status")
	b.want("#membership-status", "active")

	b.do("resume at", chromedp.SetValue(chromedp.CSS("#resumes_at"), "2026-05-01T09:00"))
	b.submit("#pause-form button[type=submit]", "/memberships/"+alice+"/pause", "#confirm-button")
	b.want("#confirm-what", "Collection resumes by itself at 2026-05-01 09:00 UTC.")
	if e.membership(alice).CollectionPaused {
		t.Fatal("paused before the confirmation")
	}
	b.submit("#confirm-button", "done=pause", "#page-notice")
	b.want("#page-notice", "Payment collection is paused.")
	b.want("#paused-tag", "payment collection paused")
	b.want("#membership-status", "active")
	if m := e.membership(alice); !m.CollectionPaused || m.ResumesAt == nil {
		t.Errorf("not paused: %+v", m)
	}
}

func TestBrowserClockMonthShowsTheRenewal(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	alice := e.buy("alice", f.Monthly, "")
	b := newBrowser(t, e.Server.URL)
	b.signIn(e.Key)

	b.open("/test/clock", "#move-month")
	b.want("#clock-now", "2026-03-01 09:00 UTC")
	b.submit("#move-month", "until=", "#last-move")
	b.want("#clock-now", "2026-03-31 09:00 UTC")
	b.want("#moved-events", "payment.succeeded", "Renewal of 10.00 USD paid", alice)

	b.submit(chromedp.CSS(`#moved-events a[href="/memberships/`+alice+`"]`), "/memberships/"+alice, "#timeline")
	b.want(`#timeline li[data-type="payment.succeeded"]`, "2026-03-31 09:00 UTC", "Renewal of 10.00 USD paid")
	b.want("#timeline li:last-child", "2026-03-01 09:00 UTC")
	b.want("#period-end", "2026-04-30 09:00 UTC")
}

func TestBrowserCheckout(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	b := newBrowser(t, e.Server.URL)
	b.signIn(e.Key)

	b.open("/test/checkout", "#checkout-form")
	b.do("fill the form",
		chromedp.SetValue(chromedp.CSS("#plan_id"), f.Trial),
		chromedp.SendKeys(chromedp.CSS("#username"), "zoe"),
		chromedp.SendKeys(chromedp.CSS("#email"), "zoe@example.com"),
		chromedp.SetValue(chromedp.CSS("#behavior"), memberd.BehaviorDeclineRenewals))
	b.submit("#checkout-form button[type=submit]", "done=checkout", "#page-notice")
	b.want("#page-notice", "Checked out.")
	b.want("#membership-status", "trialing")
	b.want("#fields-h + .fields", "zoe", "zoe@example.com")
	zoe, err := e.Service.User(t.Context(), "zoe")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := e.Service.MembershipCounts(t.Context(), memberd.MembershipFilter{CompanyID: e.Company, UserIDs: []string{zoe.ID}})
	if n[memberd.StatusTrialing] != 1 {
		t.Errorf("zoe's memberships: %v", n)
	}

	// A mistake is shown on the form, with what was typed.
	b.open("/test/checkout", "#checkout-form")
	b.do("fill the form", chromedp.SendKeys(chromedp.CSS("#username"), "not valid!"))
	b.submit("#checkout-form button[type=submit]", "/test/checkout", "#page-error")
	b.want("#page-error", "username must be 1 to 64 letters")
	if v, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#username"))); v != "not valid!" {
		t.Errorf("the form lost the username: %q", v)
	}
}

func TestBrowserForgedPostIsRefused(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	alice := e.buy("alice", f.Monthly, "")
	// Another site (another port) with a form that posts to the dashboard.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>Free prizes</title>
<form method="post" action="%s/memberships/%s/cancel">
<input type="hidden" name="confirm" value="yes">
<input type="hidden" name="cancellation_mode" value="immediate">
<input type="hidden" name="csrf" value="guessed">
<button id="claim" type="submit">Claim your prize</button></form>
<noscript><p id="noscript">Scripts are off.</p></noscript>`, e.Server.URL, alice)
	}))
	t.Cleanup(evil.Close)

	b := newBrowser(t, e.Server.URL)
	b.signIn(e.Key)
	// #noscript shows only when the page cannot run scripts: the tests
	// really browse without JavaScript.
	b.do("visit the other site", chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS("#noscript")))
	b.submit("#claim", "/memberships/"+alice+"/cancel", "#page-error")
	b.want("#page-error", "This form did not come from this dashboard")
	if m := e.membership(alice); m.Status != memberd.StatusActive {
		t.Fatalf("a forged post canceled the membership: %s", m.Status)
	}
}

func TestBrowserReadOnlyKeyIsRefused(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	alice := e.buy("alice", f.Monthly, "")
	readOnly := e.NewKey(e.Company, memberd.PermMemberBasicRead)
	want := e.CallKey(readOnly, "POST", "/api/v1/memberships/"+alice+"/pause", nil).Want(t, http.StatusForbidden).Str("error.message")

	b := newBrowser(t, e.Server.URL)
	b.signIn(readOnly)
	b.open("/memberships/"+alice, "#pause-form")
	b.want("#fields-h + .fields", "alice")
	b.submit("#pause-form button[type=submit]", "/memberships/"+alice+"/pause", "#page-error")
	b.want("#page-error", want)
	b.want("#membership-status", "active")
	if b.count("#paused-tag") != 0 || e.membership(alice).CollectionPaused {
		t.Error("a read-only key paused the membership")
	}
}

func TestBrowserWebhookDeliveryAndResend(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	rc := newReceiver(t, answer(http.StatusOK, `{"received":true}`))
	e.dispatch()
	b := newBrowser(t, e.Server.URL)
	b.signIn(e.Key)

	// An endpoint for the receiver, with the form's default events.
	b.open("/webhooks", "#create-form")
	b.want("#no-endpoints", "No endpoints yet")
	b.do("type the URL", chromedp.SendKeys(chromedp.CSS("#url"), rc.URL()))
	b.submit("#create-button", "/webhooks", "#webhook-secret")
	b.want("#page-notice", "The endpoint is created.")
	b.want("#secret-panel", "shown only this once")
	secret := strings.TrimSpace(b.text("#webhook-secret"))
	if !strings.HasPrefix(secret, "ws_") {
		t.Fatalf("the secret reads %q", secret)
	}
	id := strings.TrimSpace(b.text("h1 .mono"))
	if w := e.webhook(id); w.Secret != secret || !w.Enabled || w.URL != rc.URL() {
		t.Fatalf("endpoint %+v", w)
	}

	// A checkout makes events; the receiver gets them, signed with the secret shown.
	b.open("/test/checkout", "#checkout-form")
	b.do("fill the form", chromedp.SetValue(chromedp.CSS("#plan_id"), f.Monthly), chromedp.SendKeys(chromedp.CSS("#username"), "zoe"))
	b.submit("#checkout-form button[type=submit]", "done=checkout", "#page-notice")
	ds := e.attempted(id, 3)
	var activated memberd.Delivery
	for _, d := range ds {
		if d.Event.Type == memberd.EventMembershipActivated {
			activated = d
		}
	}
	msgID := activated.Event.ID
	first := rc.withID(msgID)
	if len(first) != 1 {
		t.Fatalf("the receiver got %s %d times", msgID, len(first))
	}
	if err := webhook.Verify(secret, first[0].Header, []byte(first[0].Body), e.Clock.Now()); err != nil {
		t.Fatalf("the delivery does not verify with the secret the page showed: %v", err)
	}

	// The endpoint's deliveries, one's attempt with its request and response.
	dlv := memberd.DeliveryID(activated.Seq)
	b.open("/webhooks/"+id, "#deliveries")
	if n := b.count("#deliveries tbody tr"); n != 3 {
		t.Fatalf("%d deliveries listed, want 3", n)
	}
	b.want(chromedp.CSS(`#deliveries tr[data-delivery="`+dlv+`"]`), "membership.activated", "succeeded", "HTTP 200")
	b.submit(chromedp.CSS(`a[href="/webhooks/`+id+`/deliveries/`+dlv+`"]`), "/deliveries/"+dlv, "#attempt-1")
	b.want("#delivery-status", "succeeded")
	b.want("#event-id", msgID)
	b.want("#attempt-1", "HTTP 200", "POST "+rc.URL(), "Webhook-Id", msgID, "Webhook-Signature", `{"received":true}`, " ms")
	b.want("#request-body", `"type": "membership.activated"`, `"id": "`+msgID+`"`)

	// Resend: the receiver gets the event a second time, same webhook-id, signed afresh.
	b.submit("#resend-button", "done=resend", "#page-notice")
	b.want("#page-notice", "Resent")
	b.want("#delivery-state", "resend of "+dlv)
	waitFor(t, "the event a second time", func() bool { return len(rc.withID(msgID)) == 2 })
	again := rc.withID(msgID)[1]
	if err := webhook.Verify(secret, again.Header, []byte(again.Body), e.Clock.Now()); err != nil || again.Body != first[0].Body {
		t.Errorf("the resend: %v\n%s\n%s", err, again.Body, first[0].Body)
	}
	waitFor(t, "the resend's attempt", func() bool { return e.deliveries(id)[0].Status == memberd.DeliverySucceeded })
	b.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#attempt-1")))
	b.want("#attempt-1", "HTTP 200", msgID)
	b.want("#delivery-status", "succeeded")
}

func TestBrowserPhoneWidth(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	rc := newReceiver(t, answer(http.StatusInternalServerError, `{"error": "a rather long error message from the receiving application, to wrap"}`))
	hook := e.Call("POST", "/api/v1/webhooks", map[string]any{"url": rc.URL() + "/with/a/rather/long/path/that/must/wrap/on/a/phone"}).Want(t, 200).Str("id")
	alice := e.buy("alice_with_a_rather_long_username", f.Monthly, "")
	e.dispatch()
	dlv := memberd.DeliveryID(e.attempted(hook, 3)[0].Seq)
	e.Advance(31 * 24 * time.Hour)
	b := newBrowser(t, e.Server.URL)
	const phoneWidth = 375
	b.do("phone viewport", chromedp.EmulateViewport(phoneWidth, 740, chromedp.EmulateMobile))
	b.signIn(e.Key)
	for _, path := range []string{"/", "/memberships", "/memberships/" + alice, "/test/clock", "/test/checkout",
		"/webhooks", "/webhooks/" + hook, "/webhooks/" + hook + "/deliveries/" + dlv} {
		b.open(path, "#main h1")
		if b.count("#page-error") != 0 {
			t.Errorf("%s: %s", path, b.text("#page-error"))
		}
		m, err := chromedp.Run(b.ctx, func(ctx context.Context, tg *chromedp.Target) (cdppage.GetLayoutMetricsResult, error) {
			return cdp.Call(ctx, tg, cdppage.GetLayoutMetrics, cdp.Empty{})
		})
		if err != nil {
			t.Fatal(err)
		}
		// A mobile browser widens its layout to fit a page too wide for it.
		if w := m.CSSContentSize.Width; w > phoneWidth {
			t.Errorf("%s is %.0f px wide on a %d px phone: it scrolls sideways", path, w, phoneWidth)
		}
	}
}
