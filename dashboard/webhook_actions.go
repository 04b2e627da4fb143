package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// The webhook actions: creating an endpoint (its secret is shown in the
// answer to the post, and never again), and the actions of an endpoint's
// page, which post to /webhooks/{id}/{action}. Those that lose something
// (events, the secret, the log) or may send many events ask for
// confirmation first, as the membership actions do; enabling acts at once,
// as does resending one delivery (on the delivery's page). Errors, the
// API's own, are shown on the endpoint's page with the API's status.

// createWebhook registers an endpoint with the form's values and shows it
// with its secret; a refusal is shown on the form, filled as it was posted.
func (d *site) createWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireWebhooks(s); err != nil {
		return err
	}
	f := r.PostForm
	enabled := f.Get("enabled") == "on"
	p := service.WebhookParams{URL: optional(f, "url"), APIVersion: optional(f, "api_version"), ResourceID: optional(f, "resource_id"),
		Enabled: &enabled, Events: append([]string{}, f["events"]...)} // none checked is none, not the API's default of all
	hook, err := d.svc.CreateWebhook(r.Context(), s.key.CompanyID, p)
	if err != nil {
		status, msg := d.apiError(r, err)
		return d.renderWebhooks(w, r, s, status, msg, f)
	}
	return d.showSecret(w, r, s, hook, "The endpoint is created.")
}

// optional is a form value, nil when it is empty, as a field left out of an
// API request.
func optional(f url.Values, name string) *string {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return nil
	}
	return &v
}

// showSecret answers with the endpoint's page and its secret, which no
// other page shows.
func (d *site) showSecret(w http.ResponseWriter, r *http.Request, s *session, hook memberd.Webhook, notice string) error {
	v, err := d.webhookView(r, s, hook.ID)
	if err != nil {
		return err
	}
	v.Secret = hook.Secret
	d.renderWebhook(w, r, s, http.StatusOK, view{Notice: notice}, v)
	return nil
}

// hookAction is an action on an endpoint.
type hookAction struct {
	title     string // what the confirm button says
	confirm   bool   // asks for confirmation first
	dangerous bool
	// prepare reads the form: what the action will do, in a sentence for
	// the confirmation page, and the function that does it.
	prepare func(f url.Values) (string, hookDo, error)
}

// hookDo performs an action on endpoint id. It answers the page to go to
// next, or, when it made a new secret, the endpoint with it, to be shown
// in this answer only.
type hookDo func(ctx context.Context, svc *service.Service, company, id string) (next string, rotated *memberd.Webhook, err error)

// setEnabled is the enable or disable action.
func setEnabled(on bool, done string) hookDo {
	return func(ctx context.Context, svc *service.Service, company, id string) (string, *memberd.Webhook, error) {
		_, err := svc.UpdateWebhook(ctx, company, id, service.WebhookParams{Enabled: &on})
		return "/webhooks/" + url.PathEscape(id) + "?done=" + done, nil, err
	}
}

var hookActions = map[string]hookAction{
	"enable": {"Enable the endpoint", false, false, func(url.Values) (string, hookDo, error) {
		return "The endpoint gets new events again, and deliveries that were waiting for it are sent now.", setEnabled(true, "enable"), nil
	}},
	"disable": {"Disable the endpoint", true, true, func(url.Values) (string, hookDo, error) {
		return "The endpoint gets nothing while it is disabled: events that happen meanwhile are never sent to it, not even once it is enabled again. " +
			"Deliveries already waiting for a retry are kept and sent when it is enabled.", setEnabled(false, "disable"), nil
	}},
	"rotate_secret": {"Rotate the secret", true, true, func(url.Values) (string, hookDo, error) {
		return "A new secret is made and shown once, on the next page. Every request from now on, retries included, is signed with it: " +
				"the current secret stops working at once, so give your app the new one.",
			func(ctx context.Context, svc *service.Service, company, id string) (string, *memberd.Webhook, error) {
				hook, err := svc.RotateWebhookSecret(ctx, company, id, "")
				return "", &hook, err
			}, nil
	}},
	"delete": {"Delete the endpoint", true, true, func(url.Values) (string, hookDo, error) {
		return "The endpoint is deleted with its whole delivery log, and deliveries waiting to be sent are dropped. This cannot be undone.",
			func(ctx context.Context, svc *service.Service, company, id string) (string, *memberd.Webhook, error) {
				return "/webhooks?done=delete", nil, svc.DeleteWebhook(ctx, company, id)
			}, nil
	}},
	"resend": {"Send the events again", true, false, prepareResend},
}

// prepareResend reads the time range form: since, until (optional; the
// company's now) and the statuses of the events' latest deliveries
// (optional; any).
func prepareResend(f url.Values) (string, hookDo, error) {
	since, err := formTime(f, "since")
	if err == nil && since == nil {
		err = memberd.Missing("since")
	}
	if err != nil {
		return "", nil, err
	}
	until, err := formTime(f, "until")
	if err != nil {
		return "", nil, err
	}
	statuses, err := deliveryStatuses("statuses", f["statuses"])
	if err != nil {
		return "", nil, err
	}
	what := "Every event sent to this endpoint from " + when(*since) + " until "
	if until != nil {
		what += when(*until)
	} else {
		what += "now"
	}
	what += " (the company's clock)"
	if len(statuses) > 0 {
		names := make([]string, len(statuses))
		for i, st := range statuses {
			names[i] = string(st)
		}
		what += " whose latest delivery is " + strings.Join(names, " or ")
	}
	what += " is sent again, once, as a new delivery signed afresh with the same webhook-id."
	return what, func(ctx context.Context, svc *service.Service, company, id string) (string, *memberd.Webhook, error) {
		n, err := svc.ResendDeliveries(ctx, company, id, *since, until, statuses)
		return "/webhooks/" + url.PathEscape(id) + "?resent=" + strconv.Itoa(n), nil, err
	}, nil
}

func (d *site) webhookAction(w http.ResponseWriter, r *http.Request, s *session) error {
	name, id := r.PathValue("action"), r.PathValue("id")
	spec, ok := hookActions[name]
	if !ok {
		return memberd.Errorf(memberd.KindNotFound, "", "", "No such action: %s.", name)
	}
	if err := requireWebhooks(s); err != nil {
		return err
	}
	hook, err := d.svc.Webhook(r.Context(), s.key.CompanyID, id)
	if err != nil {
		return err
	}
	failed := func(err error) error {
		v, verr := d.webhookView(r, s, id)
		if verr != nil {
			return verr
		}
		v.Failed, v.Form = name, r.PostForm
		status, msg := d.apiError(r, err)
		d.renderWebhook(w, r, s, status, view{Error: msg}, v)
		return nil
	}
	what, do, err := spec.prepare(r.PostForm)
	if err != nil {
		return failed(err)
	}
	if spec.confirm && r.PostFormValue("confirm") != "yes" {
		page := "/webhooks/" + url.PathEscape(id)
		v := newConfirm(page+"/"+name, page, spec.title, what, r.PostForm)
		v.W, v.Crumbs, v.Dangerous = &hook, []link{{"/webhooks", "Webhooks"}, {page, hook.ID}}, spec.dangerous
		d.render(w, r, s, http.StatusOK, "confirm", view{Title: spec.title, Nav: "webhooks", Page: v})
		return nil
	}
	next, rotated, err := do(r.Context(), d.svc, s.key.CompanyID, id)
	if err != nil {
		return failed(err)
	}
	if rotated != nil {
		return d.showSecret(w, r, s, *rotated, "The secret is rotated.")
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// resendDelivery sends a delivery's event again, as a new delivery, and
// shows it.
func (d *site) resendDelivery(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireWebhooks(s); err != nil {
		return err
	}
	id := r.PathValue("id")
	dl, err := d.svc.ResendDelivery(r.Context(), s.key.CompanyID, id, r.PathValue("delivery_id"))
	if err != nil {
		v, verr := d.deliveryView(r, s)
		if verr != nil {
			return verr
		}
		status, msg := d.apiError(r, err)
		d.renderDelivery(w, r, s, status, view{Error: msg}, v)
		return nil
	}
	http.Redirect(w, r, "/webhooks/"+url.PathEscape(id)+"/deliveries/"+memberd.DeliveryID(dl.Seq)+"?done=resend", http.StatusSeeOther)
	return nil
}
