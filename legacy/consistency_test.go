package legacy_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
)

// views reads one membership through v1, v2 and v5 and checks that they
// agree; it returns the three answers.
func views(t *testing.T, e *apitest.Env, id string) (v1, v2, v5 apitest.Response) {
	t.Helper()
	v1 = e.Call("GET", "/api/v1/memberships/"+id, nil).Membership(t)
	v2 = e.Call("GET", "/api/v2/memberships/"+id, nil).Want(t, 200)
	v5 = e.Call("GET", "/api/v5/company/memberships/"+id, nil).Want(t, 200)
	if app := e.Call("GET", "/v5/app/memberships/"+id, nil).Want(t, 200); !reflect.DeepEqual(app.JSON, v5.JSON) {
		t.Errorf("v5 app and company answers differ:\n%s\n%s", app.Body, v5.Body)
	}
	status := memberd.Status(v1.Str("status"))
	want2, want5 := string(status), string(status)
	switch status {
	case memberd.StatusCanceling:
		want2, want5 = "active", "active"
	case memberd.StatusDrafted:
		want2 = "expired"
	}
	if v2.Str("status") != want2 || v5.Str("status") != want5 {
		t.Errorf("v1 status %s reads as %s in v2 (want %s) and %s in v5 (want %s)", status, v2.Str("status"), want2, v5.Str("status"), want5)
	}
	for _, v := range []apitest.Response{v2, v5} {
		if v.Get("valid") != status.Valid() {
			t.Errorf("valid %v for v1 status %s", v.Get("valid"), status)
		}
	}
	same := func(what string, a, b any) {
		t.Helper()
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %v and %v differ", what, a, b)
		}
	}
	meta := v1.Get("metadata")
	if meta == nil {
		meta = map[string]any{}
	}
	for _, c := range []struct {
		field  string
		v1, v2 any
		v5     any
	}{
		{"id", v1.Get("id"), v2.Get("id"), v5.Get("id")},
		{"created_at", unixOf(t, v1.Get("created_at")), v2.Get("created_at"), v5.Get("created_at")},
		{"renewal_period_start", unixOf(t, v1.Get("renewal_period_start")), v2.Get("renewal_period_start"), v5.Get("renewal_period_start")},
		{"renewal_period_end", unixOf(t, v1.Get("renewal_period_end")), v2.Get("renewal_period_end"), v5.Get("renewal_period_end")},
		{"cancel_at_period_end", v1.Get("cancel_at_period_end"), v2.Get("cancel_at_period_end"), v5.Get("cancel_at_period_end")},
		{"metadata", meta, v2.Get("metadata"), v5.Get("metadata")},
		{"license_key", v1.Get("license_key"), v2.Get("license_key"), v5.Get("license_key")},
		{"user", v1.Get("user.id"), v2.Get("user"), v5.Get("user_id")},
		{"plan", v1.Get("plan.id"), v2.Get("plan"), v5.Get("plan_id")},
		{"product", v1.Get("product.id"), v2.Get("product"), v5.Get("product_id")},
		{"promo_code", v1.Get("promo_code.id"), v2.Get("promo_code"), v5.Get("promo_code.id")},
		{"manage_url", v1.Get("manage_url"), v2.Get("manage_url"), v5.Get("manage_url")},
	} {
		same(c.field+" (v1, v2)", c.v1, c.v2)
		same(c.field+" (v1, v5)", c.v1, c.v5)
	}
	same("email (v1, v2)", v1.Get("user.email"), v2.Get("email"))
	same("canceled_at (v1, v5)", unixOf(t, v1.Get("canceled_at")), v5.Get("canceled_at"))
	same("updated_at (v1, v5)", unixOf(t, v1.Get("updated_at")), v5.Get("updated_at"))
	same("expires_at (v2, v5)", v2.Get("expires_at"), v5.Get("expires_at"))
	if v1.Get("renewal_period_end") != nil {
		same("expires_at of a renewal membership is its period end", v2.Get("expires_at"), v2.Get("renewal_period_end"))
	}
	return v1, v2, v5
}

// unixOf is a v1 timestamp in Unix seconds as JSON decodes numbers (nil
// stays nil).
func unixOf(t *testing.T, v any) any {
	t.Helper()
	if v == nil {
		return nil
	}
	at, err := time.Parse(time.RFC3339, v.(string))
	if err != nil {
		t.Fatal(err)
	}
	return float64(at.Unix())
}

func days(r apitest.Response, field string) time.Duration {
	return time.Duration(r.Get(field).(float64)) * time.Second
}

// TestOneMembershipThroughEverySurface changes one membership through v1, v2
// and v5 in turn and reads it through all three after each change.
func TestOneMembershipThroughEverySurface(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog(licensed)
	id := e.Checkout(f.Monthly, "").Str("id")
	views(t, e, id)

	step := func(name string, check func(v1, v2, v5 apitest.Response)) {
		t.Helper()
		e.Clock.Add(time.Hour)
		v1, v2, v5 := views(t, e, id)
		if t.Failed() {
			t.Fatalf("after %s", name)
		}
		check(v1, v2, v5)
	}

	e.Call("PATCH", "/api/v1/memberships/"+id, map[string]any{"metadata": map[string]any{"hwid": "v1"}}).Membership(t)
	step("metadata via v1", func(_, v2, v5 apitest.Response) {
		if v2.Str("metadata.hwid") != "v1" || v5.Str("metadata.hwid") != "v1" {
			t.Errorf("metadata set through v1 not visible: %s %s", v2.Body, v5.Body)
		}
	})

	e.Call("POST", "/api/v2/memberships/"+id+"/cancel", nil).Want(t, 201)
	step("cancel via v2", func(v1, _, v5 apitest.Response) {
		if v1.Str("status") != "canceling" || v1.Get("cancel_at_period_end") != true || v1.Get("canceled_at") == nil || v5.Get("canceled_at") == nil {
			t.Errorf("cancel through v2 not visible in v1 and v5: %s %s", v1.Body, v5.Body)
		}
	})

	e.Call("POST", "/api/v1/memberships/"+id+"/uncancel", nil).Membership(t)
	step("uncancel via v1", func(_, v2, v5 apitest.Response) {
		if v2.Get("cancel_at_period_end") != false || v5.Get("canceled_at") != nil {
			t.Errorf("uncancel through v1 not visible: %s %s", v2.Body, v5.Body)
		}
	})

	_, before, _ := views(t, e, id)
	e.Call("POST", "/api/v5/app/memberships/"+id+"/add_free_days", map[string]any{"days": 7}).Want(t, 200)
	step("add_free_days via v5", func(v1, v2, _ apitest.Response) {
		if got := days(v2, "renewal_period_end") - days(before, "renewal_period_end"); got != 7*apitest.Day {
			t.Errorf("v2 period end moved by %v, want 7 days", got)
		}
		if v1.Str("renewal_period_end") != "2026-04-07T09:00:00.000Z" {
			t.Errorf("v1 period end %s, want 7 days after 2026-03-31", v1.Str("renewal_period_end"))
		}
	})

	e.Call("PATCH", "/api/v5/company/memberships/"+id, map[string]any{"metadata": map[string]any{"hwid": "v5"}}).Want(t, 200)
	step("metadata via v5", func(v1, v2, _ apitest.Response) {
		if v1.Str("metadata.hwid") != "v5" || v2.Str("metadata.hwid") != "v5" {
			t.Errorf("metadata set through v5 not visible: %s %s", v1.Body, v2.Body)
		}
	})

	e.Call("POST", "/api/v2/memberships/"+id, map[string]any{"metadata": map[string]any{}}).Want(t, 201)
	step("metadata cleared via v2", func(v1, _, v5 apitest.Response) {
		if len(v1.Get("metadata").(map[string]any)) != 0 || len(v5.Get("metadata").(map[string]any)) != 0 {
			t.Errorf("metadata cleared through v2 still visible: %s %s", v1.Body, v5.Body)
		}
	})

	key := e.Call("GET", "/api/v1/memberships/"+id, nil).Str("license_key")
	e.Call("POST", "/v2/memberships/"+key+"/validate_license", map[string]any{"metadata": map[string]any{"HWID": "abc"}}).Want(t, 201)
	step("license bound via v2", func(v1, _, v5 apitest.Response) {
		if v1.Str("metadata.HWID") != "abc" || v5.Str("metadata.HWID") != "abc" {
			t.Errorf("binding through v2 not visible: %s %s", v1.Body, v5.Body)
		}
	})

	e.Call("POST", "/api/v2/memberships/"+key+"/add_free_days", map[string]any{"days": 3}).Want(t, 201)
	step("add_free_days via v2 (by license key)", func(v1, _, v5 apitest.Response) {
		if v1.Str("renewal_period_end") != "2026-04-10T09:00:00.000Z" || v5.Get("expires_at") != unixOf(t, "2026-04-10T09:00:00Z") {
			t.Errorf("free days through v2 not visible: %s %s", v1.Body, v5.Body)
		}
	})

	e.Advance(41 * apitest.Day) // renews on 2026-04-10
	step("renewal", func(v1, _, _ apitest.Response) {
		if v1.Str("renewal_period_start") != "2026-04-10T09:00:00.000Z" {
			t.Errorf("no renewal: %s", v1.Body)
		}
	})

	e.Call("DELETE", "/api/v5/company/memberships/"+id, nil).Want(t, 200)
	step("terminate via v5", func(v1, v2, _ apitest.Response) {
		if v1.Str("status") != "canceled" || v2.Str("status") != "canceled" || v2.Get("valid") != false {
			t.Errorf("terminate through v5 not visible: %s %s", v1.Body, v2.Body)
		}
	})

	// The legacy operations fired the events the v1 ones fire.
	want := []string{"payment.created", "payment.succeeded", "membership.activated",
		"membership.cancel_at_period_end_changed", "membership.cancel_at_period_end_changed",
		"payment.created", "payment.succeeded", "membership.deactivated"}
	if got := apitest.EventTypes(e.Events(id)); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// TestStatesThroughEverySurface reads a membership in each state through
// the three surfaces, with changes made through each.
func TestStatesThroughEverySurface(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	trial := e.Checkout(f.Trial, "").Str("id")
	pass := e.Checkout(f.Pass, "").Str("id")
	lifetime := e.Checkout(f.Lifetime, "").Str("id")
	drafted := e.Checkout(f.Monthly, memberd.BehaviorDecline).Str("id")
	dunning := e.Checkout(f.Monthly, memberd.BehaviorDeclineRenewals).Str("id")

	e.Call("POST", "/api/v2/memberships/"+trial+"/cancel", nil).Want(t, 201)
	if v1, v2, _ := views(t, e, trial); v1.Str("status") != "canceling" || v2.Str("status") != "active" || v2.Get("cancel_at_period_end") != true {
		t.Errorf("canceling trial: %s %s", v1.Body, v2.Body)
	}
	e.Call("POST", "/api/v2/memberships/"+pass+"/add_free_days", map[string]any{"days": 5}).Want(t, 201)
	e.Call("POST", "/api/v1/memberships/"+lifetime+"/cancel", map[string]any{"cancellation_mode": "immediate"}).Membership(t)
	e.Advance(31 * apitest.Day) // the trial cancel lands; the dunning renewal fails

	for name, id := range map[string]string{"trial": trial, "pass": pass, "lifetime": lifetime, "drafted": drafted, "dunning": dunning} {
		t.Run(name, func(t *testing.T) { views(t, e, id) })
	}
	_, v2, v5 := views(t, e, pass)
	if v2.Get("expires_at") != unixOf(t, "2026-04-05T09:00:00Z") || v2.Get("renewal_period_end") != nil || v5.Get("renewal_period_end") != nil {
		t.Errorf("one-time pass: expiry moved by 5 days through v2, no renewal period: %s", v2.Body)
	}
	if v1, _, _ := views(t, e, trial); v1.Str("status") != "canceled" {
		t.Errorf("trial canceled at its end through v2: %s", v1.Body)
	}
	if v1, _, _ := views(t, e, dunning); v1.Str("status") != "past_due" {
		t.Errorf("dunning: %s", v1.Body)
	}
}
