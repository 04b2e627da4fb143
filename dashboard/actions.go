package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// The membership actions. Each is a form on the membership page that posts
// to /memberships/{id}/{action}; the first post answers with a confirmation
// page (no JavaScript needed), whose button posts the same values again with
// confirm=yes, and only that one acts. Errors, the API's own, are shown on
// the membership page with the API's status.

// act performs an action on a membership.
type act func(ctx context.Context, svc *service.Service, companyID, id string) (memberd.Membership, error)

// actionSpec is one action.
type actionSpec struct {
	title string   // what the confirm button says
	perms []string // what the API's endpoint needs
	// prepare reads the form: what the action will do, in a sentence for the
	// confirmation page, and the function that does it.
	prepare func(f url.Values) (string, act, error)
}

var actions = map[string]actionSpec{
	"pause": {"Pause payment collection", memberd.MembershipManagePerms, func(f url.Values) (string, act, error) {
		p := memberd.PauseParams{VoidPayments: f.Get("void_payments") == "on"}
		var err error
		if p.ResumesAt, err = formTime(f, "resumes_at"); err != nil {
			return "", nil, err
		}
		what := "No payment is collected until collection is resumed; status and access stay as they are."
		if p.ResumesAt != nil {
			what += " Collection resumes by itself at " + when(*p.ResumesAt) + "."
		}
		if p.VoidPayments {
			what += " A payment being collected now is voided."
		}
		return what, func(ctx context.Context, svc *service.Service, company, id string) (memberd.Membership, error) {
			return svc.Pause(ctx, company, id, p)
		}, nil
	}},
	"resume": {"Resume payment collection", memberd.MembershipManagePerms, func(url.Values) (string, act, error) {
		return "Payment collection resumes: the next charge is at the end of the current period.", func(ctx context.Context, svc *service.Service, company, id string) (memberd.Membership, error) {
			return svc.Resume(ctx, company, id)
		}, nil
	}},
	"cancel": {"Cancel the membership", memberd.MembershipCancelPerms, func(f url.Values) (string, act, error) {
		p := memberd.CancelParams{Mode: f.Get("cancellation_mode")}
		what := "The membership cancels at the end of the current period; until then it keeps its access and can be uncanceled."
		if p.Mode == memberd.CancelImmediate {
			what = "The membership is canceled now: access ends at once and a payment being collected is voided. This cannot be undone."
		}
		return what, func(ctx context.Context, svc *service.Service, company, id string) (memberd.Membership, error) {
			return svc.Cancel(ctx, company, id, p)
		}, nil
	}},
	"uncancel": {"Undo the cancellation", memberd.MembershipManagePerms, func(url.Values) (string, act, error) {
		return "The cancellation at the end of the period is undone; the membership renews as before.", func(ctx context.Context, svc *service.Service, company, id string) (memberd.Membership, error) {
			return svc.Uncancel(ctx, company, id)
		}, nil
	}},
	"add_free_days": {"Add free days", memberd.MembershipManagePerms, func(f url.Values) (string, act, error) {
		days, err := strconv.Atoi(strings.TrimSpace(f.Get("free_days")))
		if err != nil {
			return "", nil, memberd.Invalid("free_days", "free_days must be an integer from 1 to %d.", memberd.MaxFreeDays)
		}
		return fmt.Sprintf("%d free days are added: the next renewal (or the expiry) moves %d days later.", days, days),
			func(ctx context.Context, svc *service.Service, company, id string) (memberd.Membership, error) {
				return svc.AddFreeDays(ctx, company, id, days)
			}, nil
	}},
	"metadata": {"Save the metadata", memberd.MembershipManagePerms, func(f url.Values) (string, act, error) {
		md := formJSON(f.Get("metadata"))
		what := "The metadata is cleared."
		if md != nil {
			what = "The metadata is replaced with " + string(md) + "."
		}
		return what, func(ctx context.Context, svc *service.Service, company, id string) (memberd.Membership, error) {
			return svc.SetMetadata(ctx, company, id, md)
		}, nil
	}},
}

// formTime reads an optional instant: a datetime-local value (UTC) or RFC 3339.
func formTime(f url.Values, name string) (*time.Time, error) {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(dateInputLayout, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, memberd.Invalid(name, "%s must be a date and time such as 2026-05-01T09:00 (UTC).", name)
		}
	}
	t = t.UTC()
	return &t, nil
}

// formJSON reads a JSON textarea as the API reads a JSON body's value:
// empty or null clears (nil), valid JSON is compacted, anything else is
// passed on for the service to refuse.
func formJSON(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) != nil {
		return json.RawMessage(s)
	}
	return buf.Bytes()
}

// field is a hidden field of the confirmation page.
type field struct{ Name, Value string }

// link is a link of a page's breadcrumbs.
type link struct{ Href, Label string }

// confirmView is the confirmation page's data: what the action does to a
// membership (M) or a webhook endpoint (W), and a form that posts the
// action's values again, with confirm=yes, to Action.
type confirmView struct {
	Crumbs    []link
	M         *memberd.Membership
	W         *memberd.Webhook
	Action    string // where the form posts
	Back      string // the page the action is on
	Title     string
	What      string
	Fields    []field
	Dangerous bool
}

// newConfirm is the confirmation of the action posted to action with form.
func newConfirm(action, back, title, what string, form url.Values) confirmView {
	v := confirmView{Action: action, Back: back, Title: title, What: what}
	for _, k := range slices.Sorted(maps.Keys(form)) {
		if k != "csrf" && k != "confirm" {
			for _, val := range form[k] {
				v.Fields = append(v.Fields, field{k, val})
			}
		}
	}
	return v
}

func (d *site) membershipAction(w http.ResponseWriter, r *http.Request, s *session) error {
	name, id := r.PathValue("action"), r.PathValue("id")
	spec, ok := actions[name]
	if !ok {
		return memberd.Errorf(memberd.KindNotFound, "", "", "No such action: %s.", name)
	}
	failed := func(err error) error {
		v, verr := d.membershipView(r, s, id)
		if verr != nil {
			return verr
		}
		v.Failed, v.Form = name, r.PostForm
		status, msg := d.apiError(r, err)
		d.render(w, r, s, status, "membership", view{Title: "Membership " + id, Nav: "memberships", Error: msg, Page: v})
		return nil
	}
	if err := s.key.Require(spec.perms...); err != nil {
		return failed(err)
	}
	what, do, err := spec.prepare(r.PostForm)
	if err != nil {
		return failed(err)
	}
	if r.PostFormValue("confirm") != "yes" {
		m, err := d.svc.Membership(r.Context(), s.key.CompanyID, id)
		if err != nil {
			return err
		}
		page := "/memberships/" + url.PathEscape(id)
		v := newConfirm(page+"/"+name, page, spec.title, what, r.PostForm)
		v.M, v.Crumbs = &m, []link{{"/memberships", "Memberships"}, {page, m.ID}}
		v.Dangerous = name == "cancel" && r.PostFormValue("cancellation_mode") == memberd.CancelImmediate
		d.render(w, r, s, http.StatusOK, "confirm", view{Title: spec.title, Nav: "memberships", Page: v})
		return nil
	}
	if _, err := do(r.Context(), d.svc, s.key.CompanyID, id); err != nil {
		return failed(err)
	}
	http.Redirect(w, r, "/memberships/"+url.PathEscape(id)+"?done="+name, http.StatusSeeOther)
	return nil
}
