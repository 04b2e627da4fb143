package dashboard_test

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
)

func TestSignInAndOut(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	// Every page sends a stranger to sign in, keeping where they were going.
	if p := c.get("/memberships?status=active"); p.Status != http.StatusSeeOther || p.Location != "/signin?next="+url.QueryEscape("/memberships?status=active") {
		t.Fatalf("signed out: %d %q", p.Status, p.Location)
	}
	c.get("/signin").want(t, 200, "API key")
	c.post("/signin", url.Values{"api_key": {"apik_wrong"}}).want(t, http.StatusUnauthorized, "Invalid or missing API key")
	// The sign-in form's token must match its cookie.
	c.post("/signin", url.Values{"api_key": {e.Key}, "csrf": {"forged"}}).want(t, http.StatusForbidden, "did not come from this dashboard")

	c.get("/signin?next=" + url.QueryEscape("/memberships?q=x"))
	p := c.post("/signin", url.Values{"api_key": {e.Key}, "next": {"/memberships?q=x"}})
	if p.Status != http.StatusSeeOther || p.Location != "/memberships?q=x" {
		t.Fatalf("sign in: %d %q", p.Status, p.Location)
	}
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: p.Header}).Cookies() {
		if ck.Name == "memberd_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.Path != "/" {
		t.Fatalf("session cookie %+v", session)
	}
	c.get("/").want(t, 200, "Overview", "Acme")
	if p := c.get("/signin"); p.Status != http.StatusSeeOther || p.Location != "/" {
		t.Errorf("signed in, /signin: %d %q", p.Status, p.Location)
	}

	if p := c.post("/signout", url.Values{}); p.Status != http.StatusSeeOther || p.Location != "/signin" {
		t.Fatalf("sign out: %d %q", p.Status, p.Location)
	}
	if p := c.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("after sign out: %d", p.Status)
	}
}

func TestSignInGoesNowhereElse(t *testing.T) {
	e := newEnv(t)
	for _, next := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", ""} {
		c := e.client()
		c.get("/signin")
		if p := c.post("/signin", url.Values{"api_key": {e.Key}, "next": {next}}); p.Location != "/" {
			t.Errorf("next %q: redirected to %q", next, p.Location)
		}
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	e := newEnv(t)
	get := httptest.NewRequest("GET", "https://memberd.example/signin", nil)
	rec := httptest.NewRecorder()
	e.API.ServeHTTP(rec, get)
	var token string
	for _, ck := range rec.Result().Cookies() {
		token = ck.Value
		if !ck.Secure {
			t.Errorf("cookie %s is not Secure over TLS", ck.Name)
		}
	}
	form := url.Values{"api_key": {e.Key}, "csrf": {token}}
	post := httptest.NewRequest("POST", "https://memberd.example/signin", strings.NewReader(form.Encode()))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(&http.Cookie{Name: "memberd_signin", Value: token})
	rec = httptest.NewRecorder()
	e.API.ServeHTTP(rec, post)
	cookies := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cookies) == 0 {
		t.Fatalf("sign in over TLS: %d %s", rec.Code, rec.Body)
	}
	for _, ck := range cookies {
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
			t.Errorf("cookie %+v", ck)
		}
	}
}

func TestPagesAreLockedDown(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.signIn(e.Key)
	p := c.get("/memberships").want(t, 200)
	for h, want := range map[string]string{
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"Content-Type":           "text/html; charset=utf-8",
	} {
		if got := p.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(p.Body, "<script") {
		t.Error("a page has a script")
	}
	if a := c.get("/assets/dashboard.css"); a.Status != 200 || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", a.Status, a.Header.Get("Content-Type"))
	}
	if a := c.get("/assets/nope.css"); a.Status != 404 {
		t.Errorf("missing asset: %d", a.Status)
	}
	// The API keeps its own answers next to the dashboard.
	if r := e.Call("GET", "/api/v1/nope", nil); r.Status != 404 || r.Str("error.type") != "not_found" {
		t.Errorf("API 404: %d %s", r.Status, r.Body)
	}
}

func TestForgedPostsChangeNothing(t *testing.T) {
	e, f, id, c := aliceSignedIn(t)
	c.get("/memberships/" + id)
	good := c.token

	other := e.client() // another session of the same key: another token
	other.signIn(e.Key)
	other.get("/memberships/" + id)
	if other.token == good {
		t.Fatal("two sessions share a CSRF token")
	}

	for name, tc := range map[string]struct {
		token   string
		headers []string
	}{
		"no token":                {"", nil},
		"a wrong token":           {"AAAA" + good[4:], nil},
		"another session's token": {other.token, nil},
		"a cross-site post":       {good, []string{"Sec-Fetch-Site", "cross-site"}},
		"another origin":          {good, []string{"Origin", "http://evil.example"}},
	} {
		form := url.Values{"confirm": {"yes"}, "cancellation_mode": {"immediate"}, "csrf": {tc.token}}
		c.post("/memberships/"+id+"/cancel", form, tc.headers...).want(t, http.StatusForbidden,
			"This form did not come from this dashboard, or it has expired. Nothing was changed")
		if m := e.membership(id); m.Status != memberd.StatusActive {
			t.Fatalf("%s: the membership is %s", name, m.Status)
		}
	}
	// The clock and checkout forms are guarded the same way.
	c.post("/test/clock", url.Values{"move": {"month"}, "csrf": {""}}).want(t, http.StatusForbidden)
	c.post("/test/checkout", url.Values{"plan_id": {f.Monthly}, "username": {"mallory"}, "csrf": {"x"}}).want(t, http.StatusForbidden)
	c.post("/signout", url.Values{"csrf": {"x"}}).want(t, http.StatusForbidden)
	if len(e.Events(id)) != 3 { // activated, payment created and succeeded at checkout
		t.Errorf("events %v", apitest.EventTypes(e.Events(id)))
	}
	// The real token works.
	if p := c.post("/memberships/"+id+"/cancel", url.Values{"confirm": {"yes"}, "cancellation_mode": {"immediate"}, "csrf": {good}}); p.Status != http.StatusSeeOther {
		t.Fatalf("genuine post: %d %s", p.Status, p.Body)
	}
}

func TestPermissionsAreTheAPIs(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	id := e.buy("alice", f.Monthly, "")
	readOnly := e.NewKey(e.Company, memberd.PermMemberBasicRead)
	c := e.client()
	c.signIn(readOnly)
	c.get("/").want(t, 200, "Memberships by status", "needs payment:basic:read")
	c.get("/memberships").want(t, 200, "alice")
	c.get("/memberships/"+id).want(t, 200, "alice", "needs payment:basic:read").lacks(t, "alice@example.com")

	for action, form := range map[string]url.Values{
		"pause":         {},
		"cancel":        {"cancellation_mode": {"immediate"}},
		"add_free_days": {"free_days": {"3"}},
		"metadata":      {"metadata": {`{"a": 1}`}},
	} {
		api := e.CallKey(readOnly, "POST", "/api/v1/memberships/"+id+"/"+action, nil)
		if action == "metadata" {
			api = e.CallKey(readOnly, "PATCH", "/api/v1/memberships/"+id, map[string]any{"metadata": map[string]any{"a": 1}})
		}
		api.Want(t, http.StatusForbidden)
		c.confirm(id, action, form).want(t, http.StatusForbidden, api.Str("error.message"))
	}
	if m := e.membership(id); m.Status != memberd.StatusActive || m.CollectionPaused || m.Metadata != nil {
		t.Errorf("a read-only key changed %+v", m)
	}

	// A key that cannot read memberships sees the API's refusal.
	none := e.NewKey(e.Company, memberd.PermPaymentBasicRead)
	c = e.client()
	c.signIn(none)
	msg := e.CallKey(none, "GET", "/api/v1/memberships/"+id, nil).Want(t, http.StatusForbidden).Str("error.message")
	c.get("/memberships/"+id).want(t, http.StatusForbidden, msg)
	c.get("/memberships").want(t, http.StatusForbidden, msg)
	c.get("/").want(t, 200, msg, "Renewals and failures")
}

func TestActionsConfirmFirst(t *testing.T) {
	e, _, id, c := aliceSignedIn(t)
	c.get("/memberships/" + id)

	// The first post only asks.
	c.post("/memberships/"+id+"/pause", url.Values{"resumes_at": {"2026-04-15T10:30"}}).want(t, 200,
		"Pause payment collection?", "Collection resumes by itself at 2026-04-15 10:30 UTC.", `name="resumes_at" value="2026-04-15T10:30"`)
	if e.membership(id).CollectionPaused {
		t.Fatal("paused before the confirmation")
	}
	p := c.confirm(id, "pause", url.Values{"resumes_at": {"2026-04-15T10:30"}})
	if p.Status != http.StatusSeeOther || p.Location != "/memberships/"+id+"?done=pause" {
		t.Fatalf("pause: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	m := e.membership(id)
	if !m.CollectionPaused || m.ResumesAt == nil || m.ResumesAt.Format("2006-01-02 15:04") != "2026-04-15 10:30" {
		t.Fatalf("pause: %+v", m)
	}
	c.get(p.Location).want(t, 200, "Payment collection is paused.", "payment collection paused", "Resume payment collection")

	steps := []struct {
		action string
		form   url.Values
		check  func(memberd.Membership) bool
	}{
		{"resume", url.Values{}, func(m memberd.Membership) bool { return !m.CollectionPaused }},
		{"cancel", url.Values{"cancellation_mode": {"at_period_end"}}, func(m memberd.Membership) bool { return m.Status == memberd.StatusCanceling }},
		{"uncancel", url.Values{}, func(m memberd.Membership) bool { return m.Status == memberd.StatusActive && !m.CancelAtPeriodEnd }},
		{"add_free_days", url.Values{"free_days": {"5"}}, func(m memberd.Membership) bool {
			return m.PeriodEnd.Equal(apitest.Start.Add(35 * apitest.Day))
		}},
		{"metadata", url.Values{"metadata": {"{\n  \"tier\": \"gold\"\n}"}}, func(m memberd.Membership) bool { return string(m.Metadata) == `{"tier":"gold"}` }},
		{"metadata", url.Values{"metadata": {""}}, func(m memberd.Membership) bool { return m.Metadata == nil }},
		{"cancel", url.Values{"cancellation_mode": {"immediate"}}, func(m memberd.Membership) bool { return m.Status == memberd.StatusCanceled }},
	}
	for _, s := range steps {
		p := c.confirm(id, s.action, s.form)
		if p.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", s.action, p.Status, p.Body)
		}
		c.get(p.Location).want(t, 200, `role="status"`)
		if m := e.membership(id); !s.check(m) {
			t.Fatalf("after %s %v: %+v", s.action, s.form, m)
		}
	}
	c.get("/memberships/"+id+"?done=uncancel").want(t, 200, "The cancellation is undone.")
}

func TestActionErrorsAreTheAPIs(t *testing.T) {
	e, f, id, c := aliceSignedIn(t)
	lifetime := e.buy("bob", f.Lifetime, "")
	api := func(method, path string, body any) string {
		t.Helper()
		return e.Call(method, path, body).Want(t, 400).Str("error.message")
	}
	for _, tc := range []struct {
		id, action string
		form       url.Values
		message    string
	}{
		{id, "add_free_days", url.Values{"free_days": {"5000"}}, api("POST", "/api/v1/memberships/"+id+"/add_free_days", map[string]any{"free_days": 5000})},
		{id, "add_free_days", url.Values{"free_days": {"lots"}}, "free_days must be an integer from 1 to 1095."},
		{id, "metadata", url.Values{"metadata": {`{"a": `}}, "metadata must be a JSON object or null."},
		{id, "metadata", url.Values{"metadata": {`[1, 2]`}}, api("PATCH", "/api/v1/memberships/"+id, map[string]any{"metadata": []int{1, 2}})},
		{id, "pause", url.Values{"resumes_at": {"2026-02-01T00:00"}}, api("POST", "/api/v1/memberships/"+id+"/pause", map[string]any{"resumes_at": "2026-02-01T00:00:00Z"})},
		{id, "pause", url.Values{"resumes_at": {"next tuesday"}}, "resumes_at must be a date and time such as 2026-05-01T09:00 (UTC)."},
		{id, "cancel", url.Values{"cancellation_mode": {"later"}}, api("POST", "/api/v1/memberships/"+id+"/cancel", map[string]any{"cancellation_mode": "later"})},
		{lifetime, "pause", url.Values{}, api("POST", "/api/v1/memberships/"+lifetime+"/pause", nil)},
		{lifetime, "cancel", url.Values{"cancellation_mode": {"at_period_end"}}, api("POST", "/api/v1/memberships/"+lifetime+"/cancel", nil)},
	} {
		p := c.confirm(tc.id, tc.action, tc.form).want(t, http.StatusBadRequest, tc.message)
		if !strings.Contains(p.Body, `role="alert"`) {
			t.Errorf("%s %v: the error is not an alert", tc.action, tc.form)
		}
		if tc.action == "metadata" { // what was typed is kept
			p.want(t, 400, tc.form.Get("metadata"))
		}
	}
	if m := e.membership(id); m.CollectionPaused || m.Metadata != nil || m.Status != memberd.StatusActive || !m.PeriodEnd.Equal(apitest.Start.Add(30*apitest.Day)) {
		t.Errorf("errors changed the membership: %+v", m)
	}
	c.get("/memberships/mem_nope").want(t, 404, `Membership "mem_nope" was not found`)
	c.post("/memberships/"+id+"/explode", url.Values{}).want(t, 404, "No such action: explode.")
	c.post("/memberships/mem_nope/resume", url.Values{"confirm": {"yes"}}).want(t, 404, `Membership "mem_nope" was not found`)
}

// listed returns the ids of the memberships a list page shows, in order.
func listed(p page) []string {
	var ids []string
	for _, part := range strings.Split(p.Body, `<td data-label="Membership"><a href="/memberships/`)[1:] {
		ids = append(ids, part[:strings.Index(part, `"`)])
	}
	return ids
}

func TestMembershipsListSearchAndFilters(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	alice := e.buy("alice", f.Monthly, "")
	bob := e.buy("bob_smith", f.Trial, "")
	carol := e.buy("carol", f.Lifetime, "")
	dave := e.buy("dave", f.Monthly, memberd.BehaviorDecline) // drafted
	e.otherCompanyMembership("alicia")
	c := e.client()
	c.signIn(e.Key)

	c.get("/memberships").want(t, 200, "alice", "alice@example.com", `data-status="active">1<`, `data-status="trialing">1<`,
		`data-status="completed">1<`, `data-status="drafted">1<`, "how many match the other filters: 4").lacks(t, "alicia")
	for q, want := range map[string][]string{
		"alice":     {alice},
		"ALI":       {alice},
		"b_s":       {bob}, // _ is a character, not a wildcard
		"%":         nil,
		"example":   {dave, carol, bob, alice}, // emails
		alice:       {alice},
		"mem_":      nil, // ids match whole
		"nobody":    nil,
		"@example.": {dave, carol, bob, alice},
	} {
		p := c.get("/memberships?q="+url.QueryEscape(q)).want(t, 200)
		if got := listed(p); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
	user := e.membership(carol).UserID
	for query, want := range map[string]string{
		"status=active":                  alice,
		"status=trialing&status=drafted": dave + "," + bob,
		"plan=" + f.Monthly:              dave + "," + alice,
		"product=" + f.Product:           dave + "," + carol + "," + bob + "," + alice,
		"user=" + user:                   carol,
		"plan=" + f.Monthly + "&q=dave":  dave,
		"q=" + user:                      carol,
		"status=active&plan=" + f.Trial:  "",
	} {
		if got := strings.Join(listed(c.get("/memberships?"+query).want(t, 200)), ","); got != want {
			t.Errorf("%s: %s, want %s", query, got, want)
		}
	}
	// Counts follow the other filters, not the status filter.
	c.get("/memberships?plan="+f.Monthly+"&status=active").want(t, 200, `data-status="active">1<`, `data-status="drafted">1<`,
		`data-status="trialing">0<`, "Clear filters")
	c.get("/memberships?status=bogus").want(t, 400, "status must be one of trialing, active")
	c.get("/memberships?after=garbage").want(t, 400, "after is not a valid cursor.")

	// A key without member:email:read sees no emails and cannot search by them.
	noEmail := e.NewKey(e.Company, memberd.PermMemberBasicRead)
	c2 := e.client()
	c2.signIn(noEmail)
	c2.get("/memberships").want(t, 200, "alice").lacks(t, "alice@example.com")
	if got := listed(c2.get("/memberships?q=example")); len(got) != 0 {
		t.Errorf("search by email without member:email:read: %v", got)
	}
}

func TestMembershipsPaging(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	var want []string // newest first
	for i := range 60 {
		want = append([]string{e.buy(fmt.Sprintf("user%02d", i), f.Monthly, "")}, want...)
	}
	c := e.client()
	c.signIn(e.Key)
	var got []string
	p := c.get("/memberships?plan=" + f.Monthly)
	pages := 0
	for {
		pages++
		got = append(got, listed(p)...)
		next := link(p, "next")
		if next == "" {
			break
		}
		if !strings.Contains(next, "plan="+f.Monthly) {
			t.Fatalf("the next link drops the filter: %s", next)
		}
		p = c.get(next).want(t, 200)
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%d pages, %d memberships; want 3 pages of %d in order", pages, len(got), len(want))
	}
	// And back.
	var back []string
	for {
		prev := link(p, "prev")
		if prev == "" {
			break
		}
		p = c.get(prev).want(t, 200)
		back = append(listed(p), back...)
	}
	if strings.Join(back, ",") != strings.Join(want[:50], ",") {
		t.Errorf("paging back: %d memberships", len(back))
	}
}

// link is the href of the page's pager link with rel.
func link(p page, rel string) string {
	i := strings.Index(p.Body, `" rel="`+rel+`"`)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(p.Body[:i], `href="`) + len(`href="`)
	return html.UnescapeString(p.Body[start:i])
}

func TestOverview(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	ctx := t.Context()
	annual := e.plan(f.Product, "Annual", "100", "usd", 365)
	weekly := e.plan(f.Product, "Weekly (EUR)", "12", "eur", 7)
	e.buy("alice", f.Monthly, "")
	erin := e.buy("erin", f.Monthly, "")
	frank := e.buy("frank", f.Monthly, "")
	e.buy("gina", annual, "")
	e.buy("harry", f.Monthly, memberd.BehaviorDeclineRenewals)
	e.buy("ines", weekly, "")
	e.buy("bob", f.Trial, "")
	e.buy("carol", f.Lifetime, "")
	e.buy("dave", f.Monthly, memberd.BehaviorDecline)
	if _, err := e.Service.Cancel(ctx, e.Company, erin, memberd.CancelParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.Pause(ctx, e.Company, frank, memberd.PauseParams{}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.signIn(e.Key)
	// MRR: alice 10, erin 10 (canceling), gina 100×30/365, harry 10 (USD);
	// ines 12×30/7 (EUR). Paused frank, trialing bob, one-time carol and
	// drafted dave add nothing.
	c.get("/").want(t, 200, "38.22 USD", "from 4 memberships", "51.43 EUR", "from 1 membership<",
		`data-status="active">5<`, `data-status="canceling">1<`, `data-status="trialing">1<`, "(9 in all)",
		"price × 30 ÷ billing period in days", `<svg viewBox="0 0 720 260" role="img"`)

	e.Advance(30 * apitest.Day) // to 2026-03-31 09:00
	// The chart's 30 days are 2026-03-02 to 2026-03-31: the checkouts of
	// 2026-03-01 are before them. ines renews weekly (03-08, 15, 22, 29),
	// bob's trial converts on 03-15, on 03-31 alice renews and harry's
	// renewal fails; gina is annual, erin's cancel lands, frank is paused.
	p := c.get("/").want(t, 200, `<span id="paid-total">6</span>`, `<span id="failed-total">1</span>`,
		`<tr><td>2026-03-08</td><td class="num">1</td><td class="num">0</td></tr>`,
		`<tr><td>2026-03-15</td><td class="num">2</td><td class="num">0</td></tr>`,
		`<tr><td>2026-03-31</td><td class="num">1</td><td class="num">1</td></tr>`,
		`<tr><td>2026-03-02</td><td class="num">0</td><td class="num">0</td></tr>`,
		"Mar 31: 1 paid, 1 failed")
	if n := strings.Count(p.Body, `<g class="bar">`); n != 30 {
		t.Errorf("%d bars", n)
	}
	// harry is past due now and still counts; erin's cancel landed; bob converted.
	p.want(t, 200, "38.22 USD", "from 4 memberships", `data-status="past_due">1<`, `data-status="canceled">1<`)
}

func TestClockMovesAndTheirEvents(t *testing.T) {
	e, _, alice, c := aliceSignedIn(t)
	c.get("/test/clock").want(t, 200, "2026-03-01 09:00 UTC", "Move it forward by", ">1 day<", ">1 week<", ">1 month (30 days)<", `value="2026-03-01T09:00"`)

	p := c.post("/test/clock", url.Values{"move": {"day"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/test/clock?") {
		t.Fatalf("move: %d %q", p.Status, p.Location)
	}
	c.get(p.Location).want(t, 200, "2026-03-02 09:00 UTC", "nothing fell due")

	p = c.post("/test/clock", url.Values{"move": {"month"}})
	c.get(p.Location).want(t, 200, "From <time datetime=\"2026-03-02T09:00:00Z\">2026-03-02 09:00 UTC</time> to <time datetime=\"2026-04-01T09:00:00Z\">",
		"2 events", "payment.created", "payment.succeeded", "Renewal of 10.00 USD paid", `href="/memberships/`+alice+`"`)

	p = c.post("/test/clock", url.Values{"to": {"2026-04-10T12:00"}})
	c.get(p.Location).want(t, 200, "2026-04-10 12:00 UTC", "nothing fell due")
	now, _ := e.Service.Now(t.Context(), e.Company)
	if now.Format("2006-01-02 15:04") != "2026-04-10 12:00" {
		t.Errorf("clock at %s", now)
	}

	// Errors are the API's, and move nothing.
	msg := e.Call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"to": "2026-01-01T00:00:00Z"}).Want(t, 400).Str("error.message")
	c.post("/test/clock", url.Values{"to": {"2026-01-01T00:00"}}).want(t, 400, msg, `value="2026-01-01T00:00"`)
	msg = e.Call("POST", "/api/v1/test_helpers/clock/advance", map[string]any{"to": "2040-01-01T00:00:00Z"}).Want(t, 400).Str("error.message")
	c.post("/test/clock", url.Values{"to": {"2040-01-01T00:00"}}).want(t, 400, msg)
	c.post("/test/clock", url.Values{"to": {""}}).want(t, 400, "Missing required parameter: to.")
	if after, _ := e.Service.Now(t.Context(), e.Company); !after.Equal(now) {
		t.Errorf("a refused move moved the clock to %s", after)
	}

	// The timeline has the renewal at its clock time, newest first.
	tl := c.get("/memberships/"+alice).want(t, 200, "Renewal of 10.00 USD paid", "First charge of 10.00 USD paid", "Access granted; status active")
	renewal := strings.Index(tl.Body, "Renewal of 10.00 USD paid")
	first := strings.Index(tl.Body, "First charge of 10.00 USD paid")
	if renewal > first {
		t.Error("the timeline is not newest first")
	}
	tl.want(t, 200, `<time datetime="2026-03-31T09:00:00Z">2026-03-31 09:00 UTC</time> <span class="summary">Renewal of 10.00 USD paid</span>`)
}

func TestCheckout(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	c := e.client()
	c.signIn(e.Key)
	c.get("/test/checkout").want(t, 200, `<option value="`+f.Monthly+`"`, "decline renewals")

	p := c.post("/test/checkout", url.Values{"plan_id": {f.Monthly}, "username": {"zoe"}, "email": {"zoe@example.com"}, "name": {"Zoe"}, "behavior": {"decline"}})
	if p.Status != http.StatusSeeOther || !strings.HasSuffix(p.Location, "?done=checkout") {
		t.Fatalf("checkout: %d %q\n%s", p.Status, p.Location, p.Body)
	}
	c.get(p.Location).want(t, 200, "Checked out.", "drafted", "zoe@example.com", "First charge of 10.00 USD failed")

	// The same user again, with the card they have: declined again; then a
	// new card that pays.
	p = c.post("/test/checkout", url.Values{"plan_id": {f.Monthly}, "username": {"zoe"}})
	c.get(p.Location).want(t, 200, "drafted")
	p = c.post("/test/checkout", url.Values{"plan_id": {f.Trial}, "username": {"zoe"}, "behavior": {"succeed"}})
	c.get(p.Location).want(t, 200, "trialing")
	zoe, err := e.Service.User(t.Context(), "zoe")
	if err != nil || zoe.Email != "zoe@example.com" {
		t.Fatalf("user %+v %v", zoe, err)
	}
	n, _ := e.Service.MembershipCounts(t.Context(), memberd.MembershipFilter{CompanyID: e.Company, UserIDs: []string{zoe.ID}})
	if n[memberd.StatusDrafted] != 2 || n[memberd.StatusTrialing] != 1 {
		t.Errorf("zoe's memberships %v", n)
	}

	// Errors are the service's, with what was typed kept.
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"plan_id": {"plan_nope"}, "username": {"yann"}}, `Plan "plan_nope" was not found.`},
		{url.Values{"plan_id": {f.Monthly}, "username": {"not valid!"}}, "username must be 1 to 64 letters"},
		{url.Values{"plan_id": {f.Monthly}, "username": {""}}, "Missing required parameter: username."},
		{url.Values{"plan_id": {f.Monthly}, "username": {"xena"}, "behavior": {"explode"}}, "behavior must be one of succeed, decline, decline_renewals."},
		{url.Values{"plan_id": {f.Monthly}, "username": {"user_nope"}}, `User "user_nope" was not found`},
		{url.Values{"plan_id": {""}, "username": {"yann"}}, "Missing required parameter: plan_id."},
	} {
		c.get("/test/checkout")
		c.post("/test/checkout", tc.form).want(t, 400, tc.want)
	}
	c.post("/test/checkout", url.Values{"plan_id": {f.Monthly}, "username": {"not valid!"}}).want(t, 400, `value="not valid!"`)
}

func TestManageURLAndTestModeRoutes(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	id := e.buy("alice", f.Monthly, "")
	manage := e.Call("GET", "/api/v1/memberships/"+id, nil).Want(t, 200).Str("manage_url")
	path := strings.TrimPrefix(manage, e.Server.URL)
	c := e.client()
	if p := c.get(path); p.Status != http.StatusSeeOther || p.Location != "/signin?next="+url.QueryEscape(path) {
		t.Fatalf("manage_url signed out: %d %q", p.Status, p.Location)
	}
	c.signIn(e.Key)
	if p := c.get(path); p.Status != http.StatusSeeOther || p.Location != "/memberships/"+id {
		t.Fatalf("manage_url: %d %q", p.Status, p.Location)
	}
	c.get("/webhooks").want(t, 200, "No endpoints yet")

	prod := newEnv(t, apitest.WithoutTestHelpers)
	c = prod.client()
	c.signIn(prod.Key)
	c.get("/").want(t, 200, "Time:").lacks(t, "/test/clock", "test mode")
	if p := c.get("/test/clock"); p.Status != 404 {
		t.Errorf("/test/clock without test helpers: %d", p.Status)
	}
}
