package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd"
)

func TestMembershipEndpoints(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	m := e.checkout(f.monthly, "")
	id := m.str("id")
	if !memberd.HasPrefix(id, "mem_") || len(id) != 18 {
		t.Errorf("id %q", id)
	}
	if m.str("status") != "active" || m.str("currency") != "usd" || m.str("plan.id") != f.monthly || m.str("product.title") != "Pro" ||
		m.str("company.id") != e.company || m.str("company.title") != "Acme" || !strings.HasPrefix(m.str("member.id"), "mber_") ||
		!strings.HasSuffix(m.str("manage_url"), "/billing/manage/"+id) || m.get("user.email") == nil {
		t.Errorf("checkout answered %s", m.Body)
	}
	if m.str("created_at") != "2026-03-01T09:00:00.000Z" || m.str("renewal_period_end") != "2026-03-31T09:00:00.000Z" {
		t.Errorf("times %s %s", m.str("created_at"), m.str("renewal_period_end"))
	}
	base := "/api/v1/memberships/" + id

	t.Run("retrieve", func(t *testing.T) {
		r := e.call("GET", base, nil).membership(t)
		if r.str("id") != id || r.str("status") != "active" {
			t.Errorf("got %s", r.Body)
		}
	})
	t.Run("update replaces metadata, null clears it, absent leaves it", func(t *testing.T) {
		r := e.call("PATCH", base, map[string]any{"metadata": map[string]any{"hwid": "abc", "tier": 2}}).membership(t)
		if r.str("metadata.hwid") != "abc" || r.str("metadata.tier") != "2" {
			t.Errorf("got %s", r.Body)
		}
		r = e.call("PATCH", base, map[string]any{"metadata": map[string]any{"other": "x"}}).membership(t)
		if r.get("metadata.hwid") != nil || r.str("metadata.other") != "x" {
			t.Errorf("metadata must be replaced whole: %s", r.Body)
		}
		r = e.call("PATCH", base, map[string]any{}).membership(t)
		if r.str("metadata.other") != "x" {
			t.Errorf("absent metadata must stay: %s", r.Body)
		}
		r = e.call("PATCH", base, `{"metadata": null}`).membership(t)
		if r.get("metadata") != nil {
			t.Errorf("null must clear: %s", r.Body)
		}
	})
	t.Run("pause and resume", func(t *testing.T) {
		r := e.call("POST", base+"/pause", map[string]any{"resumes_at": "2026-05-01T00:00:00.000Z"}).membership(t)
		if r.get("payment_collection_paused") != true || r.str("status") != "active" {
			t.Errorf("got %s", r.Body)
		}
		r = e.call("POST", base+"/resume", nil).membership(t)
		if r.get("payment_collection_paused") != false {
			t.Errorf("got %s", r.Body)
		}
		e.call("POST", base+"/resume", nil).membership(t) // not paused: succeeds, no change
	})
	t.Run("cancel and uncancel", func(t *testing.T) {
		r := e.call("POST", base+"/cancel", map[string]any{}).membership(t)
		if r.str("status") != "canceling" || r.get("cancel_at_period_end") != true || r.str("canceled_at") == "" || r.get("cancel_option") != nil {
			t.Errorf("got %s", r.Body)
		}
		r = e.call("POST", base+"/uncancel", nil).membership(t)
		if r.str("status") != "active" || r.get("cancel_at_period_end") != false || r.get("canceled_at") != nil {
			t.Errorf("got %s", r.Body)
		}
		want := []string{"payment.created", "payment.succeeded", "membership.activated",
			"membership.cancel_at_period_end_changed", "membership.cancel_at_period_end_changed"}
		if got := eventTypes(e.events(id)); !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
	t.Run("add free days", func(t *testing.T) {
		r := e.call("POST", base+"/add_free_days", map[string]any{"free_days": 7}).membership(t)
		if r.str("renewal_period_end") != "2026-04-07T09:00:00.000Z" {
			t.Errorf("got %s", r.str("renewal_period_end"))
		}
	})
	t.Run("resync access", func(t *testing.T) {
		r := e.call("POST", base+"/resync_access", nil).membership(t)
		if r.str("status") != "active" {
			t.Errorf("got %s", r.Body)
		}
	})
	t.Run("cancel immediately", func(t *testing.T) {
		r := e.call("POST", base+"/cancel", map[string]any{"cancellation_mode": "immediate"}).membership(t)
		if r.str("status") != "canceled" || r.get("cancel_at_period_end") != false {
			t.Errorf("got %s", r.Body)
		}
		evs := e.events(id)
		last := evs[len(evs)-1]
		if last.Type != memberd.EventMembershipDeactivated || !strings.Contains(string(last.Data), `"status":"canceled"`) {
			t.Errorf("last event %s %s", last.Type, last.Data)
		}
		validate(t, "Membership", last.Data)
		e.call("POST", base+"/cancel", map[string]any{"cancellation_mode": "immediate"}).membership(t) // again: no change
		if n := len(e.events(id)); n != len(evs) {
			t.Errorf("canceling a canceled membership fired events")
		}
	})
	t.Run("customer cancel sets the reason", func(t *testing.T) {
		other := e.checkout(f.monthly, "").str("id")
		r := e.call("POST", "/api/v1/test_helpers/memberships/"+other+"/customer_cancel",
			map[string]any{"cancel_option": "too_expensive", "cancellation_reason": "budget"}).membership(t)
		if r.str("cancel_option") != "too_expensive" || r.str("cancellation_reason") != "budget" || r.str("status") != "canceling" {
			t.Errorf("got %s", r.Body)
		}
		e.call("POST", "/api/v1/test_helpers/memberships/"+other+"/customer_cancel", map[string]any{"cancel_option": "because"}).
			wantError(t, 400, "parameter_invalid", "cancel_option")
	})
}

// Every state conflict answers 400 with its code and changes nothing.
func TestStateConflicts(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	lifetime := e.checkout(f.lifetime, "").str("id")
	drafted := e.checkout(f.monthly, "decline").str("id")
	if s := e.call("GET", "/api/v1/memberships/"+drafted, nil).str("status"); s != "drafted" {
		t.Fatalf("status %s", s)
	}
	expired := e.checkout(f.pass, "").str("id")
	canceled := e.checkout(f.monthly, "").str("id")
	e.call("POST", "/api/v1/memberships/"+canceled+"/cancel", map[string]any{"cancellation_mode": "immediate"}).membership(t)
	e.advance(31 * day)
	if s := e.call("GET", "/api/v1/memberships/"+expired, nil).str("status"); s != "expired" {
		t.Fatalf("status %s", s)
	}
	tests := []struct {
		id, path string
		body     any
		code     string
	}{
		{lifetime, "pause", nil, memberd.CodeMembershipNotPausable},
		{drafted, "pause", nil, memberd.CodeMembershipNotPausable},
		{canceled, "pause", nil, memberd.CodeMembershipNotPausable},
		{lifetime, "cancel", map[string]any{}, memberd.CodeMembershipNotRecurring},
		{drafted, "cancel", map[string]any{"cancellation_mode": "at_period_end"}, memberd.CodeMembershipNotCancelable},
		{expired, "cancel", map[string]any{"cancellation_mode": "immediate"}, memberd.CodeMembershipExpired},
		{lifetime, "add_free_days", map[string]any{"free_days": 3}, memberd.CodeMembershipNotExtendable},
		{canceled, "add_free_days", map[string]any{"free_days": 3}, memberd.CodeMembershipNotExtendable},
		{expired, "add_free_days", map[string]any{"free_days": 3}, memberd.CodeMembershipNotExtendable},
		{drafted, "add_free_days", map[string]any{"free_days": 3}, memberd.CodeMembershipNotExtendable},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.code, func(t *testing.T) {
			path := "/api/v1/memberships/" + tt.id
			before := e.call("GET", path, nil).membership(t).Body
			nEvents := len(e.events(tt.id))
			r := e.call("POST", path+"/"+tt.path, tt.body)
			r.wantError(t, 400, tt.code, "")
			if after := e.call("GET", path, nil).Body; string(after) != string(before) {
				t.Errorf("a refused request changed the membership:\n%s\n%s", before, after)
			}
			if len(e.events(tt.id)) != nEvents {
				t.Error("a refused request fired events")
			}
		})
	}
}

// Bad input answers a Whop-style 400 naming the parameter, and changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	id := e.checkout(f.monthly, "").str("id")
	path := "/api/v1/memberships/" + id
	before := e.call("GET", path, nil).Body
	tests := []struct {
		name, method, path string
		body               any
		code, param        string
	}{
		{"malformed JSON", "POST", path + "/pause", `{"void_payments": tru`, "invalid_json", ""},
		{"body not an object", "PATCH", path, `["metadata"]`, "invalid_json", ""},
		{"two JSON values", "PATCH", path, `{} {}`, "invalid_json", ""},
		{"unknown body parameter", "POST", path + "/pause", map[string]any{"void_payment": true}, "parameter_unknown", "void_payment"},
		{"unknown body parameter on resume", "POST", path + "/resume", map[string]any{"now": true}, "parameter_unknown", "now"},
		{"wrong type", "POST", path + "/pause", map[string]any{"void_payments": "yes"}, "parameter_invalid", "void_payments"},
		{"bad timestamp", "POST", path + "/pause", map[string]any{"resumes_at": "tomorrow"}, "parameter_invalid", "resumes_at"},
		{"resumes_at in the past", "POST", path + "/pause", map[string]any{"resumes_at": "2020-01-01T00:00:00Z"}, "parameter_invalid", "resumes_at"},
		{"resumes_at now", "POST", path + "/pause", map[string]any{"resumes_at": "2026-03-01T09:00:00.000Z"}, "parameter_invalid", "resumes_at"},
		{"free_days missing", "POST", path + "/add_free_days", map[string]any{}, "parameter_missing", "free_days"},
		{"free_days null", "POST", path + "/add_free_days", `{"free_days": null}`, "parameter_invalid", "free_days"},
		{"free_days zero", "POST", path + "/add_free_days", map[string]any{"free_days": 0}, "parameter_invalid", "free_days"},
		{"free_days too many", "POST", path + "/add_free_days", map[string]any{"free_days": 1096}, "parameter_invalid", "free_days"},
		{"free_days fraction", "POST", path + "/add_free_days", map[string]any{"free_days": 1.5}, "parameter_invalid", "free_days"},
		{"free_days string", "POST", path + "/add_free_days", map[string]any{"free_days": "7"}, "parameter_invalid", "free_days"},
		{"bad cancellation mode", "POST", path + "/cancel", map[string]any{"cancellation_mode": "now"}, "parameter_invalid", "cancellation_mode"},
		{"metadata not an object", "PATCH", path, map[string]any{"metadata": "x"}, "parameter_invalid", "metadata"},
		{"metadata value too long", "PATCH", path, map[string]any{"metadata": map[string]any{"k": strings.Repeat("v", 5001)}}, "parameter_invalid", "metadata"},
		{"unknown query parameter", "GET", "/api/v1/memberships?company_id=" + e.company + "&limit=5", nil, "parameter_unknown", "limit"},
		{"company_id missing", "GET", "/api/v1/memberships", nil, "parameter_missing", "company_id"},
		{"bad status filter", "GET", "/api/v1/memberships?company_id=" + e.company + "&statuses[]=paused", nil, "parameter_invalid", "statuses"},
		{"bad cancel option filter", "GET", "/api/v1/memberships?company_id=" + e.company + "&cancel_options[]=bored", nil, "parameter_invalid", "cancel_options"},
		{"bad order", "GET", "/api/v1/memberships?company_id=" + e.company + "&order=price", nil, "parameter_invalid", "order"},
		{"bad direction", "GET", "/api/v1/memberships?company_id=" + e.company + "&direction=up", nil, "parameter_invalid", "direction"},
		{"first zero", "GET", "/api/v1/memberships?company_id=" + e.company + "&first=0", nil, "parameter_invalid", "first"},
		{"first not a number", "GET", "/api/v1/memberships?company_id=" + e.company + "&first=ten", nil, "parameter_invalid", "first"},
		{"first and last", "GET", "/api/v1/memberships?company_id=" + e.company + "&first=2&last=2", nil, "parameter_invalid", "last"},
		{"garbage cursor", "GET", "/api/v1/memberships?company_id=" + e.company + "&after=xyz", nil, "parameter_invalid", "after"},
		{"cursor of another order", "GET", "/api/v1/memberships?company_id=" + e.company + "&order=status&after=" + memberd.Cursor{Order: "created_at", Value: int64(1), Seq: 1}.Encode(), nil, "parameter_invalid", "after"},
		{"cursor with the wrong value type", "GET", "/api/v1/memberships?company_id=" + e.company + "&before=" + memberd.Cursor{Order: "created_at", Value: "x", Seq: 1}.Encode(), nil, "parameter_invalid", "before"},
		{"bad created_after", "GET", "/api/v1/memberships?company_id=" + e.company + "&created_after=yesterday", nil, "parameter_invalid", "created_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.call(tt.method, tt.path, tt.body).wantError(t, 400, tt.code, tt.param)
		})
	}
	if after := e.call("GET", path, nil).Body; string(after) != string(before) {
		t.Errorf("bad requests changed the membership:\n%s\n%s", before, after)
	}
	if got := eventTypes(e.events(id)); len(got) != 3 {
		t.Errorf("bad requests fired events: %v", got)
	}
	t.Run("page sizes over 100 are clamped", func(t *testing.T) {
		r := e.call("GET", "/api/v1/memberships?company_id="+e.company+"&first=1000", nil).want(t, 200)
		if n := len(r.get("data").([]any)); n != 1 {
			t.Errorf("%d items", n)
		}
	})
	t.Run("a body over 1 MiB is refused", func(t *testing.T) {
		huge := `{"metadata": {"k": "` + strings.Repeat("x", 1<<20) + `"}}`
		e.call("PATCH", path, huge).wantError(t, 400, "parameter_invalid", "")
	})
	t.Run("unknown endpoint and method", func(t *testing.T) {
		e.call("GET", "/api/v1/nope", nil).wantError(t, 404, "", "")
		e.call("PUT", path, map[string]any{}).wantError(t, 405, "method_not_allowed", "")
	})
}

func TestAuthAndTenancy(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	id := e.checkout(f.monthly, "").str("id")
	path := "/api/v1/memberships/" + id

	t.Run("missing, malformed and unknown keys are 401", func(t *testing.T) {
		e.callKey("", "GET", path, nil).wantError(t, 401, "", "")
		e.callKey("apik_nope", "GET", path, nil).wantError(t, 401, "", "")
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Authorization", "Basic "+e.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("Basic auth: %d", resp.StatusCode)
		}
	})
	t.Run("a missing permission is 403 and changes nothing", func(t *testing.T) {
		readOnly := e.newKey(e.company, memberd.PermMemberBasicRead)
		for _, op := range []string{"pause", "resume", "uncancel", "cancel", "add_free_days", "resync_access"} {
			e.callKey(readOnly, "POST", path+"/"+op, map[string]any{}).wantError(t, 403, "", "")
		}
		e.callKey(readOnly, "PATCH", path, map[string]any{"metadata": map[string]any{"a": "b"}}).wantError(t, 403, "", "")
		if r := e.call("GET", path, nil).membership(t); r.get("payment_collection_paused") != false || r.get("metadata") != nil {
			t.Errorf("forbidden requests changed %s", r.Body)
		}
		cancelOnly := e.newKey(e.company, memberd.PermMembershipCancel)
		e.callKey(cancelOnly, "POST", path+"/cancel", map[string]any{}).wantError(t, 403, "", "")
		e.callKey(e.newKey(e.company, memberd.PermMemberManage), "GET", path, nil).wantError(t, 403, "", "")
	})
	t.Run("email is null without member:email:read", func(t *testing.T) {
		noEmail := e.newKey(e.company, memberd.PermMemberBasicRead)
		r := e.callKey(noEmail, "GET", path, nil).membership(t)
		if r.get("user.email") != nil || r.str("user.username") == "" {
			t.Errorf("user %v", r.get("user"))
		}
		list := e.callKey(noEmail, "GET", "/api/v1/memberships?company_id="+e.company, nil).want(t, 200)
		if list.get("data.0.user.email") != nil {
			t.Errorf("list leaks email: %v", list.get("data.0.user"))
		}
		if r := e.call("GET", path, nil); r.get("user.email") == nil {
			t.Error("email missing with member:email:read")
		}
	})
	t.Run("another company's objects are 404 through every id-bearing parameter", func(t *testing.T) {
		other, otherKey := e.newCompany("Other")
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", path, nil},
			{"PATCH", path, map[string]any{"metadata": map[string]any{}}},
			{"POST", path + "/cancel", map[string]any{}},
			{"POST", path + "/pause", map[string]any{}},
			{"POST", path + "/resume", nil},
			{"POST", path + "/uncancel", nil},
			{"POST", path + "/add_free_days", map[string]any{"free_days": 1}},
			{"POST", path + "/resync_access", nil},
			{"POST", "/api/v1/test_helpers/memberships/" + id + "/customer_cancel", map[string]any{"cancel_option": "other"}},
			{"GET", "/api/v1/memberships?company_id=" + e.company, nil},
			{"GET", "/api/v1/plans/" + f.monthly, nil},
			{"PATCH", "/api/v1/plans/" + f.monthly, map[string]any{"title": "x"}},
			{"DELETE", "/api/v1/plans/" + f.monthly, nil},
			{"GET", "/api/v1/products/" + f.product, nil},
			{"DELETE", "/api/v1/products/" + f.product, nil},
			{"GET", "/api/v1/companies/" + e.company, nil},
			{"GET", "/api/v1/payments?company_id=" + e.company, nil},
			{"GET", "/api/v1/plans?company_id=" + e.company, nil},
			{"GET", "/api/v1/products?account_id=" + e.company, nil},
			{"POST", "/api/v1/plans", map[string]any{"account_id": e.company, "product_id": f.product}},
		} {
			e.callKey(otherKey, req.method, req.path, req.body).wantError(t, 404, "", "")
		}
		// Body fields naming another company's objects are refused too.
		e.callKey(otherKey, "POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": f.monthly, "user_id": e.user("")}).wantError(t, 400, "parameter_invalid", "plan_id")
		otherProduct := e.callKey(otherKey, "POST", "/api/v1/products", map[string]any{"title": "Theirs"}).want(t, 200).str("id")
		e.call("POST", "/api/v1/plans", map[string]any{"product_id": otherProduct}).wantError(t, 400, "parameter_invalid", "product_id")
		// Filters naming another company's objects find nothing.
		r := e.callKey(otherKey, "GET", "/api/v1/memberships?company_id="+other+"&plan_ids[]="+f.monthly, nil).want(t, 200)
		if n := len(r.get("data").([]any)); n != 0 {
			t.Errorf("%d memberships of another company", n)
		}
		// A cursor from one company's list pages through nothing of it for another.
		e.checkout(f.monthly, "")
		page := e.call("GET", "/api/v1/memberships?company_id="+e.company+"&first=1", nil).want(t, 200)
		cursor := page.str("page_info.end_cursor")
		r = e.callKey(otherKey, "GET", "/api/v1/memberships?company_id="+other+"&after="+cursor, nil).want(t, 200)
		if n := len(r.get("data").([]any)); n != 0 {
			t.Errorf("a cursor leaked %d memberships", n)
		}
		// Nothing changed for the owner.
		if r := e.call("GET", path, nil).membership(t); r.str("status") != "active" || r.get("metadata") != nil {
			t.Errorf("another company changed %s", r.Body)
		}
	})
}

func TestListFiltersAndOrders(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	active := e.checkout(f.monthly, "").str("id")
	e.clock.Add(time.Second)
	trialing := e.checkout(f.trial, "").str("id")
	e.clock.Add(time.Second)
	lifetime := e.checkout(f.lifetime, "").str("id")
	e.clock.Add(time.Second)
	customer := e.checkout(f.monthly, "")
	canceled := customer.str("id")
	e.call("POST", "/api/v1/test_helpers/memberships/"+canceled+"/customer_cancel", map[string]any{"cancel_option": "switching", "cancellation_mode": "immediate"}).membership(t)
	list := func(query string) []string {
		t.Helper()
		r := e.call("GET", "/api/v1/memberships?company_id="+e.company+query, nil).want(t, 200)
		var ids []string
		for _, m := range r.get("data").([]any) {
			ids = append(ids, m.(map[string]any)["id"].(string))
			raw := fmt.Sprint(m)
			_ = raw
		}
		return ids
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{canceled, lifetime, trialing, active}},
		{"&direction=asc", []string{active, trialing, lifetime, canceled}},
		{"&statuses[]=active&statuses[]=trialing", []string{trialing, active}},
		{"&statuses=active&statuses=trialing", []string{trialing, active}},
		{"&statuses[]=completed", []string{lifetime}},
		{"&plan_ids[]=" + f.trial, []string{trialing}},
		{"&product_ids[]=" + f.product + "&statuses[]=canceled", []string{canceled}},
		{"&cancel_options[]=switching", []string{canceled}},
		{"&user_ids[]=" + customer.str("user.id"), []string{canceled}},
		{"&created_after=2026-03-01T09:00:01.500Z", []string{canceled, lifetime}},
		{"&created_before=2026-03-01T09:00:01.500Z", []string{trialing, active}},
		{"&order=status&direction=asc", []string{active, canceled, lifetime, trialing}},
		{"&order=total_spend&direction=desc", []string{lifetime, canceled, active, trialing}},
	} {
		if got := list(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, order := range []string{"id", "canceled_at", "date_joined", "created_at"} {
		if got := list("&order=" + order); len(got) != 4 {
			t.Errorf("order %s: %v", order, got)
		}
	}
}
