package dashboard_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/dashboard"
	"github.com/memberd/memberd/internal/apitest"
	"github.com/memberd/memberd/service"
)

// env is memberd with its dashboard, serving real HTTP over a real SQLite
// file (the HTTP API's test harness, with the dashboard mounted on it).
type env struct {
	*apitest.Env
	t *testing.T
}

func newEnv(t *testing.T, opts ...apitest.Option) *env {
	t.Helper()
	a := apitest.New(t, opts...)
	dashboard.Mount(a.API, a.Service, a.Log)
	return &env{Env: a, t: t}
}

// aliceSignedIn is an env with the catalog, alice's monthly membership, and
// a client signed in with the all-permission key.
func aliceSignedIn(t *testing.T) (*env, apitest.Fixture, string, *client) {
	t.Helper()
	e := newEnv(t)
	f := e.Catalog()
	id := e.buy("alice", f.Monthly, "")
	c := e.client()
	c.signIn(e.Key)
	return e, f, id, c
}

// buy checks out plan for a new user named username with a card of behavior
// ("" for none), through the service, and returns the membership's id.
func (e *env) buy(username, plan, behavior string) string {
	e.t.Helper()
	return e.buyFrom(e.Company, username, plan, behavior)
}

// otherCompanyMembership makes a company with a plan, bought by username.
func (e *env) otherCompanyMembership(username string) string {
	e.t.Helper()
	ctx := context.Background()
	company, _ := e.NewCompany("Other")
	title := "Other product"
	product, err := e.Service.CreateProduct(ctx, company, service.ProductParams{Title: &title})
	if err != nil {
		e.t.Fatal(err)
	}
	price := memberd.MustMoney("5")
	plan, err := e.Service.CreatePlan(ctx, company, service.PlanParams{ProductID: &product.ID, RenewalPrice: &price})
	if err != nil {
		e.t.Fatal(err)
	}
	return e.buyFrom(company, username, plan.ID, "")
}

// plan creates a renewal plan of the product: price in currency every
// period days.
func (e *env) plan(product, title, price, currency string, period int) string {
	e.t.Helper()
	m := memberd.MustMoney(price)
	p, err := e.Service.CreatePlan(context.Background(), e.Company, service.PlanParams{ProductID: &product, Title: &title,
		RenewalPrice: &m, Currency: &currency, BillingPeriod: &period})
	if err != nil {
		e.t.Fatal(err)
	}
	return p.ID
}

func (e *env) buyFrom(company, username, plan, behavior string) string {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.Service.CreateUser(ctx, service.UserParams{Username: username, Name: personName(username), Email: username + "@example.com"})
	if err != nil {
		e.t.Fatal(err)
	}
	if behavior != "" {
		if _, err := e.Service.CreatePaymentMethod(ctx, company, u.ID, behavior); err != nil {
			e.t.Fatal(err)
		}
	}
	m, _, err := e.Service.Checkout(ctx, company, service.CheckoutParams{PlanID: plan, UserID: u.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return m.ID
}

// personName makes a name of a username: "maya.okoro" is "Maya Okoro".
func personName(username string) string {
	parts := strings.FieldsFunc(username, func(r rune) bool { return r == '.' || r == '_' })
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, " ")
}

// membership reads a membership through the service.
func (e *env) membership(id string) memberd.Membership {
	e.t.Helper()
	m, err := e.Service.Membership(context.Background(), e.Company, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// client is a browser without JavaScript: cookies, forms, no redirects
// followed (tests look at them).
type client struct {
	e     *env
	http  *http.Client
	token string // the CSRF token of the last page that had forms
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is a response of the dashboard.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) page {
	c.e.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := page{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Location: resp.Header.Get("Location")}
	if m := csrfField.FindStringSubmatch(p.Body); m != nil {
		c.token = m[1]
	}
	return p
}

func (c *client) get(path string) page {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.Server.URL+path, nil)
	return c.do(req)
}

// post submits a form; its csrf field is the last page's token unless the
// form has one.
func (c *client) post(path string, form url.Values, headers ...string) page {
	c.e.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.token)
	}
	req, _ := http.NewRequest("POST", c.e.Server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// signIn signs in with key and fails the test unless it works.
func (c *client) signIn(key string) {
	c.e.t.Helper()
	c.get("/signin")
	if p := c.post("/signin", url.Values{"api_key": {key}}); p.Status != http.StatusSeeOther || p.Location != "/" {
		c.e.t.Fatalf("sign in: %d %s\n%s", p.Status, p.Location, p.Body)
	}
}

// want fails unless the page has the status and contains every text (as
// markup, or as text that the page escapes).
func (p page) want(t *testing.T, status int, texts ...string) page {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d\n%s", p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !p.has(s) {
			t.Errorf("page lacks %q", s)
		}
	}
	return p
}

func (p page) has(s string) bool {
	return strings.Contains(p.Body, s) || strings.Contains(p.Body, html.EscapeString(s))
}

// lacks fails if the page contains any of texts.
func (p page) lacks(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if p.has(s) {
			t.Errorf("page has %q", s)
		}
	}
}

// confirm posts a membership's action as a person would.
func (c *client) confirm(id, action string, form url.Values) page {
	c.e.t.Helper()
	return c.confirmAt("/memberships/"+id, action, form)
}

// confirmAt posts the action of the page at path twice, as a person would:
// the form, then the confirmation page's button. It returns the second
// answer.
func (c *client) confirmAt(path, action string, form url.Values) page {
	c.e.t.Helper()
	c.get(path)
	first := c.post(path+"/"+action, form)
	if first.Status != http.StatusOK || !strings.Contains(first.Body, `name="confirm" value="yes"`) {
		return first
	}
	form.Set("confirm", "yes")
	form.Del("csrf")
	return c.post(path+"/"+action, form)
}
