// Package storetest is the storage conformance suite: one set of tests that
// every backend (sqlite, postgres) runs against its own store. Where the
// databases really differ (SQLite runs one writer at a time, PostgreSQL locks
// rows), a test says so and checks each backend's own behaviour.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/service"
	"github.com/memberd/memberd/sqlstore"
	"github.com/memberd/memberd/testpay"
)

// Run runs the suite; open returns a fresh, migrated, empty store.
func Run(t *testing.T, open func(t *testing.T) *sqlstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Companies", testCompanies},
		{"APIKeys", testAPIKeys},
		{"Memberships", testMemberships},
		{"MembershipPages", testMembershipPages},
		{"LocksKeepEveryUpdate", testLocksKeepEveryUpdate},
		{"DueWork", testDueWork},
		{"DueClaimsAreExclusive", testDueClaimsAreExclusive},
		{"SkipLocked", testSkipLocked},
		{"OutboxClaimsAreExclusive", testOutboxClaimsAreExclusive},
		{"Retryable", testRetryable},
		{"Aggregates", testAggregates},
		{"IdempotencyKeys", testIdempotencyKeys},
		{"IdempotencyRace", testIdempotencyRace},
		{"Backlog", testBacklog},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newFixture(t, open(t)))
		})
	}
}

// start is the fixture clock's time.
var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// fixture is a store with a service to build realistic rows through, on a
// clock that stands still, and one company.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	store   *sqlstore.Store
	svc     *service.Service
	now     time.Time
	company memberd.Company
}

func newFixture(t *testing.T, s *sqlstore.Store) *fixture {
	f := &fixture{t: t, ctx: context.Background(), store: s, now: start}
	f.svc = service.New(service.Config{Store: s, Processor: testpay.Processor{}, Now: func() time.Time { return f.now }, TestMode: true})
	f.company = f.newCompany("Acme")
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) newCompany(title string) memberd.Company {
	f.t.Helper()
	c, err := f.svc.CreateCompany(f.ctx, service.CompanyParams{Title: title})
	f.must(err)
	return c
}

// plan creates a product and a plan renewing every period days at price.
func (f *fixture) plan(period int, price string) memberd.Plan {
	f.t.Helper()
	title := "Pro"
	pr, err := f.svc.CreateProduct(f.ctx, f.company.ID, service.ProductParams{Title: &title})
	f.must(err)
	m := memberd.MustMoney(price)
	pl, err := f.svc.CreatePlan(f.ctx, f.company.ID, service.PlanParams{ProductID: &pr.ID, BillingPeriod: &period, RenewalPrice: &m})
	f.must(err)
	return pl
}

// memberships checks out n memberships of plan and returns them oldest first.
func (f *fixture) memberships(plan memberd.Plan, n int) []memberd.Membership {
	f.t.Helper()
	before := f.count(memberd.MembershipFilter{CompanyID: f.company.ID})
	f.must(f.svc.BulkCheckout(f.ctx, f.company.ID, plan.ID, fmt.Sprintf("u%d", before), n, 100, nil))
	var out []memberd.Membership
	f.view(func(tx memberd.Tx) error {
		list, err := tx.ListMembershipsOffset(f.ctx, memberd.MembershipFilter{CompanyID: f.company.ID}, 0, before+n, true)
		out = list[before:]
		return err
	})
	return out
}

func (f *fixture) count(flt memberd.MembershipFilter) int {
	f.t.Helper()
	var n int
	f.view(func(tx memberd.Tx) (err error) { n, err = tx.CountMemberships(f.ctx, flt); return err })
	return n
}

func (f *fixture) view(fn func(memberd.Tx) error) {
	f.t.Helper()
	f.must(f.store.View(f.ctx, fn))
}

func (f *fixture) update(fn func(memberd.Tx) error) {
	f.t.Helper()
	f.must(f.store.Update(f.ctx, fn))
}

func testCompanies(t *testing.T, f *fixture) {
	var got memberd.Company
	f.view(func(tx memberd.Tx) (err error) { got, err = tx.Company(f.ctx, f.company.ID); return err })
	if got.ID != f.company.ID || got.Title != "Acme" || !got.CreatedAt.Equal(f.company.CreatedAt) || got.Owner.ID == "" || got.Seq == 0 {
		t.Errorf("company read back as %+v", got)
	}
	f.view(func(tx memberd.Tx) error {
		if _, err := tx.Company(f.ctx, "biz_missing"); !errors.Is(err, memberd.ErrNotFound) {
			t.Errorf("missing company: %v, want ErrNotFound", err)
		}
		return nil
	})
	// A duplicate route is a unique violation, reported as ErrDuplicate.
	dup := got
	dup.ID = memberd.NewID(memberd.PrefixCompany)
	err := f.store.Update(f.ctx, func(tx memberd.Tx) error { return tx.InsertCompany(f.ctx, &dup) })
	if !errors.Is(err, memberd.ErrDuplicate) {
		t.Errorf("duplicate route: %v, want ErrDuplicate", err)
	}
	// The clock offset is stored to the millisecond.
	f.update(func(tx memberd.Tx) error {
		c, err := tx.LockCompany(f.ctx, f.company.ID)
		if err != nil {
			return err
		}
		c.ClockOffset = 40*day + 1234*time.Millisecond
		return tx.UpdateCompany(f.ctx, &c)
	})
	f.view(func(tx memberd.Tx) (err error) { got, err = tx.Company(f.ctx, f.company.ID); return err })
	if got.ClockOffset != 40*day+1234*time.Millisecond {
		t.Errorf("clock offset %v", got.ClockOffset)
	}
	// Children list under their parent, oldest first, a page at a time.
	var kids []string
	for i := range 3 {
		c, err := f.svc.CreateCompany(f.ctx, service.CompanyParams{Title: fmt.Sprintf("Kid %d", i), ParentID: f.company.ID})
		f.must(err)
		kids = append(kids, c.ID)
	}
	var ids []string
	p := memberd.PageRequest{First: 2}
	for {
		var page memberd.Page[memberd.Company]
		f.view(func(tx memberd.Tx) (err error) { page, err = tx.ListCompanies(f.ctx, f.company.ID, p); return err })
		for _, c := range page.Items {
			ids = append(ids, c.ID)
		}
		if !page.HasNext {
			break
		}
		p.After = &page.Cursors[len(page.Cursors)-1]
	}
	if !slices.Equal(ids, kids) {
		t.Errorf("children %v, want %v", ids, kids)
	}
}

func testAPIKeys(t *testing.T, f *fixture) {
	k := memberd.APIKey{ID: memberd.NewID("key"), CompanyID: f.company.ID, Name: "ci", Hash: "h1",
		Permissions: []string{"member:basic:read"}, CreatedAt: start}
	f.update(func(tx memberd.Tx) error { return tx.InsertAPIKey(f.ctx, &k) })
	var got memberd.APIKey
	f.view(func(tx memberd.Tx) (err error) { got, err = tx.APIKeyByHash(f.ctx, "h1"); return err })
	if got.ID != k.ID || !slices.Equal(got.Permissions, k.Permissions) || !got.CreatedAt.Equal(start) {
		t.Errorf("key read back as %+v", got)
	}
	k.ID = memberd.NewID("key")
	err := f.store.Update(f.ctx, func(tx memberd.Tx) error { return tx.InsertAPIKey(f.ctx, &k) })
	if !errors.Is(err, memberd.ErrDuplicate) {
		t.Errorf("duplicate hash: %v, want ErrDuplicate", err)
	}
}

func testMemberships(t *testing.T, f *fixture) {
	plan := f.plan(30, "10")
	m := f.memberships(plan, 1)[0]
	var got memberd.Membership
	f.view(func(tx memberd.Tx) (err error) { got, err = tx.Membership(f.ctx, f.company.ID, m.ID); return err })
	if got.Status != memberd.StatusActive || got.PaidCharges != 1 || got.Terms.RenewalPrice != memberd.MustMoney("10") ||
		got.PeriodEnd == nil || !got.PeriodEnd.Equal(start.Add(30*day)) || got.InTrial || got.User == nil || got.ProductTitle != "Pro" {
		t.Errorf("membership read back as %+v", got)
	}
	// Another company does not see it.
	other := f.newCompany("Other")
	f.view(func(tx memberd.Tx) error {
		if _, err := tx.Membership(f.ctx, other.ID, m.ID); !errors.Is(err, memberd.ErrNotFound) {
			t.Errorf("another company's membership: %v, want ErrNotFound", err)
		}
		return nil
	})
	// Booleans, nullable times and money survive a write.
	f.update(func(tx memberd.Tx) error {
		m, err := tx.LockMembership(f.ctx, f.company.ID, m.ID)
		if err != nil {
			return err
		}
		canceled := start.Add(time.Hour + 7*time.Millisecond)
		m.CancelAtPeriodEnd, m.CanceledAt, m.CollectionPaused, m.TotalSpend = true, &canceled, true, memberd.MustMoney("12.34567891")
		return tx.UpdateMemberships(f.ctx, []memberd.Membership{m})
	})
	f.view(func(tx memberd.Tx) (err error) { got, err = tx.Membership(f.ctx, f.company.ID, m.ID); return err })
	if !got.CancelAtPeriodEnd || !got.CollectionPaused || got.CanceledAt == nil || !got.CanceledAt.Equal(start.Add(time.Hour+7*time.Millisecond)) ||
		got.TotalSpend != memberd.MustMoney("12.34567891") {
		t.Errorf("after update: %+v", got)
	}
	ghost := m
	ghost.ID = "mem_missing"
	err := f.store.Update(f.ctx, func(tx memberd.Tx) error { return tx.UpdateMemberships(f.ctx, []memberd.Membership{ghost}) })
	if !errors.Is(err, memberd.ErrNotFound) {
		t.Errorf("updating a missing membership: %v, want ErrNotFound", err)
	}
}

func testMembershipPages(t *testing.T, f *fixture) {
	all := f.memberships(f.plan(30, "10"), 7) // one instant: seq breaks the ties
	want := make([]string, len(all))
	for i, m := range all {
		want[i] = m.ID
	}
	for _, desc := range []bool{false, true} {
		var ids []string
		p := memberd.PageRequest{First: 3, Desc: desc}
		for pages := 0; ; pages++ {
			var page memberd.Page[memberd.Membership]
			f.view(func(tx memberd.Tx) (err error) {
				page, err = tx.ListMemberships(f.ctx, memberd.MembershipFilter{CompanyID: f.company.ID}, p)
				return err
			})
			if pages > 0 && !page.HasPrev {
				t.Errorf("desc=%v page %d: no previous page", desc, pages)
			}
			for _, m := range page.Items {
				ids = append(ids, m.ID)
			}
			if !page.HasNext {
				break
			}
			p.After = &page.Cursors[len(page.Cursors)-1]
		}
		exp := slices.Clone(want)
		if desc {
			slices.Reverse(exp)
		}
		if !slices.Equal(ids, exp) {
			t.Errorf("desc=%v: pages gave %v, want %v", desc, ids, exp)
		}
	}
	// Backwards from the end.
	var page memberd.Page[memberd.Membership]
	f.view(func(tx memberd.Tx) (err error) {
		page, err = tx.ListMemberships(f.ctx, memberd.MembershipFilter{CompanyID: f.company.ID}, memberd.PageRequest{Last: 2})
		return err
	})
	if len(page.Items) != 2 || page.Items[1].ID != want[6] || !page.HasPrev || page.HasNext {
		t.Errorf("last 2: %d items, prev %v next %v", len(page.Items), page.HasPrev, page.HasNext)
	}
	if n := f.count(memberd.MembershipFilter{CompanyID: f.company.ID, Statuses: []memberd.Status{memberd.StatusActive}}); n != 7 {
		t.Errorf("count %d, want 7", n)
	}
	// Search ignores case and treats LIKE's wildcards literally.
	search := func(s string) int {
		return f.count(memberd.MembershipFilter{CompanyID: f.company.ID, Search: s})
	}
	if n, m := search("U0"), search("%"); n != 7 || m != 0 {
		t.Errorf("search: %d by \"U0\" (want 7), %d by %% (want 0)", n, m)
	}
}

// Concurrent read-modify-writes of one row under its lock lose no update.
// (SQLite runs one writer at a time; PostgreSQL waits on the row lock.)
func testLocksKeepEveryUpdate(t *testing.T, f *fixture) {
	plan := f.plan(30, "10")
	stock := 100
	_, err := f.svc.UpdatePlan(f.ctx, f.company.ID, plan.ID, service.PlanParams{Stock: &stock})
	f.must(err)
	m := f.memberships(plan, 1)[0]
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			f.update(func(tx memberd.Tx) error {
				c, err := tx.LockCompany(f.ctx, f.company.ID)
				if err != nil {
					return err
				}
				c.ClockOffset += time.Second
				if err := tx.UpdateCompany(f.ctx, &c); err != nil {
					return err
				}
				ms, err := tx.LockMembership(f.ctx, f.company.ID, m.ID)
				if err != nil {
					return err
				}
				ms.PaidCharges++
				if err := tx.UpdateMemberships(f.ctx, []memberd.Membership{ms}); err != nil {
					return err
				}
				pl, err := tx.LockPlan(f.ctx, f.company.ID, plan.ID)
				if err != nil {
					return err
				}
				*pl.Stock--
				return tx.UpdatePlan(f.ctx, &pl)
			})
		})
	}
	wg.Wait()
	f.view(func(tx memberd.Tx) error {
		c, err := tx.Company(f.ctx, f.company.ID)
		f.must(err)
		ms, err := tx.Membership(f.ctx, f.company.ID, m.ID)
		f.must(err)
		pl, err := tx.Plan(f.ctx, f.company.ID, plan.ID)
		f.must(err)
		if c.ClockOffset != n*time.Second || ms.PaidCharges != 1+n || *pl.Stock != 99-n {
			t.Errorf("after %d increments: offset %v, charges %d, stock %d", n, c.ClockOffset, ms.PaidCharges, *pl.Stock)
		}
		return nil
	})
}

func testDueWork(t *testing.T, f *fixture) {
	monthly := f.memberships(f.plan(30, "10"), 3)
	weekly := f.memberships(f.plan(7, "3"), 2)
	other := f.newCompany("Other")
	var due []memberd.Membership
	f.update(func(tx memberd.Tx) (err error) {
		due, err = tx.DueMemberships(f.ctx, f.company.ID, start.Add(8*day), 10, false)
		return err
	})
	if len(due) != 2 || due[0].ID != weekly[0].ID || due[1].ID != weekly[1].ID {
		t.Errorf("due by day 8: %d memberships, want the 2 weekly ones in order", len(due))
	}
	f.update(func(tx memberd.Tx) (err error) {
		due, err = tx.DueMemberships(f.ctx, "", start.Add(31*day), 4, true)
		return err
	})
	if len(due) != 4 || due[0].ID != weekly[0].ID || due[2].ID != monthly[0].ID {
		t.Errorf("due by day 31, at most 4: got %d", len(due))
	}
	f.update(func(tx memberd.Tx) (err error) {
		due, err = tx.DueMemberships(f.ctx, other.ID, start.Add(365*day), 10, false)
		return err
	})
	if len(due) != 0 {
		t.Errorf("another company has %d due", len(due))
	}
	// Companies with due work, by their own clocks.
	companies := func(realNow time.Time) []memberd.Company {
		var cs []memberd.Company
		f.view(func(tx memberd.Tx) (err error) { cs, err = tx.CompaniesWithDueWork(f.ctx, realNow, 10); return err })
		return cs
	}
	if cs := companies(start.Add(6 * day)); len(cs) != 0 {
		t.Errorf("%d companies with work due on day 6", len(cs))
	}
	f.update(func(tx memberd.Tx) error {
		c, err := tx.LockCompany(f.ctx, f.company.ID)
		if err != nil {
			return err
		}
		c.ClockOffset = day
		return tx.UpdateCompany(f.ctx, &c)
	})
	if cs := companies(start.Add(6 * day)); len(cs) != 1 || cs[0].ID != f.company.ID {
		t.Errorf("with its clock a day ahead, the company has work due on day 6: %d companies", len(cs))
	}
}

// Workers claiming due memberships at once each get their own: every
// membership is worked on exactly once.
func testDueClaimsAreExclusive(t *testing.T, f *fixture) {
	f.memberships(f.plan(30, "10"), 60)
	until := start.Add(31 * day)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				var batch []memberd.Membership
				f.update(func(tx memberd.Tx) (err error) {
					batch, err = tx.DueMemberships(f.ctx, "", until, 5, true)
					if err != nil || len(batch) == 0 {
						return err
					}
					for i := range batch {
						batch[i].Status = memberd.StatusCompleted // no more work
					}
					return tx.UpdateMemberships(f.ctx, batch)
				})
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				for _, m := range batch {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("%d memberships worked on, want 60", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s worked on %d times", id, n)
		}
	}
}

// With row locks (PostgreSQL), a transaction taking due work with
// skipLocked passes over the rows another one holds. SQLite has no row
// locks: it runs one writer at a time, so the second transaction would
// simply wait for the first.
func testSkipLocked(t *testing.T, f *fixture) {
	if f.store.Dialect().SkipLocked == "" {
		t.Skipf("%s runs one writer at a time: there are no locked rows to pass over", f.store.Dialect().Name)
	}
	f.memberships(f.plan(30, "10"), 6)
	until := start.Add(31 * day)
	held, release := make(chan []memberd.Membership), make(chan struct{})
	go func() {
		f.store.Update(f.ctx, func(tx memberd.Tx) error {
			batch, err := tx.DueMemberships(f.ctx, "", until, 4, true)
			held <- batch
			<-release
			return err
		})
	}()
	first := <-held
	defer close(release)
	var second []memberd.Membership
	f.update(func(tx memberd.Tx) (err error) {
		second, err = tx.DueMemberships(f.ctx, "", until, 4, true)
		return err
	})
	if len(first) != 4 || len(second) != 2 {
		t.Fatalf("first took %d, second %d; want 4 and the other 2", len(first), len(second))
	}
	for _, m := range second {
		if slices.ContainsFunc(first, func(x memberd.Membership) bool { return x.ID == m.ID }) {
			t.Errorf("%s taken by both", m.ID)
		}
	}
}

// Dispatchers claiming deliveries at once never get the same one.
func testOutboxClaimsAreExclusive(t *testing.T, f *fixture) {
	url := "https://example.com/hook"
	_, err := f.svc.CreateWebhook(f.ctx, f.company.ID, service.WebhookParams{URL: &url, Events: []string{string(memberd.EventMembershipActivated)}})
	f.must(err)
	const n = 100
	evs := make([]memberd.Event, n)
	for i := range evs {
		evs[i] = memberd.Event{ID: memberd.NewID(memberd.PrefixMessage), CompanyID: f.company.ID, Type: memberd.EventMembershipActivated,
			ObjectID: "mem_x", Data: []byte(`{"i":` + fmt.Sprint(i) + `}`), CreatedAt: start}
	}
	f.update(func(tx memberd.Tx) error { return tx.InsertEvents(f.ctx, evs) })
	now := time.Now()
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				var jobs []memberd.DeliveryJob
				f.update(func(tx memberd.Tx) (err error) {
					jobs, err = tx.ClaimDeliveries(f.ctx, now, now.Add(time.Hour), fmt.Sprint("worker", w), 7)
					return err
				})
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					claimed[j.Delivery.Seq]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Errorf("%d deliveries claimed, want %d", len(claimed), n)
	}
	for seq, c := range claimed {
		if c != 1 {
			t.Errorf("delivery %d claimed %d times", seq, c)
		}
	}
}

// Two transactions taking the same two rows in opposite orders deadlock on
// PostgreSQL; the database aborts one, the dialect calls that retryable and
// Update runs it again, so both commit. SQLite runs them one after the
// other and never deadlocks.
func testRetryable(t *testing.T, f *fixture) {
	ms := f.memberships(f.plan(30, "10"), 2)
	rowLocks := f.store.Dialect().ForUpdate != ""
	var ready sync.WaitGroup
	ready.Add(2)
	var mu sync.Mutex
	runs := 0
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			firstRun := true
			f.update(func(tx memberd.Tx) error {
				mu.Lock()
				runs++
				mu.Unlock()
				a, b := ms[i], ms[1-i]
				m, err := tx.LockMembership(f.ctx, f.company.ID, a.ID)
				if err != nil {
					return err
				}
				if rowLocks && firstRun {
					firstRun = false
					ready.Done()
					ready.Wait() // both hold their first row
				}
				m2, err := tx.LockMembership(f.ctx, f.company.ID, b.ID)
				if err != nil {
					return err
				}
				m.PaidCharges++
				m2.PaidCharges++
				return tx.UpdateMemberships(f.ctx, []memberd.Membership{m, m2})
			})
		})
	}
	wg.Wait()
	if rowLocks && runs < 3 {
		t.Errorf("%d runs: the deadlock should have made one transaction run again", runs)
	}
	for _, m := range ms {
		var got memberd.Membership
		f.view(func(tx memberd.Tx) (err error) { got, err = tx.Membership(f.ctx, f.company.ID, m.ID); return err })
		if got.PaidCharges != 3 {
			t.Errorf("%s: %d charges, want 3 (1 + one per transaction)", m.ID, got.PaidCharges)
		}
	}
}

// Sums of money come back as exact integers (PostgreSQL sums BIGINT as
// NUMERIC).
func testAggregates(t *testing.T, f *fixture) {
	f.memberships(f.plan(30, "10.5"), 3)
	var groups []memberd.RevenueGroup
	f.view(func(tx memberd.Tx) (err error) { groups, err = tx.RenewalRevenue(f.ctx, f.company.ID); return err })
	if len(groups) != 1 || groups[0].Memberships != 3 || groups[0].RenewalSum != memberd.MustMoney("31.5") {
		t.Errorf("renewal revenue %+v", groups)
	}
	var days []memberd.DayCharges
	f.view(func(tx memberd.Tx) (err error) {
		days, err = tx.SubscriptionChargesPerDay(f.ctx, f.company.ID, start.Add(-day), 3)
		return err
	})
	if len(days) != 1 || days[0].Day != 1 || days[0].Paid != 3 {
		t.Errorf("charges per day %+v", days)
	}
	var byStatus map[memberd.Status]int
	f.view(func(tx memberd.Tx) (err error) {
		byStatus, err = tx.CountMembershipsByStatus(f.ctx, memberd.MembershipFilter{CompanyID: f.company.ID})
		return err
	})
	if byStatus[memberd.StatusActive] != 3 {
		t.Errorf("by status %v", byStatus)
	}
}
