package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
)

// Test mode: the company's clock and checkouts for test users, through the
// same service calls as the API's test helpers (which need no permission).

// clockMove is a button of the clock page.
type clockMove struct {
	Name, Label string
	By          time.Duration
}

var clockMoves = []clockMove{
	{"day", "1 day", 24 * time.Hour},
	{"week", "1 week", 7 * 24 * time.Hour},
	{"month", "1 month (30 days)", 30 * 24 * time.Hour},
}

// movedEventsShown is how many events of a move the clock page lists.
const movedEventsShown = 500

// clockView is the clock page's data: the moves it offers, the date form's
// value, and the last move with the events it fired.
type clockView struct {
	Moves          []clockMove
	To             string
	From, Until    time.Time // the last move, if any
	Moved          bool
	Events         []entry
	MoreEvents     bool
	EventsDenied   string
	PaymentAmounts bool
}

func (d *site) clock(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := d.clockView(r, s)
	if err != nil {
		return err
	}
	d.render(w, r, s, http.StatusOK, "clock", view{Title: "Clock", Nav: "clock", Page: v})
	return nil
}

// clockView reads the last move from the query: from and until (Unix ms),
// and the sequence numbers of its first and last events.
func (d *site) clockView(r *http.Request, s *session) (clockView, error) {
	v := clockView{Moves: clockMoves}
	q := r.URL.Query()
	from, err1 := strconv.ParseInt(q.Get("from"), 10, 64)
	until, err2 := strconv.ParseInt(q.Get("until"), 10, 64)
	if err1 != nil || err2 != nil {
		return v, nil
	}
	v.Moved, v.From, v.Until = true, time.UnixMilli(from).UTC(), time.UnixMilli(until).UTC()
	first, _ := strconv.ParseInt(q.Get("first"), 10, 64)
	last, _ := strconv.ParseInt(q.Get("last"), 10, 64)
	if first <= 0 || last < first {
		return v, nil
	}
	if err := requireRead(s); err != nil {
		_, v.EventsDenied = d.apiError(r, err)
		return v, nil
	}
	evs, more, err := d.svc.EventRange(r.Context(), s.key.CompanyID, first, last, movedEventsShown)
	if err != nil {
		return v, err
	}
	v.Events, v.MoreEvents = describeAll(evs, s.key.Can(memberd.PermPaymentBasicRead)), more
	return v, nil
}

// moveClock moves the clock and shows the move with the events the
// company's log got while it ran, numbered after the newest one before it.
func (d *site) moveClock(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	before, err := d.svc.Now(ctx, s.key.CompanyID)
	if err != nil {
		return err
	}
	seq, err := d.svc.LastEventSeq(ctx, s.key.CompanyID)
	if err != nil {
		return err
	}
	var m service.ClockMove
	move := r.PostFormValue("move")
	for _, c := range clockMoves {
		if c.Name == move {
			seconds := int(c.By / time.Second)
			m.Seconds = &seconds
		}
	}
	if m.Seconds == nil {
		if m.To, err = formTime(r.PostForm, "to"); err == nil && m.To == nil {
			err = memberd.Missing("to")
		}
	}
	var now time.Time
	if err == nil {
		now, _, err = d.svc.MoveClock(ctx, s.key.CompanyID, m)
	}
	if err != nil {
		status, msg := d.apiError(r, err)
		v := clockView{Moves: clockMoves, To: r.PostFormValue("to")}
		d.render(w, r, s, status, "clock", view{Title: "Clock", Nav: "clock", Error: msg, Page: v})
		return nil
	}
	last, err := d.svc.LastEventSeq(ctx, s.key.CompanyID)
	if err != nil {
		return err
	}
	q := url.Values{"from": {strconv.FormatInt(before.UnixMilli(), 10)}, "until": {strconv.FormatInt(now.UnixMilli(), 10)}}
	if last > seq {
		q.Set("first", strconv.FormatInt(seq+1, 10))
		q.Set("last", strconv.FormatInt(last, 10))
	}
	http.Redirect(w, r, "/test/clock?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// checkoutView is the checkout page's data.
type checkoutView struct {
	Plan      choice
	Behaviors []string
	Form      url.Values
}

func (d *site) checkoutPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return d.renderCheckout(w, r, s, http.StatusOK, "", url.Values{})
}

func (d *site) renderCheckout(w http.ResponseWriter, r *http.Request, s *session, status int, msg string, form url.Values) error {
	plans, _, err := d.planOptions(r, s)
	if err != nil {
		return err
	}
	v := checkoutView{Behaviors: service.PaymentMethodBehaviors, Form: form,
		Plan: choice{ID: "plan_id", Label: "Plan", Placeholder: "plan_…", Value: form.Get("plan_id"), Required: true, Options: plans}}
	d.render(w, r, s, status, "checkout", view{Title: "Checkout", Nav: "checkout", Error: msg, Page: v})
	return nil
}

// checkout buys a plan for a test user: the user (found by username or id,
// or created), a new card of the chosen behavior if one is chosen, then the
// checkout, each through the service like the API's test helpers.
func (d *site) checkout(w http.ResponseWriter, r *http.Request, s *session) error {
	f := r.PostForm
	m, err := d.buy(r, s, f)
	if err != nil {
		status, msg := d.apiError(r, err)
		return d.renderCheckout(w, r, s, status, msg, f)
	}
	http.Redirect(w, r, "/memberships/"+url.PathEscape(m.ID)+"?done=checkout", http.StatusSeeOther)
	return nil
}

func (d *site) buy(r *http.Request, s *session, f url.Values) (memberd.Membership, error) {
	ctx, company := r.Context(), s.key.CompanyID
	plan, username := strings.TrimSpace(f.Get("plan_id")), strings.TrimSpace(f.Get("username"))
	if plan == "" {
		return memberd.Membership{}, memberd.Missing("plan_id")
	}
	userID := username // a user id goes to checkout as it is, as in the API
	if !memberd.HasPrefix(username, memberd.PrefixUser) {
		u, err := d.svc.User(ctx, username)
		if isKind(err, memberd.KindNotFound) {
			u, err = d.svc.CreateUser(ctx, service.UserParams{Username: username,
				Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email"))})
		}
		if err != nil {
			return memberd.Membership{}, err
		}
		userID = u.ID
	}
	p := service.CheckoutParams{PlanID: plan, UserID: userID}
	if b := f.Get("behavior"); b != "" {
		pm, err := d.svc.CreatePaymentMethod(ctx, company, userID, b)
		if err != nil {
			return memberd.Membership{}, err
		}
		p.PaymentMethodID = pm.ID
	}
	m, _, err := d.svc.Checkout(ctx, company, p)
	return m, err
}
