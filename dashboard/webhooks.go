package dashboard

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/memberd/memberd"
)

// The webhook pages: the company's endpoints, an endpoint with its
// deliveries, and a delivery with its attempts. Like the API's
// /api/v1/webhooks and memberd's delivery log at /api/memberd/v1, every one
// needs developer:manage_webhook and reads through the same service calls.
// Delivery and attempt times are real time; event times are the company's
// clock. The actions are in webhook_actions.go.

// requireWebhooks is the permission check of every webhook page and action.
func requireWebhooks(s *session) error { return s.key.Require(memberd.PermManageWebhook) }

// healthWindow is how many of an endpoint's newest deliveries the
// endpoints list sums up.
const healthWindow = 20

// health sums up an endpoint's newest deliveries.
type health struct {
	Counts []deliveryCount // of the newest deliveries, by status
	// Last is the delivery attempted last (skipped ones aside: they send
	// nothing), nil if none was.
	Last *memberd.Delivery
}

// deliveryCount is how many deliveries have a status.
type deliveryCount struct {
	Status memberd.DeliveryStatus
	Count  int
}

// endpointRow is an endpoint in the list.
type endpointRow struct {
	W        memberd.Webhook
	Resource string
	Health   health
}

// webhooksView is the endpoints page's data: the list and the create form.
type webhooksView struct {
	Rows         []endpointRow
	Pager        pager
	HealthWindow int
	Create       createView
}

func (d *site) webhooks(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireWebhooks(s); err != nil {
		return err
	}
	return d.renderWebhooks(w, r, s, http.StatusOK, "", nil)
}

// renderWebhooks shows the endpoints page; a create that failed has its
// message and the values it was posted with (nil for the defaults).
func (d *site) renderWebhooks(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, form url.Values) error {
	ctx := r.Context()
	q := r.URL.Query()
	p, err := pageRequest(q)
	if err != nil {
		return err
	}
	page, err := d.svc.ListWebhooks(ctx, s.key.CompanyID, p)
	if err != nil {
		return err
	}
	products, err := d.productOptions(r, s)
	if err != nil {
		return err
	}
	v := webhooksView{HealthWindow: healthWindow, Pager: newPager("/webhooks", url.Values{}, page.Cursors, page.HasPrev, page.HasNext),
		Create: newCreateView(form, products)}
	for _, hook := range page.Items {
		h, err := d.health(r, s, hook.ID)
		if err != nil {
			return err
		}
		v.Rows = append(v.Rows, endpointRow{W: hook, Resource: resourceName(&hook, products), Health: h})
	}
	d.render(w, r, s, status, "webhooks", view{Title: "Webhooks", Nav: "webhooks", Error: msg,
		Notice: notices[q.Get("done")], Page: v})
	return nil
}

// health reads an endpoint's newest deliveries.
func (d *site) health(r *http.Request, s *session, webhookID string) (health, error) {
	page, err := d.svc.ListDeliveries(r.Context(), s.key.CompanyID, memberd.DeliveryFilter{WebhookID: webhookID},
		memberd.PageRequest{First: healthWindow, Desc: true})
	if err != nil {
		return health{}, err
	}
	var h health
	for _, st := range memberd.DeliveryStatuses {
		n := 0
		for _, dl := range page.Items {
			if dl.Status == st {
				n++
			}
		}
		if n > 0 {
			h.Counts = append(h.Counts, deliveryCount{st, n})
		}
	}
	for i, dl := range page.Items {
		if dl.Status != memberd.DeliverySkipped && dl.LastAttemptAt != nil && (h.Last == nil || dl.LastAttemptAt.After(*h.Last.LastAttemptAt)) {
			h.Last = &page.Items[i]
		}
	}
	return h, nil
}

// resourceName says whose events an endpoint gets: the company's, or a
// product's (by its title when the key may read products).
func resourceName(w *memberd.Webhook, products []option) string {
	if w.ResourceID == w.CompanyID {
		if w.ChildResourceEvents {
			return "the company's child companies"
		}
		return "the company"
	}
	for _, p := range products {
		if p.Value == w.ResourceID {
			return p.Label
		}
	}
	return w.ResourceID
}

// eventChoice is an event's checkbox in the create form.
type eventChoice struct {
	Name    memberd.EventType
	Checked bool
}

// versionChoice is an api_version's radio button in the create form.
type versionChoice struct {
	Version, Help string
	Checked       bool
}

var versionHelp = map[string]string{
	memberd.WebhookV1: "Whop's v1 envelope {id, type, data, …}, signed with Standard Webhooks headers.",
	memberd.WebhookV2: "Whop's legacy v2 {action, data}, with X-Whop-Signature too; events with no v2 name are skipped.",
	memberd.WebhookV5: "Whop's legacy v5 {action, data}, with X-Whop-Signature too; events with no v5 name are skipped.",
}

// createView is the create form: empty, with its defaults (the events
// memberd fires, v1, enabled), or as it was posted.
type createView struct {
	URL       string
	Fired     []eventChoice // the events memberd fires
	Other     []eventChoice // Whop's other WebhookEvent names
	Versions  []versionChoice
	Resource  choice
	Enabled   bool
	OtherOpen bool // an event of Other is checked
}

func newCreateView(form url.Values, products []option) createView {
	posted := form != nil
	v := createView{URL: form.Get("url"), Enabled: !posted || form.Get("enabled") == "on",
		Resource: choice{ID: "resource_id", Label: "Whose events", Any: "The company's (every product)", Placeholder: "prod_… (empty: the company's)",
			Value: form.Get("resource_id"), Options: products}}
	for _, e := range memberd.WebhookEvents {
		fired := slices.Contains(memberd.EmittedEvents, e)
		c := eventChoice{Name: e, Checked: fired}
		if posted {
			c.Checked = slices.Contains(form["events"], string(e))
		}
		if fired {
			v.Fired = append(v.Fired, c)
		} else {
			v.Other = append(v.Other, c)
			v.OtherOpen = v.OtherOpen || c.Checked
		}
	}
	version := form.Get("api_version")
	if version == "" {
		version = memberd.WebhookV1
	}
	for _, ver := range memberd.WebhookAPIVersions {
		v.Versions = append(v.Versions, versionChoice{ver, versionHelp[ver], ver == version})
	}
	return v
}

// deliveryStatusChoice is a status checkbox of the deliveries filter.
type deliveryStatusChoice struct {
	Status  memberd.DeliveryStatus
	Checked bool
}

// webhookView is an endpoint's page: its fields and actions, and a page of
// its deliveries.
type webhookView struct {
	W memberd.Webhook
	// Secret is shown in the answer to create and rotate_secret only.
	Secret   string
	Testable []memberd.EventType // the subscribed events memberd fires
	Resource string
	RealNow  time.Time

	Rows     []memberd.Delivery
	Statuses []deliveryStatusChoice
	Filtered bool
	Pager    pager

	// Failed is the action that just failed, Form the values it was posted
	// with, to fill its form again.
	Failed string
	Form   url.Values
}

// ResendSince is the resend form's start: as posted, or the endpoint's
// creation (every event it was sent).
func (v webhookView) ResendSince() string {
	if v.Failed == "resend" {
		return v.Form.Get("since")
	}
	return v.W.CreatedAt.UTC().Format(dateInputLayout)
}

// ResendChecked reports whether the resend form, as posted, had the status.
func (v webhookView) ResendChecked(st memberd.DeliveryStatus) bool {
	return v.Failed == "resend" && slices.Contains(v.Form["statuses"], string(st))
}

func (d *site) webhookView(r *http.Request, s *session, id string) (webhookView, error) {
	if err := requireWebhooks(s); err != nil {
		return webhookView{}, err
	}
	ctx := r.Context()
	hook, err := d.svc.Webhook(ctx, s.key.CompanyID, id)
	if err != nil {
		return webhookView{}, err
	}
	var product []option
	if hook.ResourceID != hook.CompanyID && s.key.Can(memberd.PermProductBasicRead) {
		if p, err := d.svc.Product(ctx, s.key.CompanyID, hook.ResourceID); err == nil {
			product = []option{{p.ID, p.Title}}
		}
	}
	v := webhookView{W: hook, Testable: hook.TestableEvents(), Resource: resourceName(&hook, product), RealNow: d.svc.RealNow()}

	q := r.URL.Query()
	f := memberd.DeliveryFilter{WebhookID: hook.ID}
	if f.Statuses, err = deliveryStatuses("status", q["status"]); err != nil {
		return v, err
	}
	for _, st := range memberd.DeliveryStatuses {
		v.Statuses = append(v.Statuses, deliveryStatusChoice{st, slices.Contains(f.Statuses, st)})
	}
	v.Filtered = len(f.Statuses) > 0
	p, err := pageRequest(q)
	if err != nil {
		return v, err
	}
	page, err := d.svc.ListDeliveries(ctx, s.key.CompanyID, f, p)
	if err != nil {
		return v, err
	}
	v.Rows = page.Items
	v.Pager = newPager("/webhooks/"+url.PathEscape(hook.ID), url.Values{"status": q["status"]}, page.Cursors, page.HasPrev, page.HasNext)
	return v, nil
}

// deliveryStatuses reads the delivery statuses of a parameter, refusing
// others as the API's resend does.
func deliveryStatuses(param string, names []string) ([]memberd.DeliveryStatus, error) {
	var out []memberd.DeliveryStatus
	for _, name := range names {
		st := memberd.DeliveryStatus(name)
		if !slices.Contains(memberd.DeliveryStatuses, st) {
			return nil, memberd.Invalid(param, "%s: %q is not a delivery status.", param, name)
		}
		out = append(out, st)
	}
	return out, nil
}

func (d *site) webhook(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := d.webhookView(r, s, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	notice := notices[q.Get("done")]
	if n, err := strconv.Atoi(q.Get("resent")); err == nil {
		notice = resentNotice(n)
	}
	d.renderWebhook(w, r, s, http.StatusOK, view{Notice: notice}, v)
	return nil
}

// renderWebhook shows an endpoint's page with the message of pv.
func (d *site) renderWebhook(w http.ResponseWriter, r *http.Request, s *session, status int, pv view, v webhookView) {
	pv.Title, pv.Nav, pv.Page = "Endpoint "+v.W.ID, "webhooks", v
	d.render(w, r, s, status, "webhook", pv)
}

func resentNotice(n int) string {
	switch n {
	case 0:
		return "No event was sent to this endpoint in that time: nothing is sent again."
	case 1:
		return "1 event is sent again, as a new delivery."
	}
	return strconv.Itoa(n) + " events are sent again, as new deliveries."
}

// deliveryView is a delivery's page: the delivery, the body its attempts
// send, and its attempts in order.
type deliveryView struct {
	W            memberd.Webhook
	D            memberd.Delivery
	Body         string // indented JSON
	Attempts     []attemptView
	MoreAttempts bool
	RealNow      time.Time
}

// attemptView is an attempt with its request headers in order.
type attemptView struct {
	memberd.Attempt
	Headers []field
}

func (d *site) deliveryView(r *http.Request, s *session) (deliveryView, error) {
	if err := requireWebhooks(s); err != nil {
		return deliveryView{}, err
	}
	out, err := d.svc.Delivery(r.Context(), s.key.CompanyID, r.PathValue("id"), r.PathValue("delivery_id"),
		&memberd.PageRequest{First: memberd.MaxPageSize})
	if err != nil {
		return deliveryView{}, err
	}
	v := deliveryView{W: out.Webhook, D: out.Delivery, Body: indentJSON(out.Body), MoreAttempts: out.Attempts.HasNext,
		RealNow: d.svc.RealNow()}
	for _, a := range out.Attempts.Items {
		av := attemptView{Attempt: a}
		for _, k := range slices.Sorted(maps.Keys(a.RequestHeaders)) {
			av.Headers = append(av.Headers, field{k, a.RequestHeaders[k]})
		}
		v.Attempts = append(v.Attempts, av)
	}
	return v, nil
}

func (d *site) delivery(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := d.deliveryView(r, s)
	if err != nil {
		return err
	}
	d.renderDelivery(w, r, s, http.StatusOK, view{Notice: notices[r.URL.Query().Get("done")]}, v)
	return nil
}

func (d *site) renderDelivery(w http.ResponseWriter, r *http.Request, s *session, status int, pv view, v deliveryView) {
	pv.Title, pv.Nav, pv.Page = "Delivery "+memberd.DeliveryID(v.D.Seq), "webhooks", v
	d.render(w, r, s, status, "delivery", pv)
}

// indentJSON indents a JSON body for reading; anything else is shown as it is.
func indentJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}
