package httpapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/memberd/memberd"
)

func TestProducts(t *testing.T) {
	e := newEnv(t)
	r := e.call("POST", "/api/v1/products", map[string]any{"title": "Course", "description": "d", "metadata": map[string]any{"k": "v"},
		"account_id": e.company, "custom_cta": "join"}).want(t, 200)
	id := r.str("id")
	if !strings.HasPrefix(id, "prod_") || len(id) != 18 || r.str("title") != "Course" || r.str("company.id") != e.company ||
		r.str("metadata.k") != "v" || r.str("visibility") != "visible" || r.str("owner_user.id") == "" {
		t.Errorf("create %s", r.Body)
	}
	e.call("POST", "/api/v1/products", map[string]any{"title": "By company_id", "company_id": e.company}).want(t, 200)
	e.call("POST", "/api/v1/products", map[string]any{}).wantError(t, 400, "parameter_missing", "title")
	e.call("POST", "/api/v1/products", map[string]any{"title": strings.Repeat("x", 81)}).wantError(t, 400, "parameter_invalid", "title")
	e.call("POST", "/api/v1/products", map[string]any{"title": "x", "visibility": "secret"}).wantError(t, 400, "parameter_invalid", "visibility")
	e.call("POST", "/api/v1/products", map[string]any{"title": "x", "colour": "red"}).wantError(t, 400, "parameter_unknown", "colour")

	r = e.call("PATCH", "/api/v1/products/"+id, map[string]any{"title": "Course 2", "description": nil}).want(t, 200)
	if r.str("title") != "Course 2" || r.get("description") != nil || r.str("metadata.k") != "v" {
		t.Errorf("update %s", r.Body)
	}
	if r := e.call("GET", "/api/v1/products/"+id, nil).want(t, 200); r.str("title") != "Course 2" {
		t.Errorf("retrieve %s", r.Body)
	}
	for _, q := range []string{"", "?company_id=" + e.company, "?account_id=" + e.company, "?visibilities[]=visible"} {
		if n := len(e.call("GET", "/api/v1/products"+q, nil).want(t, 200).get("data").([]any)); n != 2 {
			t.Errorf("list%s: %d", q, n)
		}
	}
	// A product with memberships cannot be deleted; one without can.
	plan := e.call("POST", "/api/v1/plans", map[string]any{"product_id": id, "renewal_price": 5}).want(t, 200).str("id")
	e.checkout(plan, "")
	e.call("DELETE", "/api/v1/products/"+id, nil).wantError(t, 400, "product_has_memberships", "")
	empty := e.call("POST", "/api/v1/products", map[string]any{"title": "Empty"}).want(t, 200).str("id")
	if r := e.call("DELETE", "/api/v1/products/"+empty, nil).want(t, 200); string(r.Body) != "true\n" {
		t.Errorf("delete answered %q", r.Body)
	}
	e.call("GET", "/api/v1/products/"+empty, nil).wantError(t, 404, "", "")
	e.call("DELETE", "/api/v1/products/"+empty, nil).wantError(t, 404, "", "")
}

func TestPlans(t *testing.T) {
	e := newEnv(t)
	product := e.call("POST", "/api/v1/products", map[string]any{"title": "Pro"}).want(t, 200).str("id")
	r := e.call("POST", "/api/v1/plans", map[string]any{"product_id": product, "plan_type": "renewal", "billing_period": 365,
		"initial_price": 99.99, "renewal_price": 89.5, "trial_period_days": 7, "currency": "eur", "title": "Annual",
		"adaptive_pricing_enabled": false}).want(t, 200)
	id := r.str("id")
	if !strings.HasPrefix(id, "plan_") || r.get("billing_period").(float64) != 365 || r.get("initial_price").(float64) != 99.99 ||
		r.get("renewal_price").(float64) != 89.5 || r.str("currency") != "eur" || r.get("trial_period_days").(float64) != 7 ||
		r.str("product.id") != product || r.str("account.id") != e.company || r.str("plan_type") != "renewal" {
		t.Errorf("create %s", r.Body)
	}
	if !strings.Contains(string(r.Body), `"initial_price":99.99,`) {
		t.Errorf("prices must be exact JSON numbers: %s", r.Body)
	}
	for _, tt := range []struct {
		body        map[string]any
		code, param string
	}{
		{map[string]any{}, "parameter_missing", "product_id"},
		{map[string]any{"product_id": "prod_nope"}, "parameter_invalid", "product_id"},
		{map[string]any{"product_id": product, "plan_type": "weekly"}, "parameter_invalid", "plan_type"},
		{map[string]any{"product_id": product, "billing_period": 0}, "parameter_invalid", "billing_period"},
		{map[string]any{"product_id": product, "initial_price": -1}, "parameter_invalid", "initial_price"},
		{map[string]any{"product_id": product, "initial_price": 0.123456789}, "parameter_invalid", "initial_price"},
		{map[string]any{"product_id": product, "initial_price": "10"}, "parameter_invalid", "initial_price"},
		{map[string]any{"product_id": product, "currency": "doubloons"}, "parameter_invalid", "currency"},
		{map[string]any{"product_id": product, "plan_type": "one_time", "trial_period_days": 3}, "parameter_invalid", "trial_period_days"},
		{map[string]any{"product_id": product, "plan_type": "one_time", "billing_period": 30}, "parameter_invalid", "billing_period"},
		{map[string]any{"product_id": product, "expiration_days": 30}, "parameter_invalid", "expiration_days"},
		{map[string]any{"product_id": product, "trial_period_days": 1000}, "parameter_invalid", "trial_period_days"},
	} {
		e.call("POST", "/api/v1/plans", tt.body).wantError(t, 400, tt.code, tt.param)
	}
	one := e.call("POST", "/api/v1/plans", map[string]any{"product_id": product, "plan_type": "one_time", "initial_price": 20, "expiration_days": 30, "company_id": e.company}).want(t, 200)
	if one.get("billing_period") != nil || one.get("expiration_days").(float64) != 30 || one.get("trial_period_days") != nil {
		t.Errorf("one-time %s", one.Body)
	}

	// Editing a plan changes what new checkouts get, not existing memberships.
	m := e.checkout(id, "")
	r = e.call("PATCH", "/api/v1/plans/"+id, map[string]any{"renewal_price": 120, "trial_period_days": nil, "title": nil}).want(t, 200)
	if r.get("renewal_price").(float64) != 120 || r.get("trial_period_days") != nil || r.get("title") != nil {
		t.Errorf("update %s", r.Body)
	}
	e.call("PATCH", "/api/v1/plans/"+id, map[string]any{"billing_period": -1}).wantError(t, 400, "parameter_invalid", "billing_period")
	e.call("PATCH", "/api/v1/plans/"+id, map[string]any{"plan_type": "one_time"}).wantError(t, 400, "parameter_unknown", "plan_type")
	evs := e.advance(7 * day) // trial ends: charges the initial price the membership was sold at
	if len(evs) < 2 {
		t.Fatalf("events %v", types(evs))
	}
	p := e.call("GET", "/api/v1/payments?company_id="+e.company+"&membership_ids[]="+m.str("id"), nil).want(t, 200)
	if p.get("data.0.total").(float64) != 99.99 || p.str("data.0.currency") != "eur" {
		t.Errorf("payment %v", p.get("data.0"))
	}

	list := e.call("GET", "/api/v1/plans?account_id="+e.company+"&plan_types[]=one_time", nil).want(t, 200)
	if n := len(list.get("data").([]any)); n != 1 {
		t.Errorf("one-time plans: %d", n)
	}
	// Deleting a plan leaves its memberships working.
	if r := e.call("DELETE", "/api/v1/plans/"+id, nil).want(t, 200); string(r.Body) != "true\n" {
		t.Errorf("delete %q", r.Body)
	}
	e.call("GET", "/api/v1/plans/"+id, nil).wantError(t, 404, "", "")
	if r := e.get(m.str("id")); r.str("plan.id") != id || r.str("status") != "active" {
		t.Errorf("membership after plan delete %s", r.Body)
	}
	e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": id, "user_id": e.user("")}).wantError(t, 400, "parameter_invalid", "plan_id")
}

func TestPromoCodes(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	body := map[string]any{"amount_off": 50, "base_currency": "usd", "code": "HALF", "company_id": e.company, "new_users_only": false,
		"promo_duration_months": 1, "promo_type": "percentage", "product_id": f.product}
	r := e.call("POST", "/api/v1/promo_codes", body).want(t, 200)
	promo := r.str("id")
	if !strings.HasPrefix(promo, "promo_") || len(promo) != 18 || r.str("duration") != "once" || r.str("company.id") != e.company || r.str("product.id") != f.product {
		t.Errorf("create %s", r.Body)
	}
	e.call("POST", "/api/v1/promo_codes", body).wantError(t, 400, "parameter_invalid", "code")
	e.call("POST", "/api/v1/promo_codes", map[string]any{"code": "X"}).wantError(t, 400, "", "")
	if r := e.call("GET", "/api/v1/promo_codes/"+promo, nil).want(t, 200); r.str("code") != "HALF" {
		t.Errorf("retrieve %s", r.Body)
	}
	m := e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": f.monthly, "user_id": e.user(""), "promo_code_id": promo}).membership(t)
	if m.str("promo_code.id") != promo {
		t.Errorf("membership promo %v", m.get("promo_code"))
	}
	e.advance(30 * day)
	p := e.call("GET", "/api/v1/payments?company_id="+e.company+"&membership_ids[]="+m.str("id")+"&direction=asc", nil).want(t, 200)
	if p.get("data.0.total").(float64) != 5 || p.get("data.0.subtotal").(float64) != 10 || p.get("data.1.total").(float64) != 10 || p.str("data.0.promo_code.code") != "HALF" {
		t.Errorf("once: %v then %v", p.get("data.0.total"), p.get("data.1.total"))
	}
	if r := e.call("GET", "/api/v1/promo_codes/"+promo, nil); r.get("uses").(float64) != 1 {
		t.Errorf("uses %v", r.get("uses"))
	}
	if n := len(e.call("GET", "/api/v1/promo_codes?company_id="+e.company, nil).want(t, 200).get("data").([]any)); n != 1 {
		t.Errorf("list %d", n)
	}
	if r := e.call("DELETE", "/api/v1/promo_codes/"+promo, nil).want(t, 200); string(r.Body) != "true\n" {
		t.Errorf("delete %q", r.Body)
	}
	e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": f.monthly, "user_id": e.user(""), "promo_code_id": promo}).
		wantError(t, 400, "promo_code_not_applicable", "promo_code_id")
}

func TestPaymentsRetryAndVoid(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	user := e.user("decline_renewals")
	id := e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": f.monthly, "user_id": user}).membership(t).str("id")
	e.advance(30 * day)
	list := e.call("GET", "/api/v1/payments?company_id="+e.company+"&statuses[]=open", nil).want(t, 200)
	pay := list.str("data.0.id")
	if !strings.HasPrefix(pay, "pay_") || len(pay) != 18 {
		t.Fatalf("open payment %s", list.Body)
	}
	r := e.call("POST", "/api/v1/payments/"+pay+"/retry", nil).want(t, 200)
	if r.str("status") != "open" || r.get("payments_failed").(float64) != 2 || r.str("next_payment_attempt") != "2026-04-01T09:00:00.000Z" {
		t.Errorf("failed manual retry %s", r.Body)
	}
	e.call("POST", "/api/v1/test_helpers/payment_methods", map[string]any{"user_id": user, "behavior": "succeed"}).want(t, 200)
	r = e.call("POST", "/api/v1/payments/"+pay+"/retry", nil).want(t, 200)
	if r.str("status") != "paid" || r.str("membership.status") != "active" {
		t.Errorf("successful retry %s", r.Body)
	}
	e.call("POST", "/api/v1/payments/"+pay+"/retry", nil).wantError(t, 400, "payment_not_retryable", "")
	e.call("POST", "/api/v1/payments/"+pay+"/void", nil).wantError(t, 400, "payment_not_voidable", "")
	if e.get(id).str("status") != "active" {
		t.Error("membership not active after a paid retry")
	}
	// Void: a past_due payment stops being collected.
	other := e.checkout(f.monthly, "decline_renewals").str("id")
	e.advance(30 * day)
	open := e.call("GET", "/api/v1/payments?company_id="+e.company+"&statuses[]=open&membership_ids[]="+other, nil).want(t, 200).str("data.0.id")
	r = e.call("POST", "/api/v1/payments/"+open+"/void", nil).want(t, 200)
	if r.str("status") != "void" || r.get("voidable") != false || r.get("next_payment_attempt") != nil {
		t.Errorf("void %s", r.Body)
	}
	if got := e.advance(10 * day); len(got) != 0 {
		t.Errorf("a void payment was retried: %v", types(got))
	}
	e.call("GET", "/api/v1/payments/pay_nope", nil).wantError(t, 404, "", "")
	e.call("GET", "/api/v1/payments?company_id="+e.company+"&statuses[]=lost", nil).wantError(t, 400, "parameter_invalid", "statuses")
	for _, order := range []string{"created_at", "paid_at", "final_amount"} {
		e.call("GET", "/api/v1/payments?company_id="+e.company+"&order="+order, nil).want(t, 200)
	}
}

func TestCompaniesUsersMembers(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	m := e.checkout(f.monthly, "")
	user := m.str("user.id")

	r := e.call("GET", "/api/v1/companies/"+e.company, nil).want(t, 200)
	if r.str("title") != "Acme" || r.str("owner_user.id") == "" || r.str("route") == "" {
		t.Errorf("company %s", r.Body)
	}
	child := e.call("POST", "/api/v1/companies", map[string]any{"title": "Acme EU"}).want(t, 200)
	if child.str("parent_company_id") != e.company {
		t.Errorf("child %s", child.Body)
	}
	if n := len(e.call("GET", "/api/v1/companies", nil).want(t, 200).get("data").([]any)); n != 1 {
		t.Errorf("children %d", n)
	}
	key := e.call("POST", "/api/v1/companies/"+child.str("id")+"/api_keys", map[string]any{"permissions": []string{"member:basic:read"}}).want(t, 200)
	if !strings.HasPrefix(key.str("secret_key"), "apik_") {
		t.Errorf("key %s", key.Body)
	}
	if r := e.callKey(key.str("secret_key"), "GET", "/api/v1/memberships?company_id="+child.str("id"), nil).want(t, 200); len(r.get("data").([]any)) != 0 {
		t.Errorf("child memberships %s", r.Body)
	}
	e.call("POST", "/api/v1/companies/"+child.str("id")+"/api_keys", map[string]any{"permissions": []string{"root"}}).wantError(t, 400, "parameter_invalid", "permissions")

	if u := e.call("GET", "/api/v1/users/"+user, nil).want(t, 200); u.str("id") != user || u.get("email") != nil {
		t.Errorf("user %s", u.Body)
	}
	e.call("GET", "/api/v1/users/user_nope", nil).wantError(t, 404, "", "")
	e.call("POST", "/api/v1/test_helpers/users", map[string]any{"username": m.str("user.username")}).wantError(t, 400, "parameter_invalid", "username")
	e.call("POST", "/api/v1/test_helpers/users", map[string]any{}).wantError(t, 400, "parameter_missing", "username")

	for resource, want := range map[string]bool{f.product: true, f.monthly: true, f.trial: false} {
		r := e.call("GET", "/api/v1/users/"+user+"/access/"+resource, nil).want(t, 200)
		if r.get("has_access") != want {
			t.Errorf("access to %s: %s", resource, r.Body)
		}
	}
	e.call("POST", "/api/v1/memberships/"+m.str("id")+"/cancel", map[string]any{"cancellation_mode": "immediate"}).membership(t)
	if r := e.call("GET", "/api/v1/users/"+user+"/access/"+f.product, nil); r.get("has_access") != false || r.str("access_level") != "no_access" {
		t.Errorf("access after cancel %s", r.Body)
	}

	members := e.call("GET", "/api/v1/members?company_id="+e.company, nil).want(t, 200)
	if members.str("data.0.id") != m.str("member.id") || members.str("data.0.user.id") != user {
		t.Errorf("members %s", members.Body)
	}
	if r := e.call("GET", "/api/v1/members/"+m.str("member.id"), nil).want(t, 200); r.str("company.id") != e.company || r.get("usd_total_spent").(float64) != 10 {
		t.Errorf("member %s", r.Body)
	}
}

// Creating a promo code answers it as retrieving it does, its product's
// title included (found by the conformance suite: create answered "").
func TestPromoCodeCreateAnswersLikeRetrieve(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	created := e.call("POST", "/api/v1/promo_codes", map[string]any{"amount_off": 10, "base_currency": "usd", "code": "TEN",
		"company_id": e.company, "new_users_only": false, "promo_duration_months": 0, "promo_type": "percentage", "product_id": f.product}).want(t, 200)
	if created.str("product.title") != "Pro" {
		t.Errorf("create answered product %v", created.get("product"))
	}
	if got := e.call("GET", "/api/v1/promo_codes/"+created.str("id"), nil).want(t, 200); string(got.Body) != string(created.Body) {
		t.Errorf("create answered\n%s\nretrieve answers\n%s", created.Body, got.Body)
	}
}

// A payment made with a card renders the card's creation time as
// payment_method.created_at (the SDK types it as a string, never null), in
// the API and in the payment's events alike. Found by the conformance suite.
func TestPaymentMethodCreatedAt(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	user := e.user("")
	card := e.call("POST", "/api/v1/test_helpers/payment_methods", map[string]any{"user_id": user, "behavior": "succeed"}).want(t, 200)
	e.clock.Add(time.Hour)
	m := e.call("POST", "/api/v1/test_helpers/checkouts", map[string]any{"plan_id": f.monthly, "user_id": user}).membership(t)
	e.advance(30 * day)
	payments := e.call("GET", "/api/v1/payments?company_id="+e.company, nil).want(t, 200).get("data").([]any)
	if len(payments) != 2 {
		t.Fatalf("%d payments", len(payments))
	}
	for _, p := range payments {
		pm := p.(map[string]any)["payment_method"].(map[string]any)
		if pm["id"] != card.str("id") || pm["created_at"] != card.str("created_at") {
			t.Errorf("payment_method %v, card %s", pm, card.Body)
		}
		one := e.call("GET", "/api/v1/payments/"+p.(map[string]any)["id"].(string), nil).want(t, 200)
		if one.str("payment_method.created_at") != card.str("created_at") {
			t.Errorf("retrieved payment_method %v", one.get("payment_method"))
		}
	}
	for _, ev := range e.events(m.str("id")) {
		if !strings.HasPrefix(string(ev.Type), "payment.") {
			continue
		}
		var data struct {
			PaymentMethod struct {
				CreatedAt *string `json:"created_at"`
			} `json:"payment_method"`
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.PaymentMethod.CreatedAt == nil || *data.PaymentMethod.CreatedAt != card.str("created_at") {
			t.Errorf("%s: payment_method.created_at %v", ev.Type, data.PaymentMethod.CreatedAt)
		}
	}
}

// The SDK's companies.createAPIKey(parent, {child_company_id, name,
// permissions: [{actions, grant, resources}], role}) mints a key for the
// child. Found by the conformance suite: child_company_id was unknown.
func TestCreateAPIKeyTheSDKWay(t *testing.T) {
	e := newEnv(t)
	child := e.call("POST", "/api/v1/companies", map[string]any{"title": "Acme EU"}).want(t, 200).str("id")
	path := "/api/v1/companies/" + e.company + "/api_keys"
	key := e.call("POST", path, map[string]any{"child_company_id": child, "name": "eu", "role": "admin"}).want(t, 200)
	if key.str("name") != "eu" || !strings.HasPrefix(key.str("secret_key"), "apik_") || len(key.get("permissions").([]any)) != len(memberd.AllPermissions) {
		t.Errorf("key %s", key.Body)
	}
	if r := e.callKey(key.str("secret_key"), "GET", "/api/v1/companies/"+child, nil).want(t, 200); r.str("id") != child {
		t.Errorf("the key reads %s", r.Body)
	}
	e.callKey(key.str("secret_key"), "GET", "/api/v1/memberships?company_id="+e.company, nil).wantError(t, 404, "", "")

	grants := []map[string]any{
		{"actions": []string{"member:basic:read", "member:manage"}, "grant": true, "resources": []string{child}},
		{"actions": []string{"member:manage"}, "grant": false, "resources": []string{child}},
	}
	limited := e.call("POST", path, map[string]any{"child_company_id": child, "permissions": grants}).want(t, 200)
	if got := limited.get("permissions").([]any); len(got) != 1 || got[0] != "member:basic:read" {
		t.Errorf("granted %v", got)
	}
	denyOnly := []map[string]any{{"actions": []string{"payment:manage"}, "grant": false, "resources": []string{}}}
	if got := e.call("POST", path, map[string]any{"child_company_id": child, "permissions": denyOnly}).want(t, 200).get("permissions").([]any); len(got) != len(memberd.AllPermissions)-1 {
		t.Errorf("deny only: %v", got)
	}
	e.call("POST", path, map[string]any{"child_company_id": child, "permissions": []map[string]any{{"actions": []string{"root"}, "grant": true}}}).
		wantError(t, 400, "parameter_invalid", "permissions")
	e.call("POST", path, map[string]any{"child_company_id": child, "role": "king"}).wantError(t, 400, "parameter_invalid", "role")
	other, _ := e.newCompany("Other")
	e.call("POST", path, map[string]any{"child_company_id": other}).wantError(t, 404, "", "")
	e.call("POST", "/api/v1/companies/"+other+"/api_keys", map[string]any{"child_company_id": child}).wantError(t, 404, "", "")
}

// The members and payments lists take every filter the SDK declares.
func TestMembersAndPaymentsFilters(t *testing.T) {
	e := newEnv(t)
	f := e.catalog()
	monthly := e.checkout(f.monthly, "")
	pass := e.checkout(f.lifetime, "")
	e.call("POST", "/api/v1/memberships/"+pass.str("id")+"/cancel", map[string]any{"cancellation_mode": "immediate"}).membership(t)
	members := func(query string) []string {
		t.Helper()
		r := e.call("GET", "/api/v1/members?company_id="+e.company+"&"+query, nil).want(t, 200)
		var ids []string
		for _, m := range r.get("data").([]any) {
			ids = append(ids, m.(map[string]any)["id"].(string))
		}
		return ids
	}
	a, b := monthly.str("member.id"), pass.str("member.id")
	for query, want := range map[string][]string{
		"plan_ids[]=" + f.monthly:                      {a},
		"product_ids[]=" + f.product:                   {b, a},
		"plan_ids[]=" + f.trial:                        nil,
		"access_level=customer":                        {a},
		"access_level=no_access":                       {b},
		"access_level=admin":                           nil,
		"statuses[]=joined":                            {b, a},
		"statuses[]=left":                              nil,
		"most_recent_actions[]=paused":                 nil,
		"query=" + pass.str("user.username"):           {b},
		"query=USER%20" + monthly.str("user.username"): {a},
		"query=example.com":                            {b, a}, // email search: the key may read emails
		"created_after=2026-03-02T00:00:00Z":           nil,
		"created_before=2026-03-02T00:00:00Z":          {b, a},
	} {
		if got := members(query); !slices.Equal(got, want) {
			t.Errorf("members?%s = %v, want %v", query, got, want)
		}
	}
	noEmail := e.newKey(e.company, memberd.PermMemberBasicRead)
	if r := e.callKey(noEmail, "GET", "/api/v1/members?company_id="+e.company+"&query=example.com", nil).want(t, 200); len(r.get("data").([]any)) != 0 {
		t.Errorf("a key without member:email:read searched emails: %s", r.Body)
	}
	e.call("GET", "/api/v1/members?company_id="+e.company+"&access_level=owner", nil).wantError(t, 400, "parameter_invalid", "access_level")

	payments := func(query string) int {
		t.Helper()
		return len(e.call("GET", "/api/v1/payments?company_id="+e.company+"&"+query, nil).want(t, 200).get("data").([]any))
	}
	for query, want := range map[string]int{
		"query=" + monthly.str("id"):                  1,
		"query=" + pass.str("user.id"):                1,
		"query=" + monthly.str("user.username"):       1,
		"query=nobody":                                0,
		"updated_after=2026-03-01T00:00:00Z":          2,
		"updated_before=2026-03-01T00:00:00Z":         0,
		"checkout_configuration_ids[]=chcfg_anything": 0,
	} {
		if got := payments(query); got != want {
			t.Errorf("payments?%s: %d, want %d", query, got, want)
		}
	}
	e.call("GET", "/api/v1/users/"+monthly.str("user.id")+"?include_balance_history=true&interval=week&from=2026-01-01", nil).want(t, 200)
	e.call("GET", "/api/v1/users/"+monthly.str("user.id")+"?interval=year", nil).wantError(t, 400, "parameter_invalid", "interval")
}
