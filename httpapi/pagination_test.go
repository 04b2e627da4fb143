package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/memberd/memberd/service"
)

// Paging over many pages, forward with first/after and backward with
// last/before, in every order and direction, visits each membership once
// and keeps the order; end_cursor is null exactly on the last page.
func TestPagination(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	const n = 137
	ctx := context.Background()
	var all []string
	for i := range n {
		u, err := e.svc.CreateUser(ctx, service.UserParams{Username: fmt.Sprintf("pager%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		plan := f.monthly
		if i%3 == 0 {
			plan = f.lifetime
		}
		m, _, err := e.svc.Checkout(ctx, e.company, service.CheckoutParams{PlanID: plan, UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m.ID)
		if i%2 == 0 { // pairs share a creation instant, so ties must break cleanly
			e.clock.Add(time.Millisecond)
		}
	}
	base := "/api/v1/memberships?company_id=" + e.company
	page := func(q url.Values) (ids []string, r response) {
		t.Helper()
		r = e.call("GET", base+"&"+q.Encode(), nil).want(t, 200)
		for _, m := range r.get("data").([]any) {
			ids = append(ids, m.(map[string]any)["id"].(string))
		}
		return ids, r
	}
	full := func(order, dir string) []string {
		q := url.Values{"first": {"100"}, "order": {order}, "direction": {dir}}
		var out []string
		for {
			ids, r := page(q)
			out = append(out, ids...)
			if r.get("page_info.end_cursor") == nil {
				return out
			}
			q.Set("after", r.str("page_info.end_cursor"))
		}
	}
	for _, order := range []string{"created_at", "id", "status", "total_spend", "date_joined", "canceled_at"} {
		for _, dir := range []string{"asc", "desc"} {
			t.Run(order+" "+dir, func(t *testing.T) {
				want := full(order, dir)
				if len(want) != n || len(uniq(want)) != n {
					t.Fatalf("reference list has %d items, %d distinct", len(want), len(uniq(want)))
				}
				// Forward in pages of 9.
				var fwd []string
				q := url.Values{"first": {"9"}, "order": {order}, "direction": {dir}}
				pages := 0
				for {
					ids, r := page(q)
					pages++
					fwd = append(fwd, ids...)
					last := r.get("page_info.end_cursor") == nil
					if last != !r.get("page_info.has_next_page").(bool) {
						t.Fatalf("page %d: end_cursor %v with has_next_page %v", pages, r.get("page_info.end_cursor"), r.get("page_info.has_next_page"))
					}
					if (pages > 1) != r.get("page_info.has_previous_page").(bool) {
						t.Fatalf("page %d: has_previous_page %v", pages, r.get("page_info.has_previous_page"))
					}
					if last {
						break
					}
					q.Set("after", r.str("page_info.end_cursor"))
				}
				if !slices.Equal(fwd, want) || pages != (n+8)/9 {
					t.Fatalf("forward paging in %d pages differs from the full list", pages)
				}
				// Backward in pages of 7 from the end.
				var back []string
				q = url.Values{"last": {"7"}, "order": {order}, "direction": {dir}}
				for {
					ids, r := page(q)
					back = append(ids, back...)
					if r.get("page_info.start_cursor") == nil {
						if r.get("page_info.has_previous_page").(bool) {
							t.Fatal("no start_cursor but has_previous_page")
						}
						break
					}
					q.Set("before", r.str("page_info.start_cursor"))
				}
				if !slices.Equal(back, want) {
					t.Fatalf("backward paging differs from the full list")
				}
			})
		}
	}
	t.Run("default order is newest first", func(t *testing.T) {
		got := full("created_at", "desc")
		ids, _ := page(url.Values{})
		if !slices.Equal(ids, got[:20]) {
			t.Errorf("default page differs from created_at desc")
		}
		if got[0] != all[n-1] && got[1] != all[n-1] {
			t.Errorf("newest first: %v, created last %s", got[:2], all[n-1])
		}
	})
	t.Run("filters page too", func(t *testing.T) {
		var ids []string
		q := url.Values{"first": {"5"}, "statuses[]": {"completed"}}
		for {
			got, r := page(q)
			ids = append(ids, got...)
			if r.get("page_info.end_cursor") == nil {
				break
			}
			q.Set("after", r.str("page_info.end_cursor"))
		}
		if len(ids) != (n+2)/3 || len(uniq(ids)) != len(ids) {
			t.Errorf("%d completed memberships", len(ids))
		}
	})
	t.Run("after the last item the page is empty", func(t *testing.T) {
		ids, r := page(url.Values{"last": {"1"}})
		if len(ids) != 1 || r.str("page_info.start_cursor") == "" || r.get("page_info.has_next_page") != false {
			t.Fatalf("last page %v %v", ids, r.get("page_info"))
		}
		ids, r = page(url.Values{"after": {r.str("page_info.start_cursor")}})
		if len(ids) != 0 || r.get("page_info.end_cursor") != nil || r.get("page_info.has_previous_page") != true || r.get("page_info.has_next_page") != false {
			t.Errorf("past the end: %v %v", ids, r.get("page_info"))
		}
	})
}

func uniq(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}
