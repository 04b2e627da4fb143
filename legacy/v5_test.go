package legacy_test

import (
	"slices"
	"testing"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/apitest"
)

func TestV5Lists(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog(licensed)
	other := e.Catalog(map[string]any{"title": "Other"})
	active := e.Checkout(f.Monthly, "")
	canceled := e.Checkout(f.Monthly, "").Str("id")
	e.Call("DELETE", "/api/v5/app/memberships/"+canceled, nil).Want(t, 200)
	drafted := e.Checkout(other.Monthly, memberd.BehaviorDecline).Str("id")
	lifetime := e.Checkout(other.Lifetime, "").Str("id")

	for _, list := range []string{"/api/v5/app/memberships", "/v5/company/memberships"} {
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"", []string{lifetime, active.Str("id")}}, // valid defaults to true
			{"valid=false", []string{drafted, canceled}},
			{"valid=false&statuses[]=drafted", []string{drafted}},
			{"valid=false&statuses[]=expired&statuses[]=canceled", []string{canceled}},
			{"statuses=active,completed", []string{lifetime, active.Str("id")}},
			{"product_id=" + other.Product, []string{lifetime}},
			{"license_key=" + active.Str("license_key"), []string{active.Str("id")}},
			{"license_key=NOPE", nil},
		} {
			r := e.Call("GET", list+"?"+c.query, nil).Want(t, 200)
			if got := ids(r); !slices.Equal(got, c.want) {
				t.Errorf("%s?%s: %v, want %v", list, c.query, got, c.want)
			}
		}
	}
	app := "/api/v5/app/memberships?"
	if got := ids(e.Call("GET", app+"user_id="+active.Str("user.id"), nil).Want(t, 200)); !slices.Equal(got, []string{active.Str("id")}) {
		t.Errorf("user_id: %v", got)
	}
	if got := ids(e.Call("GET", app+"experience_id=exp_123", nil).Want(t, 200)); got != nil {
		t.Errorf("memberd has no experiences: %v", got)
	}
	wantV5Error(t, e.Call("GET", "/api/v5/company/memberships?user_id=x", nil), 400, "parameter_unknown", "user_id")
	wantV5Error(t, e.Call("GET", "/api/v5/company/memberships?statuses[]=canceling", nil), 400, "parameter_invalid", "statuses")
	wantV5Error(t, e.Call("GET", "/api/v5/app/memberships/"+lifetime+"?expand=user", nil), 400, "parameter_unknown", "expand")
}

func TestV5Operations(t *testing.T) {
	e := newEnv(t)
	f := e.Catalog()
	id := e.Checkout(f.Pass, "").Str("id")
	v1 := func() apitest.Response { return e.Call("GET", "/api/v1/memberships/"+id, nil).Membership(t) }
	before := v1()
	for _, c := range []struct {
		name, method, path string
		body               any
		code, param        string
	}{
		{"days missing", "POST", "/app/memberships/" + id + "/add_free_days", map[string]any{}, "parameter_missing", "days"},
		{"days negative", "POST", "/app/memberships/" + id + "/add_free_days", map[string]any{"days": -1}, "parameter_invalid", "days"},
		{"metadata missing", "PATCH", "/company/memberships/" + id, map[string]any{}, "parameter_missing", "metadata"},
		{"metadata not an object", "PATCH", "/company/memberships/" + id, map[string]any{"metadata": "x"}, "parameter_invalid", "metadata"},
		{"delete takes no body", "DELETE", "/company/memberships/" + id, map[string]any{"reason": "x"}, "parameter_unknown", "reason"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantV5Error(t, e.Call(c.method, "/api/v5"+c.path, c.body), 400, c.code, c.param)
		})
	}
	if after := v1(); string(after.Body) != string(before.Body) {
		t.Errorf("bad input changed the membership:\n%s\n%s", before.Body, after.Body)
	}
	r := e.Call("POST", "/api/v5/app/memberships/"+id+"/add_free_days", map[string]any{"days": 10}).Want(t, 200)
	if r.Get("expires_at") != unixOf(t, "2026-04-10T09:00:00Z") {
		t.Errorf("a one-time membership's expiry moves: %s", r.Body)
	}
	if r := e.Call("DELETE", "/v5/app/memberships/"+id, nil).Want(t, 200); r.Str("status") != "canceled" || r.Get("valid") != false {
		t.Errorf("terminate: %s", r.Body)
	}
	wantV5Error(t, e.Call("POST", "/api/v5/app/memberships/"+id+"/add_free_days", map[string]any{"days": 1}), 400, memberd.CodeMembershipNotExtendable, "")
	if got := apitest.EventTypes(e.Events(id)); !slices.Equal(got, []string{"payment.created", "payment.succeeded", "membership.activated", "membership.deactivated"}) {
		t.Errorf("events %v", got)
	}
}
