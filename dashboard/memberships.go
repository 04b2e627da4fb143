package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/memberd/memberd"
)

// The memberships list and the membership page.

// listPageSize is how many memberships a list page shows.
const listPageSize = 25

// option is an option of a select.
type option struct {
	Value, Label string
}

// choice is a field that picks one of Options, or takes an id typed in when
// there are none (the key may not list them): template "choice".
type choice struct {
	ID, Label        string // the id is also the field's name
	Any, Placeholder string // the option that picks none; the input's hint
	Value            string
	Required         bool
	Options          []option
}

// statusOrder is the order pages show statuses in: the lifecycle's, from
// access to its end.
var statusOrder = []memberd.Status{
	memberd.StatusTrialing, memberd.StatusActive, memberd.StatusCanceling, memberd.StatusPastDue, memberd.StatusCompleted,
	memberd.StatusDrafted, memberd.StatusCanceled, memberd.StatusExpired, memberd.StatusUnresolved,
}

// statusChoice is a status checkbox of the list's filter, with its count.
type statusChoice struct {
	Status  memberd.Status
	Count   int
	Checked bool
}

// listView is the memberships list page's data.
type listView struct {
	Search, User  string
	Plan, Product choice
	Statuses      []statusChoice
	Total         int // memberships matching every filter but the statuses
	PlanTitles    map[string]string
	Rows          []memberd.Membership
	Emails        bool
	Pager         pager
	Filtered      bool
}

func (d *site) memberships(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := requireRead(s); err != nil {
		return err
	}
	q := r.URL.Query()
	ctx := r.Context()
	v := listView{Search: q.Get("q"), User: q.Get("user"), Emails: s.key.Can(memberd.PermMemberEmailRead),
		Plan:    choice{ID: "plan", Label: "Plan", Any: "Any plan", Placeholder: "plan_…", Value: q.Get("plan")},
		Product: choice{ID: "product", Label: "Product", Any: "Any product", Placeholder: "prod_…", Value: q.Get("product")}}
	f := memberd.MembershipFilter{CompanyID: s.key.CompanyID, Search: v.Search, SearchEmails: v.Emails,
		PlanIDs: nonEmpty(v.Plan.Value), ProductIDs: nonEmpty(v.Product.Value), UserIDs: nonEmpty(v.User)}
	counts, err := d.svc.MembershipCounts(ctx, f)
	if err != nil {
		return err
	}
	checked := q["status"]
	for _, st := range checked {
		if !memberd.Status(st).Known() {
			return memberd.Invalid("status", "status must be one of %s.", joinStatuses())
		}
		f.Statuses = append(f.Statuses, memberd.Status(st))
	}
	for _, st := range statusOrder {
		v.Statuses = append(v.Statuses, statusChoice{st, counts[st], slices.Contains(checked, string(st))})
		v.Total += counts[st]
	}
	v.Filtered = v.Search != "" || v.Plan.Value != "" || v.Product.Value != "" || v.User != "" || len(checked) > 0

	p, err := pageRequest(q)
	if err != nil {
		return err
	}
	page, err := d.svc.ListMemberships(ctx, f, p)
	if err != nil {
		return err
	}
	v.Rows = page.Items
	v.Pager = newPager("/memberships", q, page.Cursors, page.HasPrev, page.HasNext)
	if v.Plan.Options, v.PlanTitles, err = d.planOptions(r, s); err != nil {
		return err
	}
	if v.Product.Options, err = d.productOptions(r, s); err != nil {
		return err
	}
	d.render(w, r, s, http.StatusOK, "memberships", view{Title: "Memberships", Nav: "memberships", Page: v})
	return nil
}

// pageRequest asks for the page of listPageSize newest-first items the
// query's after or before cursor points at (the first page without one).
func pageRequest(q url.Values) (memberd.PageRequest, error) {
	p := memberd.PageRequest{First: listPageSize, Desc: true}
	var err error
	if c := q.Get("after"); c != "" {
		p.After, err = memberd.DecodeCursor("after", c)
	} else if c := q.Get("before"); c != "" {
		p.Before, err = memberd.DecodeCursor("before", c)
		p.First, p.Last = 0, listPageSize
	}
	return p, err
}

// pager links a list page to its neighbours: template "pager".
type pager struct {
	Prev, Next string
}

// newPager makes the links to the pages before and after the one with
// cursors, keeping the query's other parameters (the filters).
func newPager(path string, q url.Values, cursors []memberd.Cursor, hasPrev, hasNext bool) pager {
	link := func(param string, c memberd.Cursor) string {
		l := url.Values{}
		for k, vals := range q {
			if k != "after" && k != "before" {
				l[k] = vals
			}
		}
		l.Set(param, c.Encode())
		return path + "?" + l.Encode()
	}
	var p pager
	if len(cursors) == 0 {
		return p
	}
	if hasPrev {
		p.Prev = link("before", cursors[0])
	}
	if hasNext {
		p.Next = link("after", cursors[len(cursors)-1])
	}
	return p
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func joinStatuses() string {
	names := make([]string, len(memberd.Statuses))
	for i, st := range memberd.Statuses {
		names[i] = string(st)
	}
	return strings.Join(names, ", ")
}

// choiceLimit is how many plans or products a select offers.
const choiceLimit = 100

// planOptions lists the company's plans (the first 100) for a select, and
// their titles by id; none when the key may not read plans.
func (d *site) planOptions(r *http.Request, s *session) ([]option, map[string]string, error) {
	titles := map[string]string{}
	if !s.key.Can(memberd.PermPlanBasicRead) {
		return nil, titles, nil
	}
	page, err := d.svc.ListPlans(r.Context(), memberd.PlanFilter{CompanyID: s.key.CompanyID}, memberd.PageRequest{First: choiceLimit})
	if err != nil {
		return nil, nil, err
	}
	var out []option
	for _, p := range page.Items {
		title := p.Title
		if title == "" {
			title = p.ID
		}
		titles[p.ID] = title
		out = append(out, option{p.ID, title + " · " + describeTerms(p.Terms())})
	}
	return out, titles, nil
}

// productOptions lists the company's products (the first 100) for a select;
// none when the key may not read products.
func (d *site) productOptions(r *http.Request, s *session) ([]option, error) {
	if !s.key.Can(memberd.PermProductBasicRead) {
		return nil, nil
	}
	page, err := d.svc.ListProducts(r.Context(), memberd.ProductFilter{CompanyID: s.key.CompanyID}, memberd.PageRequest{First: choiceLimit})
	if err != nil {
		return nil, err
	}
	var out []option
	for _, p := range page.Items {
		out = append(out, option{p.ID, p.Title})
	}
	return out, nil
}

// membershipView is the membership page's data.
type membershipView struct {
	M         memberd.Membership
	PlanTitle string
	Email     bool
	ManageURL string
	Metadata  string // indented JSON
	// Payments, newest first; PaymentsDenied is why they are not shown.
	Payments       []memberd.Payment
	MorePayments   bool
	PaymentsDenied string
	Timeline       []entry // newest first
	// Failed is the action that just failed, Form the values it was posted
	// with, to fill its form again.
	Failed string
	Form   url.Values
}

// paymentsShown is how many payments the membership page lists.
const paymentsShown = 50

func (d *site) membershipView(r *http.Request, s *session, id string) (membershipView, error) {
	if err := requireRead(s); err != nil {
		return membershipView{}, err
	}
	ctx := r.Context()
	m, err := d.svc.Membership(ctx, s.key.CompanyID, id)
	if err != nil {
		return membershipView{}, err
	}
	v := membershipView{M: m, PlanTitle: m.PlanID, Email: s.key.Can(memberd.PermMemberEmailRead),
		ManageURL: d.svc.Renderer().ManageURL(m.ID)}
	if m.Metadata != nil {
		v.Metadata = indentJSON(m.Metadata)
	}
	if s.key.Can(memberd.PermPlanBasicRead) {
		if p, err := d.svc.Plan(ctx, s.key.CompanyID, m.PlanID); err == nil && p.Title != "" {
			v.PlanTitle = p.Title
		}
	}
	amounts := s.key.Can(memberd.PermPaymentBasicRead)
	if err := s.key.Require(memberd.PermPaymentBasicRead); err != nil {
		_, v.PaymentsDenied = d.apiError(r, err)
	} else {
		page, err := d.svc.ListPayments(ctx, memberd.PaymentFilter{CompanyID: s.key.CompanyID, MembershipIDs: []string{m.ID}},
			memberd.PageRequest{First: paymentsShown, Desc: true})
		if err != nil {
			return v, err
		}
		v.Payments, v.MorePayments = page.Items, page.HasNext
	}
	evs, err := d.svc.MembershipEvents(ctx, s.key.CompanyID, m.ID)
	if err != nil {
		return v, err
	}
	v.Timeline = describeAll(evs, amounts)
	slices.Reverse(v.Timeline)
	return v, nil
}

func (d *site) membership(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := d.membershipView(r, s, r.PathValue("id"))
	if err != nil {
		return err
	}
	d.render(w, r, s, http.StatusOK, "membership", view{Title: "Membership " + v.M.ID, Nav: "memberships",
		Notice: notices[r.URL.Query().Get("done")], Page: v})
	return nil
}

// manage is where manage_url points: the membership's page.
func (d *site) manage(w http.ResponseWriter, r *http.Request, s *session) error {
	http.Redirect(w, r, "/memberships/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
	return nil
}
