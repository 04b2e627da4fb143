package dashboard_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/dispatcher"
)

// received is a request a receiver got.
type received struct {
	Header http.Header
	Body   string
}

// receiver is a webhook endpoint on 127.0.0.1 that keeps every request and
// answers with reply's status and body.
type receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   []received
	reply reply
}

// reply answers the nth request (from 0); repeat says whether an earlier
// one carried the same webhook-id.
type reply func(n int, repeat bool) (int, string)

func newReceiver(t *testing.T, answer reply) *receiver {
	rc := &receiver{reply: answer}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		n, repeat := len(rc.got), slices.ContainsFunc(rc.got, func(g received) bool { return g.Header.Get("webhook-id") == id })
		rc.got = append(rc.got, received{r.Header.Clone(), string(body)})
		rc.mu.Unlock()
		status, text := rc.reply(n, repeat)
		w.WriteHeader(status)
		io.WriteString(w, text)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// answer answers every request with status and body.
func answer(status int, body string) reply {
	return func(int, bool) (int, string) { return status, body }
}

func (rc *receiver) URL() string { return rc.srv.URL + "/hooks" }

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// withID are the requests that carried webhook-id id.
func (rc *receiver) withID(id string) []received {
	var out []received
	for _, r := range rc.requests() {
		if r.Header.Get("webhook-id") == id {
			out = append(out, r)
		}
	}
	return out
}

// dispatch delivers the env's webhooks until the end of the test, on the
// env's real clock (held still: retries fall due only when it moves).
func (e *env) dispatch() {
	stop := dispatcher.New(dispatcher.Config{Store: e.Store, Now: e.Clock.Now, Formats: e.Service.WebhookFormats(),
		Poll: 5 * time.Millisecond, AllowPrivate: true, Logger: slog.New(slog.DiscardHandler)}).Start()
	e.t.Cleanup(stop)
}

// waitFor polls cond until it holds; the test fails after 15 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// webhook reads an endpoint through the service (with its secret).
func (e *env) webhook(id string) memberd.Webhook {
	e.t.Helper()
	w, err := e.Service.Webhook(e.t.Context(), e.Company, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// deliveries lists an endpoint's deliveries through the service, newest first.
func (e *env) deliveries(hook string) []memberd.Delivery {
	e.t.Helper()
	page, err := e.Service.ListDeliveries(e.t.Context(), e.Company, memberd.DeliveryFilter{WebhookID: hook},
		memberd.PageRequest{First: memberd.MaxPageSize, Desc: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Items
}

// attempted waits until every delivery of hook has had an attempt.
func (e *env) attempted(hook string, n int) []memberd.Delivery {
	e.t.Helper()
	var ds []memberd.Delivery
	waitFor(e.t, "attempts", func() bool {
		ds = e.deliveries(hook)
		for _, d := range ds {
			if d.Attempts == 0 {
				return false
			}
		}
		return len(ds) == n
	})
	return ds
}

var (
	secretField = regexp.MustCompile(`<code id="webhook-secret"[^>]*>([^<]+)</code>`)
	webhookID   = regexp.MustCompile(`<h1>Endpoint <span class="mono">(hook_[A-Za-z0-9]+)</span>`)
)

// createHook creates an endpoint with the dashboard's form and returns its
// id and the secret the answer shows.
func (c *client) createHook(form url.Values) (id, secret string) {
	c.e.t.Helper()
	c.get("/webhooks")
	p := c.post("/webhooks", form).want(c.e.t, 200, "The endpoint is created.", "Copy it now: it is shown only this once.")
	id, secret = match(c.e.t, webhookID, p), match(c.e.t, secretField, p)
	return id, secret
}

func match(t *testing.T, re *regexp.Regexp, p page) string {
	t.Helper()
	m := re.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("the page has no %s\n%s", re, p.Body)
	}
	return html.UnescapeString(m[1])
}

// confirmHook posts an endpoint's action as a person would.
func (c *client) confirmHook(id, action string, form url.Values) page {
	c.e.t.Helper()
	return c.confirmAt("/webhooks/"+id, action, form)
}

func TestWebhookCreateShowsTheSecretOnce(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn(e.Key)
	// The form's defaults: the events memberd fires, v1, enabled.
	p := c.get("/webhooks").want(t, 200, "No endpoints yet", `value="v1" checked`, `name="enabled" checked`)
	for _, ev := range memberd.WebhookEvents {
		checked := fmt.Sprintf(`value="%s" checked>`, ev)
		if fired := slices.Contains(memberd.EmittedEvents, ev); p.has(checked) != fired {
			t.Errorf("%s checked: %v, want %v", ev, !fired, fired)
		}
	}

	id, secret := c.createHook(url.Values{"url": {"https://example.com/hooks"}, "api_version": {"v1"}, "enabled": {"on"},
		"events": {"membership.activated", "payment.succeeded"}})
	stored := e.webhook(id)
	if secret != stored.Secret || !strings.HasPrefix(secret, "ws_") {
		t.Fatalf("the page shows secret %q; the endpoint has %q", secret, stored.Secret)
	}
	if !stored.Enabled || stored.URL != "https://example.com/hooks" || stored.APIVersion != "v1" ||
		!slices.Equal(stored.Events, []memberd.EventType{"membership.activated", "payment.succeeded"}) {
		t.Errorf("stored %+v", stored)
	}
	// Never again: not on the list, not on the endpoint's page, not through the API.
	c.get("/webhooks").want(t, 200, "https://example.com/hooks", "2 events", "no attempts yet", `<span class="badge hook-enabled">enabled</span>`).lacks(t, secret)
	c.get("/webhooks/"+id).want(t, 200, "https://example.com/hooks", "<code>membership.activated</code>", "<code>payment.succeeded</code>").lacks(t, secret, "webhook-secret")
	if strings.Contains(string(e.Call("GET", "/api/v1/webhooks/"+id, nil).Want(t, 200).Body), secret) {
		t.Error("the API shows the secret again")
	}

	// The defaults as the form sends them; a disabled v2 endpoint of a product.
	f := e.Catalog()
	var fired []string
	for _, ev := range memberd.EmittedEvents {
		fired = append(fired, string(ev))
	}
	id, _ = c.createHook(url.Values{"url": {"http://localhost:3000/a"}, "events": fired, "api_version": {"v1"}, "enabled": {"on"}})
	if w := e.webhook(id); !slices.Equal(w.Events, memberd.EmittedEvents) || w.ResourceID != e.Company {
		t.Errorf("defaults: %+v", w)
	}
	id, _ = c.createHook(url.Values{"url": {"http://localhost:3000/b"}, "api_version": {"v2"}, "resource_id": {f.Product}})
	if w := e.webhook(id); w.Enabled || w.APIVersion != "v2" || len(w.Events) != 0 || w.ResourceID != f.Product {
		t.Errorf("a disabled v2 product endpoint with no events: %+v", w)
	}
	c.get("/webhooks/"+id).want(t, 200, `<span class="badge hook-disabled">disabled</span>`, "Pro", `<dd id="webhook-events"><span class="muted">none</span>`)
}

func TestWebhookCreateErrorsAreTheAPIs(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn(e.Key)
	for _, tc := range []struct {
		form url.Values
		body map[string]any // the same in the API
	}{
		{url.Values{"url": {"ftp://example.com/x"}}, map[string]any{"url": "ftp://example.com/x"}},
		{url.Values{"url": {"https://example.com/x"}, "events": {"membership.exploded"}}, map[string]any{"url": "https://example.com/x", "events": []string{"membership.exploded"}}},
		{url.Values{"url": {"https://example.com/x"}, "api_version": {"v9"}}, map[string]any{"url": "https://example.com/x", "api_version": "v9"}},
		{url.Values{"url": {"https://example.com/x"}, "resource_id": {"prod_nope"}}, map[string]any{"url": "https://example.com/x", "resource_id": "prod_nope"}},
		{url.Values{"url": {""}}, map[string]any{}},
	} {
		api := e.Call("POST", "/api/v1/webhooks", tc.body)
		if api.Status < 400 {
			t.Fatalf("the API took %v", tc.body)
		}
		c.get("/webhooks")
		p := c.post("/webhooks", tc.form).want(t, api.Status, api.Str("error.message"), `role="alert"`)
		p.lacks(t, "webhook-secret")
		if u := tc.form.Get("url"); u != "" {
			p.want(t, api.Status, `value="`+u+`"`) // what was typed is kept
		}
	}
	if n := len(e.Call("GET", "/api/v1/webhooks?company_id="+e.Company, nil).Want(t, 200).Get("data").([]any)); n != 0 {
		t.Errorf("refused forms created %d endpoints", n)
	}
}

func TestWebhookDisableEnableRotateDelete(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn(e.Key)
	id, secret := c.createHook(url.Values{"url": {"https://example.com/hooks"}, "enabled": {"on"}})

	// Disabling asks first.
	c.get("/webhooks/" + id)
	c.post("/webhooks/"+id+"/disable", url.Values{}).want(t, 200, "Disable the endpoint?", "never sent to it", "Go back without changing anything")
	if !e.webhook(id).Enabled {
		t.Fatal("disabled before the confirmation")
	}
	p := c.confirmHook(id, "disable", url.Values{})
	if p.Status != http.StatusSeeOther || p.Location != "/webhooks/"+id+"?done=disable" {
		t.Fatalf("disable: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	c.get(p.Location).want(t, 200, "The endpoint is disabled.", `id="enable-form"`).lacks(t, `id="disable-form"`)
	if e.Call("GET", "/api/v1/webhooks/"+id, nil).Want(t, 200).Get("enabled") != false {
		t.Error("the API sees it enabled")
	}
	// Enabling acts at once.
	c.get("/webhooks/" + id)
	p = c.post("/webhooks/"+id+"/enable", url.Values{})
	if p.Status != http.StatusSeeOther || !e.webhook(id).Enabled {
		t.Fatalf("enable: %d\n%s", p.Status, p.Body)
	}
	c.get(p.Location).want(t, 200, "The endpoint is enabled.")

	// A new secret, shown once.
	c.get("/webhooks/" + id)
	c.post("/webhooks/"+id+"/rotate_secret", url.Values{}).want(t, 200, "Rotate the secret?", "stops working at once")
	if e.webhook(id).Secret != secret {
		t.Fatal("rotated before the confirmation")
	}
	p = c.confirmHook(id, "rotate_secret", url.Values{}).want(t, 200, "The secret is rotated.", "shown only this once")
	rotated := match(t, secretField, p)
	if rotated == secret || rotated != e.webhook(id).Secret {
		t.Fatalf("rotated to %q; stored %q; was %q", rotated, e.webhook(id).Secret, secret)
	}
	c.get("/webhooks/"+id).want(t, 200).lacks(t, rotated, secret)

	// Deleting asks first, then the endpoint and its log are gone.
	c.get("/webhooks/" + id)
	c.post("/webhooks/"+id+"/delete", url.Values{}).want(t, 200, "Delete the endpoint?", "cannot be undone", `class="danger"`)
	e.Call("GET", "/api/v1/webhooks/"+id, nil).Want(t, 200)
	p = c.confirmHook(id, "delete", url.Values{})
	if p.Status != http.StatusSeeOther || p.Location != "/webhooks?done=delete" {
		t.Fatalf("delete: %d %q", p.Status, p.Location)
	}
	c.get(p.Location).want(t, 200, "The endpoint and its delivery log are deleted.", "No endpoints yet")
	msg := e.Call("GET", "/api/v1/webhooks/"+id, nil).Want(t, 404).Str("error.message")
	c.get("/webhooks/"+id).want(t, 404, msg)
	c.post("/webhooks/"+id+"/enable", url.Values{}).want(t, 404, msg)
	c.post("/webhooks/"+id+"/explode", url.Values{}).want(t, 404, "No such action: explode.")
}

func TestWebhookDeliveriesAttemptsAndResend(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	// The first request fails; later ones succeed.
	rc := newReceiver(t, func(n int, _ bool) (int, string) {
		if n == 0 {
			return http.StatusInternalServerError, "boom: the app is down"
		}
		return http.StatusOK, `{"ok":true}`
	})
	c := e.client()
	c.signIn(e.Key)
	hook, _ := c.createHook(url.Values{"url": {rc.URL()}, "events": {"membership.activated"}, "enabled": {"on"}})
	alice := e.buy("alice", f.Monthly, "")
	e.dispatch()
	first := e.attempted(hook, 1)[0]
	dlv := memberd.DeliveryID(first.Seq)
	if first.Status != memberd.DeliveryPending || first.LastStatus != 500 {
		t.Fatalf("the first delivery: %+v", first)
	}
	ev := first.Event

	c.get("/webhooks").want(t, 200, `<span class="tag bad">failing</span>`, "the endpoint answered 500 Internal Server Error", "1 pending")
	c.get("/webhooks/"+hook).want(t, 200, `href="/webhooks/`+hook+`/deliveries/`+dlv+`"`, "<code>membership.activated</code>",
		`href="/memberships/`+alice+`"`, `<span class="badge delivery-pending">pending</span>`, "next <time", "Delivery and attempt times are <strong>real time</strong>")

	p := c.get("/webhooks/"+hook+"/deliveries/"+dlv).want(t, 200, "Attempt 1", `<span class="badge http-bad">HTTP 500</span>`,
		"boom: the app is down", "the endpoint answered 500 Internal Server Error", "<span class=\"strong\">POST</span> "+rc.URL(),
		"<dt>Webhook-Id</dt><dd>"+ev.ID+"</dd>", "<dt>Webhook-Signature</dt><dd>v1,", "<dt>User-Agent</dt><dd>memberd-webhooks/1</dd>",
		`&#34;type&#34;: &#34;membership.activated&#34;`, `&#34;id&#34;: &#34;`+ev.ID+`&#34;`, " ms</span>", ev.ID)
	// The body shown is the one sent.
	var sent string
	if got := rc.withID(ev.ID); len(got) == 1 {
		sent = got[0].Body
	}
	if sent == "" || !strings.Contains(p.Body, html.EscapeString(indent(t, sent))) {
		t.Errorf("the page's body is not the one sent:\n%s", sent)
	}

	// Resend: a new delivery of the same event, sent at once.
	p = c.post("/webhooks/"+hook+"/deliveries/"+dlv+"/resend", url.Values{})
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "?done=resend") {
		t.Fatalf("resend: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	waitFor(t, "the resent event", func() bool { return len(rc.withID(ev.ID)) == 2 })
	ds := e.attempted(hook, 2)
	resent := ds[0]
	if resent.ResendOf != first.Seq || p.Location != "/webhooks/"+hook+"/deliveries/"+memberd.DeliveryID(resent.Seq)+"?done=resend" {
		t.Fatalf("resent %+v, redirected to %s", resent, p.Location)
	}
	waitFor(t, "the resend's success", func() bool { return e.deliveries(hook)[0].Status == memberd.DeliverySucceeded })
	c.get(p.Location).want(t, 200, "Resent: this is a new delivery", "resend of <a href=\"/webhooks/"+hook+"/deliveries/"+dlv+"\"",
		`<span class="badge http-ok">HTTP 200</span>`, `{&#34;ok&#34;:true}`, "<dt>Webhook-Id</dt><dd>"+ev.ID+"</dd>")
	c.get("/webhooks").want(t, 200, `<span class="tag ok">delivering</span>`, "HTTP 200", "1 pending · 1 succeeded")

	// Filters.
	c.get("/webhooks/"+hook+"?status=succeeded").want(t, 200, memberd.DeliveryID(resent.Seq), "Clear filters").lacks(t, `data-delivery="`+dlv+`"`)
	c.get("/webhooks/"+hook+"?status=failed").want(t, 200, "No deliveries with these statuses")
	c.get("/webhooks/"+hook+"?status=lost").want(t, 400, `status: "lost" is not a delivery status`)
	msg := e.Call("GET", "/api/memberd/v1/webhooks/"+hook+"/deliveries/dlv_999", nil).Want(t, 404).Str("error.message")
	c.get("/webhooks/"+hook+"/deliveries/dlv_999").want(t, 404, msg)

	// Resending to a disabled endpoint is the API's 400, and sends nothing.
	c.confirmHook(hook, "disable", url.Values{})
	msg = e.Call("POST", "/api/memberd/v1/webhooks/"+hook+"/deliveries/"+dlv+"/resend", nil).Want(t, 400).Str("error.message")
	c.get("/webhooks/" + hook + "/deliveries/" + dlv)
	c.post("/webhooks/"+hook+"/deliveries/"+dlv+"/resend", url.Values{}).want(t, 400, msg, `role="alert"`, "Attempt 1")
	if n := len(e.deliveries(hook)); n != 2 {
		t.Errorf("%d deliveries after a refused resend", n)
	}
}

// indent is a JSON body as the delivery page indents it.
func indent(t *testing.T, body string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(body), "", "  "); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestWebhookRangeResend(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	rc := newReceiver(t, answer(http.StatusOK, ""))
	c := e.client()
	c.signIn(e.Key)
	hook, _ := c.createHook(url.Values{"url": {rc.URL()}, "events": {"payment.created", "payment.succeeded"}, "enabled": {"on"}})
	e.dispatch()
	e.buy("alice", f.Monthly, "")  // two events on 2026-03-01
	e.Advance(30 * 24 * time.Hour) // the renewal's two on 2026-03-31
	waitFor(t, "four deliveries", func() bool { return len(rc.requests()) == 4 })

	form := url.Values{"since": {"2026-03-15T00:00"}}
	c.get("/webhooks/" + hook)
	c.post("/webhooks/"+hook+"/resend", form).want(t, 200, "Send the events again?",
		"Every event sent to this endpoint from 2026-03-15 00:00 UTC until now (the company's clock) is sent again")
	p := c.confirmHook(hook, "resend", form)
	if p.Status != http.StatusSeeOther || p.Location != "/webhooks/"+hook+"?resent=2" {
		t.Fatalf("resend: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	c.get(p.Location).want(t, 200, "2 events are sent again, as new deliveries.")
	waitFor(t, "the renewal's events again", func() bool { return len(rc.requests()) == 6 })
	for _, r := range rc.requests()[4:] {
		if len(rc.withID(r.Header.Get("webhook-id"))) != 2 {
			t.Errorf("resent %s once", r.Header.Get("webhook-id"))
		}
	}
	// Only events whose latest delivery failed: none did.
	p = c.confirmHook(hook, "resend", url.Values{"since": {"2026-03-01T00:00"}, "statuses": {"failed"}})
	c.get(p.Location).want(t, 200, "nothing is sent again")

	// Errors are the API's, with the form as it was posted.
	msg := e.Call("POST", "/api/memberd/v1/webhooks/"+hook+"/resend", map[string]any{"since": "2026-04-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"}).
		Want(t, 400).Str("error.message")
	c.confirmHook(hook, "resend", url.Values{"since": {"2026-04-01T00:00"}, "until": {"2026-03-01T00:00"}, "statuses": {"succeeded"}}).
		want(t, 400, msg, `value="2026-04-01T00:00"`, `value="2026-03-01T00:00"`, `value="succeeded" checked>`)
	c.confirmHook(hook, "resend", url.Values{"since": {""}}).want(t, 400, "Missing required parameter: since.")
	c.confirmHook(hook, "resend", url.Values{"since": {"2026-03-01T00:00"}, "statuses": {"lost"}}).want(t, 400, `statuses: "lost" is not a delivery status`)
	if n := len(e.deliveries(hook)); n != 6 {
		t.Errorf("%d deliveries", n)
	}
}

func TestWebhookDeliveriesPaging(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	c := e.client()
	c.signIn(e.Key)
	hook, _ := c.createHook(url.Values{"url": {"https://example.com/hooks"}, "events": {"payment.created", "payment.succeeded", "membership.activated"}, "enabled": {"on"}})
	for i := range 10 {
		e.buy(fmt.Sprintf("user%02d", i), f.Monthly, "")
	}
	var want []string // newest first
	for _, d := range e.deliveries(hook) {
		want = append(want, memberd.DeliveryID(d.Seq))
	}
	shown := regexp.MustCompile(`data-delivery="(dlv_\d+)"`)
	var got []string
	p := c.get("/webhooks/" + hook + "?status=pending")
	for pages := 1; ; pages++ {
		for _, m := range shown.FindAllStringSubmatch(p.Body, -1) {
			got = append(got, m[1])
		}
		next := link(p, "next")
		if next == "" {
			if pages != 2 {
				t.Errorf("%d pages", pages)
			}
			break
		}
		if !strings.Contains(next, "status=pending") {
			t.Fatalf("the next link drops the filter: %s", next)
		}
		p = c.get(next).want(t, 200)
	}
	if len(want) != 30 || !slices.Equal(got, want) {
		t.Errorf("paged through %v, want %v", got, want)
	}
	prev := link(p, "prev")
	if prev == "" || len(shown.FindAllString(c.get(prev).want(t, 200).Body, -1)) != 25 {
		t.Errorf("paging back from the last page: %q", prev)
	}
}

func TestWebhookPagesNeedThePermission(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	hook := e.Call("POST", "/api/v1/webhooks", map[string]any{"url": "https://example.com/hooks"}).Want(t, 200).Str("id")
	e.buy("alice", f.Monthly, "")
	dlv := memberd.DeliveryID(e.deliveries(hook)[0].Seq)
	readOnly := e.NewKey(e.Company, memberd.PermMemberBasicRead)
	msg := e.CallKey(readOnly, "GET", "/api/v1/webhooks?company_id="+e.Company, nil).Want(t, http.StatusForbidden).Str("error.message")
	if !strings.Contains(msg, memberd.PermManageWebhook) {
		t.Fatalf("the API's message: %s", msg)
	}
	c := e.client()
	c.signIn(readOnly)
	for _, path := range []string{"/webhooks", "/webhooks/" + hook, "/webhooks/" + hook + "/deliveries/" + dlv} {
		c.get(path).want(t, http.StatusForbidden, msg).lacks(t, "example.com/hooks")
	}
	c.get("/memberships").want(t, 200) // it reads memberships
	c.post("/webhooks", url.Values{"url": {"https://example.com/other"}, "enabled": {"on"}}).want(t, http.StatusForbidden, msg)
	for _, action := range []string{"disable", "delete", "rotate_secret"} {
		c.post("/webhooks/"+hook+"/"+action, url.Values{"confirm": {"yes"}}).want(t, http.StatusForbidden, msg)
	}
	c.post("/webhooks/"+hook+"/resend", url.Values{"confirm": {"yes"}, "since": {"2026-01-01T00:00"}}).want(t, http.StatusForbidden, msg)
	c.post("/webhooks/"+hook+"/deliveries/"+dlv+"/resend", url.Values{}).want(t, http.StatusForbidden, msg)
	page, _ := e.Service.ListWebhooks(t.Context(), e.Company, memberd.PageRequest{First: 10})
	if w := e.webhook(hook); len(page.Items) != 1 || !w.Enabled || len(e.deliveries(hook)) != 3 {
		t.Errorf("a key without %s changed the webhooks: %d endpoints, %+v", memberd.PermManageWebhook, len(page.Items), w)
	}

	// The permission alone is enough, as in the API.
	hooksOnly := e.NewKey(e.Company, memberd.PermManageWebhook)
	c = e.client()
	c.signIn(hooksOnly)
	c.get("/webhooks/"+hook).want(t, 200, "example.com/hooks", dlv)
	c.createHook(url.Values{"url": {"https://example.com/other"}, "enabled": {"on"}})
}

func TestWebhookFormsAreGuarded(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	c := e.client()
	c.signIn(e.Key)
	hook, secret := c.createHook(url.Values{"url": {"https://example.com/hooks"}, "enabled": {"on"},
		"events": {"membership.activated", "payment.created", "payment.succeeded"}})
	e.buy("alice", f.Monthly, "")
	dlv := memberd.DeliveryID(e.deliveries(hook)[0].Seq)
	forged := []struct {
		token   string
		headers []string
	}{{"", nil}, {"forged", nil}, {c.token, []string{"Sec-Fetch-Site", "cross-site"}}}
	for _, tc := range forged {
		for path, form := range map[string]url.Values{
			"/webhooks":                                            {"url": {"https://evil.example/"}, "enabled": {"on"}},
			"/webhooks/" + hook + "/delete":                        {"confirm": {"yes"}},
			"/webhooks/" + hook + "/disable":                       {"confirm": {"yes"}},
			"/webhooks/" + hook + "/rotate_secret":                 {"confirm": {"yes"}},
			"/webhooks/" + hook + "/resend":                        {"confirm": {"yes"}, "since": {"2026-01-01T00:00"}},
			"/webhooks/" + hook + "/deliveries/" + dlv + "/resend": {},
		} {
			form.Set("csrf", tc.token)
			c.post(path, form, tc.headers...).want(t, http.StatusForbidden, "This form did not come from this dashboard").lacks(t, secret)
		}
	}
	page, _ := e.Service.ListWebhooks(t.Context(), e.Company, memberd.PageRequest{First: 10})
	if w := e.webhook(hook); len(page.Items) != 1 || !w.Enabled || w.Secret != secret || len(e.deliveries(hook)) != 3 {
		t.Errorf("forged posts changed the webhooks: %d endpoints, %+v", len(page.Items), w)
	}
}

func TestWebhookOfAnotherCompany(t *testing.T) {
	e := newEnv(t)
	other, otherKey := e.NewCompany("Other")
	hook := e.CallKey(otherKey, "POST", "/api/v1/webhooks", map[string]any{"url": "https://other.example/hooks"}).Want(t, 200).Str("id")
	msg := e.Call("GET", "/api/v1/webhooks/"+hook, nil).Want(t, 404).Str("error.message")
	c := e.client()
	c.signIn(e.Key)
	c.get("/webhooks").want(t, 200, "No endpoints yet").lacks(t, "other.example")
	c.get("/webhooks/"+hook).want(t, 404, msg)
	c.get("/webhooks/"+hook+"/deliveries/dlv_1").want(t, 404, msg)
	c.post("/webhooks/"+hook+"/delete", url.Values{"confirm": {"yes"}}).want(t, 404, msg)
	c.post("/webhooks/"+hook+"/deliveries/dlv_1/resend", url.Values{}).want(t, 404, msg)
	if _, err := e.Service.Webhook(t.Context(), other, hook); err != nil {
		t.Errorf("the other company's endpoint: %v", err)
	}
}
