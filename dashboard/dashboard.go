// Package dashboard serves memberd's web dashboard at / on the API's router:
// server-rendered pages (html/template, assets embedded in the binary, no
// JavaScript) to see and steer memberships and webhook endpoints with their
// deliveries, and in test mode the company's clock and checkouts. Every read and action goes through package service
// with the signed-in API key's permissions checked as the v1 API checks them,
// so the dashboard validates, refuses and fails exactly as the API does.
package dashboard

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/httpapi"
	"github.com/memberd/memberd/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// site is the dashboard: the service it works through and its pages.
type site struct {
	svc   *service.Service
	log   *slog.Logger
	pages map[string]*template.Template
	// cop refuses cross-origin form posts (Sec-Fetch-Site, Origin), before
	// the CSRF token is even looked at.
	cop *http.CrossOriginProtection
}

// Mount registers the dashboard's pages on the API's router, next to the
// API: / and paths that do not collide with /api, /v2, /v5 or the health
// checks.
func Mount(api *httpapi.Server, svc *service.Service, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	d := &site{svc: svc, log: log, pages: parsePages(), cop: http.NewCrossOriginProtection()}
	mux := api.Mux()
	mux.HandleFunc("GET /assets/{file}", d.asset)
	mux.HandleFunc("GET /signin", d.signInPage)
	mux.HandleFunc("POST /signin", d.signIn)
	d.action(mux, "POST /signout", d.signOut)

	d.page(mux, "GET /{$}", d.overview)
	d.page(mux, "GET /memberships", d.memberships)
	d.page(mux, "GET /memberships/{id}", d.membership)
	d.action(mux, "POST /memberships/{id}/{action}", d.membershipAction)
	d.page(mux, "GET /billing/manage/{id}", d.manage)
	d.page(mux, "GET /webhooks", d.webhooks)
	d.action(mux, "POST /webhooks", d.createWebhook)
	d.page(mux, "GET /webhooks/{id}", d.webhook)
	d.action(mux, "POST /webhooks/{id}/{action}", d.webhookAction)
	d.page(mux, "GET /webhooks/{id}/deliveries/{delivery_id}", d.delivery)
	d.action(mux, "POST /webhooks/{id}/deliveries/{delivery_id}/resend", d.resendDelivery)
	if svc.TestMode() {
		d.page(mux, "GET /test/clock", d.clock)
		d.action(mux, "POST /test/clock", d.moveClock)
		d.page(mux, "GET /test/checkout", d.checkoutPage)
		d.action(mux, "POST /test/checkout", d.checkout)
	}
}

// parsePages parses each page template together with the layout.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return pages
}

// handler serves a signed-in request. An error it returns is shown as the
// page, with the API's status and message for it.
type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// page registers a page for signed-in users; others are sent to sign in.
func (d *site) page(mux *http.ServeMux, pattern string, h handler) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s, ok := d.session(r)
		if !ok {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d.serve(w, r, s, h)
	})
}

// action registers a form post of signed-in users: it must come from this
// dashboard (same origin, and the session's CSRF token in its csrf field).
func (d *site) action(mux *http.ServeMux, pattern string, h handler) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		s, ok := d.session(r)
		if !ok {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if d.cop.Check(r) != nil || !s.validToken(r.PostFormValue("csrf")) {
			d.fail(w, r, s, errForgedForm)
			return
		}
		d.serve(w, r, s, h)
	})
}

// maxForm bounds a form post (metadata is the largest field).
const maxForm = 1 << 20

// errForgedForm answers a post that did not come from a dashboard page.
var errForgedForm = memberd.Errorf(memberd.KindForbidden, "csrf_token_invalid", "",
	"This form did not come from this dashboard, or it has expired. Nothing was changed; reload the page and try again.")

func (d *site) serve(w http.ResponseWriter, r *http.Request, s *session, h handler) {
	if err := h(w, r, s); err != nil {
		d.fail(w, r, s, err)
	}
}

// fail shows err as the page, with the API's status and message for it.
func (d *site) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := d.apiError(r, err)
	d.render(w, r, s, status, "error", view{Title: http.StatusText(status), Error: msg})
}

// apiError is the status and message the API answers err with; internal
// errors are logged and get a generic message.
func (d *site) apiError(r *http.Request, err error) (int, string) {
	status, body := httpapi.ErrorStatus(err)
	if status == http.StatusInternalServerError {
		d.log.ErrorContext(r.Context(), "dashboard: internal error", "err", err)
	}
	return status, body.Error.Message
}

// view is what every page's template gets.
type view struct {
	Title string
	Nav   string // the nav item of the page
	// Error is a message shown at the top of the page (role=alert).
	Error string
	// Notice is a confirmation shown at the top of the page (role=status).
	Notice string
	Page   any // the page's own data

	// Filled in by render.
	Session  *session
	Company  string
	Now      time.Time
	TestMode bool
	CSRF     string
}

// notices confirm a done action on the page it redirects to (?done=).
var notices = map[string]string{
	"pause":         "Payment collection is paused.",
	"resume":        "Payment collection is resumed.",
	"cancel":        "The membership is canceled.",
	"uncancel":      "The cancellation is undone.",
	"add_free_days": "The free days are added.",
	"metadata":      "The metadata is saved.",
	"checkout":      "Checked out.",
	"enable":        "The endpoint is enabled.",
	"disable":       "The endpoint is disabled.",
	"delete":        "The endpoint and its delivery log are deleted.",
	"resend":        "Resent: this is a new delivery of the event, due now, with the same webhook-id.",
}

// render writes the page: the layout with its header filled in from the
// session (nil on the sign-in page).
func (d *site) render(w http.ResponseWriter, r *http.Request, s *session, status int, name string, v view) {
	v.TestMode = d.svc.TestMode()
	if s != nil {
		v.Session, v.CSRF, v.Company = s, s.token(), s.key.CompanyID
		if now, err := d.svc.Now(r.Context(), s.key.CompanyID); err == nil {
			v.Now = now
		}
		if s.key.Can(memberd.PermCompanyBasicRead) {
			if c, err := d.svc.Company(r.Context(), s.key.CompanyID, s.key.CompanyID); err == nil {
				v.Company = c.Title
			}
		}
	}
	var buf bytes.Buffer
	if err := d.pages[name].Execute(&buf, v); err != nil {
		d.log.ErrorContext(r.Context(), "dashboard: template", "page", name, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	pageHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageHeaders keep pages out of caches and frames and allow nothing but
// this origin's stylesheet and images: pages run no script.
func pageHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// asset serves an embedded stylesheet or image.
func (d *site) asset(w http.ResponseWriter, r *http.Request) {
	name := "assets/" + r.PathValue("file")
	if _, err := fs.Stat(assetFS, name); err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, assetFS, name)
}

// requireRead is the permission check of reading memberships.
func requireRead(s *session) error { return s.key.Require(memberd.MembershipReadPerms...) }

// isKind reports whether err is a memberd error of the kind.
func isKind(err error, k memberd.Kind) bool {
	var e *memberd.Error
	return errors.As(err, &e) && e.Kind == k
}
